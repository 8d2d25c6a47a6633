"""Send rendered bytes to the printer the server configured: network (host:port) or a file/device path.

A network printer is first asked for its paper sensor (DLE EOT 4, answered at once by ESC/POS
printers that report it): with the paper out, nothing is sent, so the job stays unprinted and is
retried, instead of being buffered by the printer and counted as printed. A printer that does not
answer within a moment is printed on as before; its paper state stays unknown.
"""

import socket

from escpos.constants import RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_STATUS_PAPER
from escpos.printer import Network

NETWORK_TIMEOUT = 5.0
STATUS_TIMEOUT = 0.5


class PrinterUnavailable(Exception):
    def __init__(self, message: str, *, paper: str | None = None):
        super().__init__(message)
        self.paper = paper


def send_to_printer(data: bytes, *, printer: dict) -> dict:
    """Print ``data``; what the printer said about itself, e.g. ``{"paper": "low"}`` (``{}``: nothing)."""
    kind, address = printer.get("kind"), printer.get("address", "")
    if kind == "network":
        return _send_to_network_printer(data, address)
    if kind == "file":
        _append_to_file(data, address)
        return {}
    raise PrinterUnavailable(f"Printers of kind {kind!r} are not supported by this agent yet (network, file).")


def _send_to_network_printer(data: bytes, address: str) -> dict:
    host, port = _host_and_port(address)
    device = Network(host=host, port=port, timeout=NETWORK_TIMEOUT)
    try:
        device.open()
        paper = _paper_sensor(device.device)
        if paper == "out":
            raise PrinterUnavailable(f"network printer {address}: paper out, load a new roll", paper="out")
        device._raw(data)
    except PrinterUnavailable:
        raise
    except Exception as error:  # python-escpos raises its own errors and OSError alike
        raise PrinterUnavailable(f"network printer {address}: {error}".replace("\n", " ")) from error
    finally:
        device.close()
    return {"paper": paper} if paper else {}


def _paper_sensor(connection: socket.socket) -> str | None:
    """The paper: "ok", "low" (near its end), "out", or None when the printer does not say."""
    connection.settimeout(STATUS_TIMEOUT)
    try:
        connection.sendall(RT_STATUS_PAPER)
        reply = connection.recv(16)
    except TimeoutError:
        return None
    finally:
        connection.settimeout(NETWORK_TIMEOUT)
    if not reply:
        return None
    status = reply[-1]
    if status & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
        return "out"
    if status & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
        return "low"
    return "ok"


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
