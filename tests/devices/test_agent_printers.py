"""Printers that report their paper sensor: paper out keeps the job unprinted, paper low is reported."""

import socket
import threading

import pytest

from devices.agent.journal import Journal
from devices.agent.spooler import Spooler
from devices.models import Device
from devices.services import create_pairing_code, pair_device
from tests.devices.test_agent import receipt
from tests.devices.test_agent_end_to_end import wait_until
from tests.servers import free_port

PAPER_STATUS_QUERY = b"\x10\x04\x04"  # DLE EOT 4
PAPER_OK, PAPER_LOW, PAPER_OUT = b"\x12", b"\x1e", b"\x72"


class ReportingPrinter:
    """A network printer answering DLE EOT 4 with ``paper``; keeps what it was sent after the query."""

    def __init__(self, paper: bytes):
        self.paper = paper
        self.received: list[bytes] = []
        self.port = free_port()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            with client:
                data = b""
                while len(data) < len(PAPER_STATUS_QUERY) and (chunk := client.recv(3 - len(data))):
                    data += chunk
                if data == PAPER_STATUS_QUERY:
                    client.sendall(self.paper)
                    data = b""
                while chunk := client.recv(65536):
                    data += chunk
                self.received.append(data)

    def stop(self):
        self._stopping.set()
        self._thread.join(5)
        self._server.close()


@pytest.fixture
def printer_that_says():
    printers = []

    def make(paper):
        printers.append(ReportingPrinter(paper))
        return printers[-1]

    yield make
    for printer in printers:
        printer.stop()


def job(job_id, printer):
    config = {"kind": "network", "address": f"127.0.0.1:{printer.port}", "profile": "default", "paper_width": 80}
    return {"id": job_id, "kind": "receipt", "payload": receipt(name="Milk"), "printer": config}


def test_with_the_paper_out_nothing_is_sent_and_the_job_stays_unprinted_until_a_new_roll_is_in(
    tmp_path, printer_that_says
):
    spooler = Spooler(Journal(tmp_path / "journal.sqlite3"))
    printer = printer_that_says(PAPER_OUT)

    error = spooler.print_server_job(job(7, printer))

    assert "paper out" in error
    assert spooler.printer_state == {"status": "error", "error": error, "paper": "out"}
    assert not spooler.journal.is_printed(7)
    # Asked, then nothing sent: the printer would only have buffered it.
    assert wait_until(lambda: printer.received, what="the connection to end") == [b""]

    printer.paper = PAPER_OK
    assert spooler.print_server_job(job(7, printer)) is None
    wait_until(lambda: len(printer.received) == 2, what="the print")
    assert b"R1-000007" in printer.received[-1]
    assert spooler.printer_state == {"status": "ok", "paper": "ok"}


def test_paper_near_its_end_prints_and_is_reported(tmp_path, printer_that_says):
    spooler = Spooler(Journal(tmp_path / "journal.sqlite3"))
    printer = printer_that_says(PAPER_LOW)

    assert spooler.print_server_job(job(8, printer)) is None

    assert b"R1-000007" in wait_until(lambda: printer.received, what="the print")[0]
    assert spooler.printer_state == {"status": "ok", "paper": "low"}


def test_a_printer_that_does_not_answer_the_query_is_printed_on_with_its_paper_unknown(tmp_path, printer_that_says):
    spooler = Spooler(Journal(tmp_path / "journal.sqlite3"))
    silent = printer_that_says(b"")  # reads the query, answers nothing

    assert spooler.print_server_job(job(9, silent)) is None

    assert b"R1-000007" in wait_until(lambda: silent.received, what="the print")[0]
    assert spooler.printer_state == {"status": "ok"}


def test_the_device_list_shows_paper_out(client, manager, register):
    pair_device(code=create_pairing_code(register=register), name="till-pc")
    Device.objects.update(printer_state={"status": "error", "error": "network printer x: paper out", "paper": "out"})
    client.force_login(manager)

    assert "error · paper out: network printer x: paper out" in client.get("/admin/devices/device/").content.decode()
