"""The real server (uvicorn) and the real agent (``python -m devices.agent``) against a fake network printer."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from devices.models import Device, Printer, PrintJob
from devices.services import create_pairing_code
from tests.conftest import PASSWORD
from tests.factories import ProductFactory
from tests.servers import BASE_DIR, Browser, asgi_server, csrf_form_token, free_port, server_environment

pytestmark = pytest.mark.django_db(transaction=True)

CUT = b"\x1dV"
DRAWER_KICK = b"\x1bp"


class FakeNetworkPrinter:
    """A TCP listener on 127.0.0.1 keeping the bytes of each connection (one per print)."""

    def __init__(self, port: int):
        self.port = port
        self.prints: list[bytes] = []
        self._server = None

    def start(self):
        self._server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._server.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self):
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            with client:
                chunks = []
                while chunk := client.recv(65536):
                    chunks.append(chunk)
                if chunks:
                    self.prints.append(b"".join(chunks))

    def stop(self):
        if self._server:
            self._stopping.set()
            self._thread.join(5)
            self._server.close()

    @property
    def everything(self) -> bytes:
        return b"".join(self.prints)


def wait_until(condition, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def devices_server(tmp_path, *extra_args, scheme="http"):
    """The ASGI server on this test's database (on SQLite it opens the same file); yields its URL."""
    port = free_port()
    overrides = {"SECRET_KEY": "devices-" + uuid.uuid4().hex}
    if connection.vendor == "postgresql":
        env = server_environment(REDIS_PREFIX=f"test-{uuid.uuid4().hex}", **overrides)
    else:
        var_dir = tmp_path / "server-var"
        var_dir.mkdir()
        (var_dir / "db.sqlite3").symlink_to(Path(connection.settings_dict["NAME"]).resolve())
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(RETAILPOS_VAR_DIR=str(var_dir), LOG_LEVEL="WARNING", **overrides)
    with asgi_server(port, env, *extra_args, log_path=tmp_path / "server.log"):
        yield f"{scheme}://127.0.0.1:{port}"


@pytest.fixture
def server(tmp_path, register, cashier, manager):
    with devices_server(tmp_path) as url:
        yield url


@pytest.fixture
def printer_port():
    return free_port()


@pytest.fixture
def fake_printer(printer_port):
    printer = FakeNetworkPrinter(printer_port)
    yield printer
    printer.stop()


@pytest.fixture
def printer_config(register, printer_port):
    return Printer.objects.create(register=register, kind="network", address=f"127.0.0.1:{printer_port}")


@pytest.fixture
def butter(standard_rate, stock):
    return stock(ProductFactory(sku="BUTTER", name="Butter", price=Decimal("2.49"), tax_rate=standard_rate), 20)


class AgentProcess:
    def __init__(self, data_dir: Path, log_path: Path, **env):
        self.data_dir, self.log_path = data_dir, log_path
        # Not the default port: other test runs on this machine may have an agent there.
        self.local_port = free_port()
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "DATABASE_", "REDIS_"))
        }
        self.env.update(RETAILPOS_AGENT_HEARTBEAT="1", RETAILPOS_AGENT_MAX_BACKOFF="1", **env)
        self.process = None

    def command(self, *args):
        return [sys.executable, "-m", "devices.agent", "--data-dir", str(self.data_dir), *args]

    def pair(self, server, code, *options, expect_success=True):
        result = subprocess.run(
            self.command(
                "pair", "--server", server, "--code", code, "--name", "test-pc", "--local-port", str(self.local_port)
            )
            + list(options),
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            timeout=30,
        )
        if expect_success:
            assert result.returncode == 0, result.stderr.decode()
        return result

    def start(self, *options, **env):
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen(
            self.command("run", *options), cwd=BASE_DIR, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    @property
    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def agent(tmp_path, server, register):
    agent = AgentProcess(tmp_path / "agent-data", tmp_path / "agent.log")
    agent.pair(server, create_pairing_code(register=register))
    yield agent
    agent.stop()


def sell(server, cashier, lines, payments):
    browser = Browser(server)
    browser.log_in(cashier.username, PASSWORD)
    status, sale = browser.post_json(
        "/api/v1/sales/",
        {"id": str(uuid.uuid4()), "register": "R1", "lines": lines, "payments": payments},
    )
    assert status == 201, sale
    return sale


def job_state(sale):
    return PrintJob.objects.filter(sale_id=sale["id"]).values_list("state", flat=True).first()


def test_a_cash_sale_prints_its_receipt_with_cut_and_drawer_kick_a_card_sale_without_kick(
    server, agent, fake_printer, printer_config, cashier, product, butter
):
    fake_printer.start()
    agent.start()

    cash = sell(
        server,
        cashier,
        [{"sku": "MILK", "quantity": "2"}, {"sku": "BUTTER", "quantity": "1"}],
        [{"method": "cash", "amount": "10"}],
    )
    wait_until(lambda: len(fake_printer.prints) == 1, what="the cash receipt")
    card = sell(server, cashier, [{"sku": "MILK", "quantity": "1"}], [{"method": "card", "amount": "1.19"}])
    wait_until(lambda: len(fake_printer.prints) == 2, what="the card receipt")

    cash_receipt, card_receipt = fake_printer.prints
    for expected in (b"Main Street", b"Milk", b"Butter", b"2 x 1.19", b"4.87 EUR", cash["receipt_number"].encode()):
        assert expected in cash_receipt, expected
    assert CUT in cash_receipt and DRAWER_KICK in cash_receipt
    assert cash_receipt.rindex(DRAWER_KICK) > cash_receipt.rindex(CUT)  # the drawer opens once the paper is cut
    assert b"1.19 EUR" in card_receipt and CUT in card_receipt
    assert DRAWER_KICK not in card_receipt
    wait_until(lambda: job_state(cash) == job_state(card) == "printed", what="both jobs acknowledged")
    device = wait_until(lambda: Device.objects.filter(printer_state__status="ok").first(), what="a heartbeat")
    assert device.last_seen is not None
    assert device.token_prefix not in agent.log  # and the token, which starts with it, is never logged


def test_closing_a_shift_prints_its_z_report_on_the_registers_printer(
    server, agent, fake_printer, printer_config, cashier, product
):
    from sales.models import Shift

    fake_printer.start()
    agent.start()
    sell(server, cashier, [{"sku": "MILK", "quantity": "1"}], [{"method": "cash", "amount": "5"}])
    wait_until(lambda: len(fake_printer.prints) == 1, what="the receipt")
    shift = Shift.objects.get(register__code="R1", state="open")

    browser = Browser(server)
    browser.log_in(cashier.username, PASSWORD)
    status, closed = browser.post_json(f"/api/v1/shifts/{shift.pk}/close/", {"denominations": {"1.00": 1}})

    assert status == 200, closed
    wait_until(lambda: len(fake_printer.prints) == 2, what="the Z report")
    report = fake_printer.prints[1]
    for expected in (b"Z report", b"Expected cash", b"1.19", b"Counted cash", b"1.00", b"Variance", b"-0.19"):
        assert expected in report, expected
    assert CUT in report and DRAWER_KICK not in report
    wait_until(lambda: PrintJob.objects.filter(kind="report", state="printed").exists(), what="the report acknowledged")


def test_an_agent_killed_between_printing_and_acknowledging_prints_the_receipt_once(
    server, agent, fake_printer, printer_config, cashier, product
):
    fake_printer.start()
    agent.start(RETAILPOS_AGENT_TEST_CRASH_BEFORE_ACK="1")
    sale = sell(server, cashier, [{"sku": "MILK", "quantity": "1"}], [{"method": "cash", "amount": "5"}])
    assert agent.process.wait(20) == 9
    wait_until(lambda: len(fake_printer.prints) == 1, what="the receipt")
    assert job_state(sale) == "sent"  # delivered, never acknowledged

    agent.start()  # the server redelivers the job; the agent's journal says it is printed
    wait_until(lambda: job_state(sale) == "printed", what="the acknowledgement")

    time.sleep(1.5)  # a second print would have arrived by now
    assert fake_printer.everything.count(sale["receipt_number"].encode()) == 1
    assert len(fake_printer.prints) == 1


def test_an_unreachable_printer_keeps_the_job_failed_with_its_error_until_it_listens_again(
    server, agent, fake_printer, printer_config, cashier, product
):
    agent.start()
    sale = sell(server, cashier, [{"sku": "MILK", "quantity": "1"}], [{"method": "cash", "amount": "5"}])

    failed = wait_until(
        lambda: PrintJob.objects.filter(sale_id=sale["id"], state="failed").first(), what="the failure report"
    )
    assert f"127.0.0.1:{fake_printer.port}" in failed.last_error and failed.attempts >= 1
    # The heartbeat with the printer's state follows the failure report on the same socket.
    wait_until(lambda: Device.objects.get().printer_state["status"] == "error", what="the printer's error state")

    fake_printer.start()
    wait_until(lambda: job_state(sale) == "printed", what="the retried print")
    assert fake_printer.everything.count(sale["receipt_number"].encode()) == 1
    assert PrintJob.objects.get(sale_id=sale["id"]).last_error == ""


def test_revoking_the_device_closes_the_agents_websocket_and_refuses_it_afterwards(
    server, agent, fake_printer, printer_config, manager
):
    fake_printer.start()
    agent.start()
    wait_until(lambda: Device.objects.filter(last_seen__isnull=False).exists(), what="the agent to connect")
    device = Device.objects.get()

    admin = Browser(server)
    admin.log_in(manager.username, PASSWORD)
    with admin.opener.open(f"{server}/admin/devices/device/", timeout=10) as response:
        token = csrf_form_token(response.read().decode())
    form = f"action=revoke&_selected_action={device.pk}&csrfmiddlewaretoken={token}".encode()
    with admin.opener.open(f"{server}/admin/devices/device/", data=form, timeout=10) as response:
        assert response.status == 200

    assert agent.process.wait(20) == 3  # closed by the server, and told why
    assert "revoked" in agent.log
    agent.start()
    assert agent.process.wait(20) == 3  # refused at the handshake
    assert "HTTP 403" in agent.log
