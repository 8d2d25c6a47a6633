"""The offline register (static/js/offline-register.js) end to end: the app under uvicorn in a process
of its own (tests/servers.py), the checkout page in Chromium, the network cut, the server killed, an
answer lost on the way back. What is checked is what an auditor would: sales on the server, each
exactly once, stock and ledger agreeing, nothing left in the register's outbox.
"""

import re
from decimal import Decimal as D

import pytest
from django.db.models import Sum
from playwright.sync_api import expect

from inventory.models import StockLevel, StockMovement
from sales.models import OfflineSyncIssue, Sale
from tests.browser.conftest import log_in_and_open, new_page, scan
from tests.factories import ProductFactory
from tests.servers import AsgiServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Console errors Chromium and htmx log for requests that get no answer: the point of these tests.
NO_SERVER = (
    r"Failed to load resource: net::ERR_|WebSocket connection to .* failed|"
    r"htmx:(sendError|afterRequest)|Failed to fetch|ERR_INTERNET_DISCONNECTED"
)
OFFLINE_NUMBER = re.compile(r"^R1-OFF-[0-9a-f]{8}-\d{6}$")
BACK_ONLINE_MS = 30_000  # the health poll backs off to 15 s at most while the server is away


@pytest.fixture
def shelf(product, reduced_rate, stock):
    """Milk (1.19, 19 %) with 50 on hand and bread (2.14, 7 %) with 20."""
    bread = stock(ProductFactory(sku="BREAD", name="Roggenbrot 750 g", price=D("2.14"), tax_rate=reduced_rate), 20)
    return product, bread


@pytest.fixture
def server(tmp_path):
    """Request it after the fixtures that write data, before ``chromium``."""
    server = AsgiServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def errors():
    """Script errors of every page the test opens; the test fails if there are any."""
    errors = []
    yield errors
    assert not errors, errors


def open_register(browser_or_context, url, register, errors):
    """The register's checkout page, logged in, with the catalogue and the page kept for offline use."""
    if hasattr(browser_or_context, "new_context"):
        page = new_page(browser_or_context, url, errors, expected_console_errors=NO_SERVER)
        log_in_and_open(page, register)
    else:  # another tab of a context that is logged in already
        page = browser_or_context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        page.goto(f"/pos/{register.code}/")
        expect(page.locator("#pos[data-ready=true]")).to_be_visible()
    expect(page.locator("#pos")).to_have_attribute("data-offline-ready", "true", timeout=30_000)
    expect(page.locator("#connection")).to_have_text("Online")
    return page


def outbox(page, register):
    """What the register's IndexedDB outbox holds: queued sale ids and refused ones."""
    return page.evaluate(
        """async (code) => {
            const { openOutbox } = await import("/static/js/outbox.js");
            const box = await openOutbox(code);
            const [queued, problems] = [await box.pending(), await box.problems()];
            box.close();
            return { queued: queued.map((item) => item.sale.id), problems: problems.map((item) => item.sale.id) };
        }""",
        register.code,
    )


def pay(page, key, typed=None):
    """A tender key (F4 cash, F8 card, F9 mobile), then what the customer gives (else what is due)."""
    page.keyboard.press(key)
    expect(page.locator("#amount")).to_be_focused()
    if typed is not None:
        page.keyboard.type(typed)
    page.keyboard.press("Enter")


def receipt_number(page):
    number = page.locator("#receipt:not([hidden]) .receipt-panel__number [data-receipt-number]")
    expect(number).to_be_visible()
    return number.inner_text()


def on_hand(product, store):
    return StockLevel.objects.get(product=product, store=store).on_hand


def ledger(product, store):
    return StockMovement.objects.filter(product=product, store=store).aggregate(total=Sum("delta"))["total"]


def test_sales_rung_up_while_the_network_is_cut_arrive_once_each_when_it_is_back(
    register, cashier, shelf, server, chromium, errors
):
    milk, bread = shelf
    page = open_register(chromium, server.url, register, errors)
    page.context.set_offline(True)

    # Sale 1: the first scan gets no answer; the page takes the sale over and the scan still counts.
    scan(page, milk.barcode)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    scan(page, bread.barcode)
    scan(page, milk.barcode)
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(page.locator("#total-amount")).to_have_text("€4.52")  # the server's total for this cart
    expect(page.locator("#scan")).to_be_focused()
    pay(page, "F4", "20")
    expect(page.locator("#change-due")).to_have_text("€15.48")
    first = receipt_number(page)
    assert OFFLINE_NUMBER.match(first), first

    # Sale 2: the next scan closes the receipt and starts the next sale; card, exactly what is due.
    expect(page.locator("#scan")).to_be_focused()
    scan(page, bread.barcode)
    expect(page.locator("#receipt")).to_be_hidden()
    expect(page.locator(".cart-line")).to_have_count(1)
    pay(page, "F8")
    expect(page.locator("#change-due")).to_have_text("€0.00")
    second = receipt_number(page)

    # Sale 3: search, one more with the stepper, 10 % off, mobile.
    page.keyboard.press("F2")
    page.keyboard.type("roggen")
    expect(page.locator(".search-result")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(".cart-line")).to_contain_text("Roggenbrot")
    page.get_by_role("button", name="One more Roggenbrot 750 g").click()
    expect(page.locator(".cart-line .stepper__input")).to_have_value("2")
    page.get_by_label("Discount % on Roggenbrot 750 g").fill("10")
    page.keyboard.press("Enter")
    expect(page.locator("#total-amount")).to_have_text("€3.85")  # 4.28 − 10 %, rounded half up
    pay(page, "F9")
    third = receipt_number(page)
    assert [first[:-6], second[:-6], third[:-6]] == [first[:-6]] * 3  # one series, numbered in order
    assert [int(n[-6:]) for n in (first, second, third)] == [1, 2, 3]

    status = page.locator("#outbox-status")
    expect(status).to_have_attribute("data-count", "3")
    expect(status).to_contain_text(re.compile(r"3 sales queued · oldest (<1|1) min"))
    assert not Sale.objects.exists()

    # Queued sales: logging out and closing the tab ask first (here: no, stay).
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append((dialog.type, dialog.message)), dialog.dismiss()))
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#pos")).to_be_visible()
    assert dialogs and dialogs[0][0] == "confirm" and "3 sales rung up offline are not on the server yet" in dialogs[0][1]
    page.once("dialog", lambda dialog: (dialogs.append((dialog.type, dialog.message)), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs[-1][0] == "beforeunload" and not page.is_closed()

    page.context.set_offline(False)
    expect(status).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)
    expect(status).to_have_text("No sales queued")
    expect(page.locator("#connection")).to_have_text("Online")

    sales = {sale.receipt_number: sale for sale in Sale.objects.all()}
    assert set(sales) == {first, second, third}
    assert [sales[n].total for n in (first, second, third)] == [D("4.52"), D("2.14"), D("3.85")]
    assert (sales[first].change, sales[first].paid_total) == (D("15.48"), D("20.00"))
    assert all(sale.offline for sale in sales.values())
    assert not OfflineSyncIssue.objects.exists()
    assert (on_hand(milk, register.store), on_hand(bread, register.store)) == (48, 16)
    assert ledger(milk, register.store) == 48 and ledger(bread, register.store) == 16
    assert outbox(page, register) == {"queued": [], "problems": []}

    # Back with the server: the next sale is the server's again, numbered in its series.
    scan(page, milk.barcode)
    expect(page.locator(".cart-line")).to_have_count(1)
    pay(page, "F4")
    online = receipt_number(page)
    assert re.fullmatch(r"R1-\d{6}", online), online
    assert Sale.objects.get(receipt_number=online).offline is False
    assert Sale.objects.count() == 4
