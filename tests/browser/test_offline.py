"""The offline register (static/js/offline-register.js) end to end: the app under uvicorn in a process
of its own (tests/servers.py), the checkout page in Chromium, the network cut, the server killed, an
answer lost on the way back. What is checked is what an auditor would: sales on the server, each
exactly once, stock and ledger agreeing, nothing left in the register's outbox.
"""

import json
import re
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.db.models import Sum
from playwright.sync_api import expect

from inventory.models import Product, StockLevel, StockMovement
from inventory.services import update_product
from sales.models import OfflineSyncIssue, Sale
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.browser.conftest import SCREENSHOTS, log_in_and_open, new_page, scan
from tests.factories import ProductFactory
from tests.proxy import DroppingProxy
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


def open_register(browser_or_context, url, register, errors, *, expected_console_errors=NO_SERVER):
    """The register's checkout page, logged in, with the catalogue and the page kept for offline use."""
    if hasattr(browser_or_context, "new_context"):
        page = new_page(browser_or_context, url, errors, expected_console_errors=expected_console_errors)
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
            const id = (item) => (item.sale ?? item.customer).id;
            return { queued: queued.map(id), problems: problems.map(id) };
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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "offline-receipt.png")
    expect(status).to_contain_text(re.compile(r"3 sales queued · oldest (<1|1) min"))
    assert not Sale.objects.exists()

    # Queued sales: logging out and closing the tab ask first (here: no, stay).
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append((dialog.type, dialog.message)), dialog.dismiss()))
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#pos")).to_be_visible()
    assert (
        dialogs and dialogs[0][0] == "confirm" and "3 sales rung up offline are not on the server yet" in dialogs[0][1]
    )
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


def test_with_the_server_killed_the_page_reloads_from_the_service_worker_and_its_sales_arrive_on_restart(
    register, cashier, shelf, server, chromium, errors
):
    milk, bread = shelf
    page = open_register(chromium, server.url, register, errors)
    scan(page, milk.barcode)  # a sale open on the server when it dies, partly paid: the reload takes it over
    expect(page.locator(".cart-line")).to_have_count(1)
    pay(page, "F8", "1")
    expect(page.locator("#remaining-due")).to_have_text("€0.19")
    server_sale_id = page.locator("#cart").get_attribute("data-sale-id")

    server.kill()
    page.reload()
    expect(page.locator("#pos")).to_have_attribute("data-page-source", "cache")  # the service worker's copy
    expect(page.locator("#pos[data-ready=true]")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#cart")).to_have_attribute("data-sale-id", server_sale_id)
    expect(page.locator("#remaining-due")).to_have_text("€0.19")  # the card payment taken before

    scan(page, bread.barcode)
    expect(page.locator("#total-amount")).to_have_text("€3.33")
    expect(page.locator("#remaining-due")).to_have_text("€2.33")
    pay(page, "F4", "5")
    expect(page.locator("#change-due")).to_have_text("€2.67")
    first = receipt_number(page)
    scan(page, bread.barcode)
    expect(page.locator("#total-amount")).to_have_text("€2.14")
    pay(page, "F8")
    second = receipt_number(page)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "2")
    assert OFFLINE_NUMBER.match(first) and OFFLINE_NUMBER.match(second)

    server.start()
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)
    assert sorted(Sale.objects.values_list("receipt_number", flat=True)) == sorted([first, second])
    # The sale taken over keeps the id of the server's cart: that cart can never be booked as well.
    taken_over = Sale.objects.get(receipt_number=first)
    assert taken_over.pk == uuid.UUID(server_sale_id)
    assert [(p.method, p.amount) for p in taken_over.payments.all()] == [("card", D("1.00")), ("cash", D("5.00"))]
    assert (taken_over.total, taken_over.change) == (D("3.33"), D("2.67"))
    assert (on_hand(milk, register.store), on_hand(bread, register.store)) == (49, 18)
    assert outbox(page, register) == {"queued": [], "problems": []}
    # ... and was cancelled on the server: the page shows the next sale, empty.
    page.keyboard.press("Escape")
    expect(page.locator("#cart")).not_to_have_attribute("data-sale-id", server_sale_id)
    expect(page.locator(".cart-line")).to_have_count(0)


def test_an_answer_lost_after_the_server_booked_the_sale_is_retried_and_books_nothing_more(
    register, cashier, shelf, server, chromium, errors
):
    milk, _ = shelf
    proxy = DroppingProxy(server.port)
    try:
        page = open_register(chromium, proxy.url, register, errors)
        page.context.set_offline(True)
        scan(page, milk.barcode)
        expect(page.locator("#total-amount")).to_have_text("€1.19")
        pay(page, "F4")
        number = receipt_number(page)
        proxy.drop_answers("POST", "/api/v1/sales/")

        page.context.set_offline(False)
        expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)

        posts = proxy.requests("POST", "/api/v1/sales/")
        assert [post.answer_dropped for post in posts] == [True, False]  # the first answer never arrived
        assert b" 201 " in posts[0].answer.split(b"\r\n", 1)[0]  # ... though the server had booked it
        assert Sale.objects.get().receipt_number == number
        assert on_hand(milk, register.store) == 49
        assert outbox(page, register) == {"queued": [], "problems": []}
    finally:
        proxy.close()


def test_two_tabs_of_a_register_with_a_queued_outbox_send_each_sale_once(
    register, cashier, shelf, server, chromium, errors
):
    milk, bread = shelf
    first_tab = open_register(chromium, server.url, register, errors)
    second_tab = open_register(first_tab.context, server.url, register, errors)
    posted = []
    first_tab.context.on(
        "request",
        lambda request: request.method == "POST" and request.url.endswith("/api/v1/sales/") and posted.append(request),
    )
    first_tab.context.set_offline(True)
    for product in (milk, bread, milk):
        scan(first_tab, product.barcode)
        expect(first_tab.locator(".cart-line")).to_have_count(1)
        expect(first_tab.locator("#total-amount")).to_have_text(f"€{product.price}")
        pay(first_tab, "F4")
        receipt_number(first_tab)
    # The tabs share the register's outbox: the other one shows the queue too.
    expect(second_tab.locator("#outbox-status")).to_have_attribute("data-count", "3")

    first_tab.context.set_offline(False)  # both tabs see the network back at once and want to send
    for tab in (first_tab, second_tab):
        expect(tab.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)
    first_tab.wait_for_timeout(4000)  # a tab that found the outbox busy looks again after 3 s

    assert Sale.objects.count() == 3
    assert len(posted) == 3, [request.post_data_json["id"] for request in posted]  # each sent by one tab only
    assert (on_hand(milk, register.store), on_hand(bread, register.store)) == (48, 19)


def test_a_sale_charged_at_a_price_changed_meanwhile_is_booked_as_charged_and_reported(
    register, cashier, manager, shelf, server, chromium, errors, client
):
    milk, _ = shelf
    page = open_register(chromium, server.url, register, errors)
    page.context.set_offline(True)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")
    pay(page, "F4", "2")
    number = receipt_number(page)

    update_product(product=Product.objects.get(pk=milk.pk), changes={"price": D("1.29")})  # the back office
    page.context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)

    sale = Sale.objects.get(receipt_number=number)
    assert (sale.total, sale.change) == (D("1.19"), D("0.81"))
    assert sale.lines.get().unit_price == D("1.19")
    issue = OfflineSyncIssue.objects.get(sale=sale)
    assert (issue.kind, issue.charged_price, issue.catalogue_price) == ("price_changed", D("1.19"), D("1.29"))
    client.force_login(manager)
    report = client.get("/admin/sales/offlinesyncissue/").content.decode()
    assert number in report and "Price changed" in report


def test_a_sale_the_server_refuses_is_kept_as_a_visible_sync_problem_that_can_be_exported(
    register, cashier, shelf, server, chromium, errors
):
    milk, _ = shelf
    refused = r"the server responded with a status of 409 \(Conflict\)"
    page = open_register(chromium, server.url, register, errors, expected_console_errors=f"{NO_SERVER}|{refused}")
    page.context.set_offline(True)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")
    pay(page, "F4")
    number = receipt_number(page)
    sale_id = outbox(page, register)["queued"][0]
    # Meanwhile another sale was booked under the same id (say, a register restored from a backup).
    complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.UUID(sale_id),
        lines=[LineRequest(product=milk, quantity=D("2"))],
        payments=[PaymentRequest(method="cash", amount=D("5"))],
    )

    page.context.set_offline(False)
    button = page.locator("#sync-problems-button")
    expect(button).to_have_text("Sync problems (1)", timeout=BACK_ONLINE_MS)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0")
    assert outbox(page, register) == {"queued": [], "problems": [sale_id]}  # kept, never dropped
    assert Sale.objects.get().total == D("2.38")  # nothing booked over it

    button.click()
    problem = page.locator("#sync-problems .sync-problem")
    expect(problem).to_contain_text(number)
    expect(problem).to_contain_text("HTTP 409")
    expect(problem).to_contain_text("was already booked with different content")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "offline-sync-problems.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["register"] == "R1"
    assert [(p["sale"]["offline_receipt_number"], p["status"]) for p in exported["problems"]] == [(number, 409)]
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0].startswith("offline_receipt_number,sale_id,") and rows[1].startswith(f"{number},{sale_id},R1,")
