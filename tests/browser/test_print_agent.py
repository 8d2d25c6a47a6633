"""The checkout page and the register PC's print agent, with the server up and with it stopped.

Real processes throughout: the app under uvicorn (stopped and started again as the test needs), the
agent (``python -m devices.agent run``, paired over HTTP, its local endpoint on a free port), a fake
network printer capturing bytes, and the checkout page in Chromium. The offline ring-up is not on
this page yet, so the page is made to print as it will: ``printReceipt(document, {id})`` of
static/js/print-agent.js with a receipt document built offline.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from devices.models import Device, PrintJob, Register
from devices.services import create_pairing_code
from tests.browser.conftest import SCREENSHOTS, log_in_and_open, new_page
from tests.browser.test_live_updates import SERVER_AWAY, AsgiServer
from tests.conftest import PASSWORD
from tests.devices.test_agent_end_to_end import CUT, DRAWER_KICK, AgentProcess, FakeNetworkPrinter, wait_until
from tests.servers import Browser, free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFLINE_NUMBER = "R1-OFF-3fa2-000001"


@pytest.fixture
def fake_printer():
    printer = FakeNetworkPrinter(free_port()).start()
    yield printer
    printer.stop()


@pytest.fixture
def printer_config(register, fake_printer):
    from devices.models import Printer

    return Printer.objects.create(register=register, kind="network", address=f"127.0.0.1:{fake_printer.port}")


@pytest.fixture
def server(tmp_path, register, cashier, product, printer_config):
    server = AsgiServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def agent(tmp_path, server, register):
    """The paired agent, connected, its local endpoint known to the server (and so to the page)."""
    agent = AgentProcess(tmp_path / "agent-data", tmp_path / "agent.log")
    agent.pair(server.url, create_pairing_code(register=register))
    agent.start()
    wait_until(lambda: Device.objects.filter(local_port=agent.local_port).exists(), what="the agent to connect")
    yield agent
    agent.stop()


@pytest.fixture
def errors():
    errors = []
    yield errors
    assert not errors, errors


def offline_receipt(sale_id: str) -> dict:
    """What the offline register builds for a cash sale of two milks (sales/receipts.py, version 1)."""
    return {
        "version": 1,
        "copy": False,
        "sale_id": sale_id,
        "receipt_number": OFFLINE_NUMBER,
        "offline": True,
        "store": {"code": "main", "name": "Main Street", "address": ""},
        "register": {"code": "R1", "name": "Register 1"},
        "cashier": "cashier",
        "created_at": "2026-11-21T10:30:00+00:00",
        "currency": "EUR",
        "prices_include_tax": True,
        "lines": [
            {
                "name": "Milk",
                "sku": "MILK",
                "quantity": "2",
                "unit_price": "1.19",
                "discount_percent": "0",
                "discount_amount": "0.00",
                "amount": "2.38",
                "tax_code": "standard",
            }
        ],
        "subtotal": "2.38",
        "discount_total": "0.00",
        "taxes": [{"code": "standard", "rate": "19", "net": "2.00", "tax": "0.38"}],
        "tax_total": "0.38",
        "total": "2.38",
        "payments": [{"method": "cash", "label": "Cash", "amount": "5.00", "reference": ""}],
        "paid_total": "5.00",
        "change": "2.62",
        "qr": sale_id,
        "footer": "Thank you for shopping with us!",
        "open_drawer": True,
    }


PRINT = """async ([receipt, id]) => {
    const { printReceipt } = await import("/static/js/print-agent.js");
    try {
        return await printReceipt(receipt, { id });
    } catch (error) {
        return { error: error.message, reason: error.reason };
    }
}"""

STATUS = """async () => (await import("/static/js/print-agent.js")).agentStatus()"""


def test_with_the_server_stopped_the_checkout_page_prints_through_the_agent_once_and_the_synced_sale_not_again(
    register, server, agent, fake_printer, chromium, errors
):
    page = new_page(chromium, server.url, errors, expected_console_errors=SERVER_AWAY)
    log_in_and_open(page, register)
    expect(page.locator("#pos")).to_have_attribute("data-agent-url", f"http://127.0.0.1:{agent.local_port}")
    server.stop()
    wait_until(lambda: page.evaluate(STATUS)["server"]["connected"] is False, what="the agent to miss the server")

    sale_id = str(uuid.uuid4())
    answer = page.evaluate(PRINT, [offline_receipt(sale_id), sale_id])

    assert answer == {"status": "printed", "id": sale_id}
    receipt = wait_until(lambda: fake_printer.prints and fake_printer.prints[0], what="the receipt")
    for expected in (b"Main Street", b"Milk", b"2 x 1.19", b"2.38 EUR", OFFLINE_NUMBER.encode()):
        assert expected in receipt, expected
    assert CUT in receipt and DRAWER_KICK in receipt

    # The page retries (it timed out, the cashier pressed Print again): nothing more is printed.
    assert page.evaluate(PRINT, [offline_receipt(sale_id), sale_id]) == {"status": "already_printed", "id": sale_id}
    status = page.evaluate(STATUS)
    assert status["state"] == "ok" and status["printer"]["status"] == "ok" and status["register"] == "R1"

    # The server is back and the outbox hands the sale over: its receipt job is not printed a second time.
    server.start()
    cashier = Browser(server.url)
    cashier.log_in("cashier", PASSWORD)
    code, _ = cashier.post_json(
        "/api/v1/sales/",
        {
            "id": sale_id,
            "register": "R1",
            "lines": [{"sku": "MILK", "quantity": "2", "unit_price": "1.19"}],
            "payments": [{"method": "cash", "amount": "5"}],
            "created_at": "2026-11-21T10:30:00Z",
            "offline_receipt_number": OFFLINE_NUMBER,
        },
    )
    assert code == 201
    wait_until(
        lambda: PrintJob.objects.filter(sale_id=sale_id, state="printed").exists(), what="the synced receipt's job"
    )
    assert len(fake_printer.prints) == 1
    assert "printed through the local endpoint while the server was away" in agent.log
    key = Register.objects.get().local_print_key
    assert key not in agent.log and Device.objects.get().token_prefix not in agent.log


def test_the_diagnostics_panel_shows_the_server_websocket_agent_and_printer(
    register, server, agent, fake_printer, chromium, errors
):
    page = new_page(chromium, server.url, errors, expected_console_errors=SERVER_AWAY)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in_and_open(page, register)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    page.keyboard.press("F1")

    panel = page.locator("#diagnostics")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-checked", "true")
    check = lambda name: panel.locator(f"[data-check={name}]")  # noqa: E731
    expect(check("server")).to_have_attribute("data-state", "ok")
    expect(check("server").locator("dd")).to_have_text(re.compile(r"^Reachable, \d+ ms"))
    expect(check("websocket").locator("dd")).to_have_text("Live")
    expect(check("agent")).to_have_attribute("data-state", "ok")
    expect(check("agent").locator("dd")).to_have_text(re.compile(r"Running \(\d+ ms\), connected to the server"))
    expect(check("printer").locator("dd")).to_contain_text(f"network 127.0.0.1:{fake_printer.port}")
    expect(check("outbox").locator("dd")).to_have_text("None")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "diagnostics.png")
    page.locator("[data-diagnostics-copy]").click()
    expect(panel.locator("[data-diagnostics-copied]")).to_contain_text("Copied")
    report = page.evaluate("navigator.clipboard.readText()")
    assert report.startswith("Register R1 diagnostics") and "Print agent: Running" in report

    server.stop()
    wait_until(lambda: page.evaluate(STATUS)["server"]["connected"] is False, what="the agent to miss the server")
    page.locator("[data-diagnostics-refresh]").click()

    expect(check("server")).to_have_attribute("data-state", "error")
    expect(check("server").locator("dd")).to_have_text(re.compile("^Not reachable"))
    expect(check("websocket").locator("dd")).to_have_text("Reconnecting…")
    expect(check("agent")).to_have_attribute("data-state", "warn")
    expect(check("agent").locator("dd")).to_contain_text("not connected to the server")

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()


def test_a_sale_rung_up_on_the_page_while_the_server_is_down_prints_through_the_agent_and_not_again_after_syncing(
    register, server, agent, fake_printer, chromium, errors
):
    from sales.models import Sale
    from tests.browser.conftest import scan
    from tests.browser.test_offline import NO_SERVER, open_register, pay, receipt_number

    product = register.store.stock_levels.get().product
    page = open_register(chromium, server.url, register, errors, expected_console_errors=f"{NO_SERVER}|{SERVER_AWAY}")
    server.kill()

    scan(page, product.barcode)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    scan(page, product.barcode)
    expect(page.locator(".cart-line .stepper__input")).to_have_value("2")
    pay(page, "F4", "5")
    expect(page.locator("#change-due")).to_have_text("€2.62")
    number = receipt_number(page)

    receipt = wait_until(lambda: fake_printer.prints and fake_printer.prints[0], what="the offline receipt")
    for expected in (b"Main Street", b"Milk", b"2.38", number.encode()):
        assert expected in receipt, expected
    assert CUT in receipt and DRAWER_KICK in receipt  # paid in cash: the drawer opens
    expect(page.locator("#message")).not_to_contain_text("not printed")

    server.start()
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=30_000)
    sale = Sale.objects.get(receipt_number=number)
    wait_until(lambda: PrintJob.objects.filter(sale_id=sale.pk, state="printed").exists(), what="the synced job")
    assert len(fake_printer.prints) == 1
