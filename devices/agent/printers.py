"""Send rendered bytes to the printer the server configured: network (host:port) or a file/device path."""

from escpos.printer import File, Network

NETWORK_TIMEOUT = 5.0


class PrinterUnavailable(Exception):
    pass


def send_to_printer(data: bytes, *, printer: dict) -> None:
    kind, address = printer.get("kind"), printer.get("address", "")
    if kind == "network":
        host, _, port = address.rpartition(":") if ":" in address else (address, "", "9100")
        device = Network(host=host, port=int(port), timeout=NETWORK_TIMEOUT)
    elif kind == "file":
        device = File(devfile=address)
    else:
        raise PrinterUnavailable(f"Printers of kind {kind!r} are not supported by this agent yet (network, file).")
    try:
        device.open()
        device._raw(data)
    except Exception as error:  # python-escpos raises its own errors and OSError alike
        raise PrinterUnavailable(f"{kind} printer {address}: {error}".replace("\n", " ")) from error
    finally:
        device.close()
