"""Send rendered bytes to the printer the server configured: network (host:port) or a file/device path."""

from escpos.printer import Network

NETWORK_TIMEOUT = 5.0


class PrinterUnavailable(Exception):
    pass


def send_to_printer(data: bytes, *, printer: dict) -> None:
    kind, address = printer.get("kind"), printer.get("address", "")
    if kind == "network":
        _send_to_network_printer(data, address)
    elif kind == "file":
        _append_to_file(data, address)
    else:
        raise PrinterUnavailable(f"Printers of kind {kind!r} are not supported by this agent yet (network, file).")


def _send_to_network_printer(data: bytes, address: str) -> None:
    host, port = _host_and_port(address)
    device = Network(host=host, port=port, timeout=NETWORK_TIMEOUT)
    try:
        device.open()
        device._raw(data)
    except Exception as error:  # python-escpos raises its own errors and OSError alike
        raise PrinterUnavailable(f"network printer {address}: {error}".replace("\n", " ")) from error
    finally:
        device.close()


def _append_to_file(data: bytes, path: str) -> None:
    # Appended, not truncated (as python-escpos' File printer does): a file keeps every receipt, and a
    # device node such as /dev/usb/lp0 takes either.
    try:
        with open(path, "ab") as file:
            file.write(data)
    except OSError as error:
        raise PrinterUnavailable(f"file printer {path}: {error}") from error


def _host_and_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "9100")
    return host, int(port)
