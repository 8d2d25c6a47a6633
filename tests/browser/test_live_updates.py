"""Live updates on the checkout page: the app under uvicorn (HTTP and websockets), pages in Chromium.

pytest-django's ``live_server`` speaks WSGI only, so these tests start ``uvicorn`` in a process of its
own on the test database (the SQLite file, or PostgreSQL with Redis when the run has them). The
writes that are pushed to the pages go through that process, as in a shop: a sale on another
register's page, a price change in the back office. Pushes of the test process's own writes cannot
reach that server with the in-memory channel layer of an SQLite run; the reconnect test makes its
changes while the server is stopped, so on either database they reach the page only by its catching
up on reconnecting.
"""

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from inventory.models import Product, StockMovement
from inventory.services import StockChange, record_movements, update_product
from tests.browser.conftest import SCREENSHOTS, log_in_and_open, new_page, scan
from tests.conftest import PASSWORD
from tests.factories import ProductFactory, RegisterFactory
from tests.servers import AsgiServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium's own console errors for a websocket that cannot connect and for a service worker script it
# cannot fetch (registered or checked for updates on load), while the server is away on purpose.
SERVER_AWAY = (
    r"WebSocket connection to .* failed|Failed to load resource: net::ERR_CONNECTION_REFUSED|"
    r"An unknown error occurred when fetching the script"
)


@pytest.fixture
def server(tmp_path):
    """Request it after the fixtures that write data, before ``chromium``."""
    server = AsgiServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def yoghurt(standard_rate, stock):
    return stock(ProductFactory(sku="YOG", name="Joghurt natur 500 g", price=D("0.89"), tax_rate=standard_rate), 6)


@pytest.fixture
def errors():
    """Script errors of every page the test opens; the test fails if there are any."""
    errors = []
    yield errors
    assert not errors, errors


def open_live(browser, server, register, errors, *, expected_console_errors=""):
    """The register's checkout page, logged in as the cashier, its websocket connected."""
    page = new_page(browser, server.url, errors, expected_console_errors=expected_console_errors)
    log_in_and_open(page, register)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.evaluate("window.notReloaded = true")
    return page


def stock_of(page, product, *, where=".cart-line"):
    return page.locator(f"{where} [data-stock-of='{product.pk}']")


def test_a_sale_on_one_register_updates_the_on_hand_shown_on_another_of_the_store(
    register, cashier, product, yoghurt, server, chromium, errors
):
    milk = product
    other_register = RegisterFactory(store=register.store, code="R2")
    selling = open_live(chromium, server, register, errors)
    watching = open_live(chromium, server, other_register, errors)

    scan(watching, milk.barcode)
    scan(watching, yoghurt.barcode)
    expect(stock_of(watching, milk)).to_have_text("On hand 50")
    expect(stock_of(watching, yoghurt)).to_have_text("On hand 6")
    expect(watching.locator("#scan")).to_be_focused()  # the answer is in: the next key is the cashier's
    watching.keyboard.press("F2")
    watching.keyboard.type("milk")
    expect(stock_of(watching, milk, where=".search-result")).to_have_text("On hand 50")

    scan(selling, milk.barcode)
    scan(selling, milk.barcode)
    scan(selling, yoghurt.barcode)
    expect(selling.locator("#total-amount")).to_have_text("€3.27")
    expect(selling.locator("#scan")).to_be_focused()
    selling.keyboard.press("F4")
    selling.keyboard.press("Enter")
    expect(selling.locator("#change-due")).to_have_text("€0.00")

    expect(stock_of(watching, milk)).to_have_text("On hand 48")
    expect(stock_of(watching, milk, where=".search-result")).to_have_text("On hand 48")
    expect(stock_of(watching, yoghurt)).to_have_text("On hand 5 Low stock")
    expect(stock_of(watching, yoghurt)).to_have_class(re.compile(r"\bstock--low\b"))
    assert watching.evaluate("window.notReloaded === true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watching.screenshot(path=SCREENSHOTS / "live-stock.png")


def test_a_price_changed_in_the_back_office_shows_on_a_page_with_the_product_in_the_sale(
    register, cashier, manager, product, server, chromium, errors
):
    milk = product
    checkout = open_live(chromium, server, register, errors)
    scan(checkout, milk.barcode)
    expect(checkout.locator("#total-amount")).to_have_text("€1.19")

    back_office = new_page(chromium, server.url, errors)
    back_office.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # the admin links none
    back_office.goto(f"/admin/inventory/product/{milk.pk}/change/")
    back_office.get_by_label("Username").fill(manager.username)
    back_office.get_by_label("Password").fill(PASSWORD)
    back_office.keyboard.press("Enter")
    back_office.locator("#id_price").fill("1.29")
    back_office.get_by_role("button", name="Save", exact=True).click()
    expect(back_office.locator(".messagelist")).to_contain_text("was changed successfully")

    expect(checkout.locator("#live-notices")).to_have_text(
        re.compile(r"Price of Milk changed from €1\.19 to €1\.29; this sale charges the new price\.")
    )
    # The sale shown is repriced as the server prices it, and is paid at that price.
    expect(checkout.locator(".cart-line .num").first).to_have_text("€1.29")
    expect(checkout.locator("#total-amount")).to_have_text("€1.29")
    assert checkout.evaluate("window.notReloaded === true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    checkout.screenshot(path=SCREENSHOTS / "live-price-notice.png")
    expect(checkout.locator("#scan")).to_be_focused()
    checkout.keyboard.press("F4")
    checkout.keyboard.press("Enter")
    expect(checkout.locator("#change-due")).to_have_text("€0.00")
    assert milk.sale_lines.get().unit_price == D("1.29")
    expect(checkout.locator("#live-notices .live-notice")).to_have_count(0)  # gone with the sale


def test_changes_made_while_the_server_was_away_show_after_the_page_reconnects(
    register, cashier, product, yoghurt, server, chromium, errors
):
    milk = product
    page = open_live(chromium, server, register, errors, expected_console_errors=SERVER_AWAY)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("F2")
    page.keyboard.type("joghurt")
    expect(stock_of(page, yoghurt, where=".search-result")).to_have_text("On hand 6")

    server.stop()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "reconnecting")
    expect(page.locator("#live-status")).to_have_text("Reconnecting…")
    record_movements(
        store=register.store,
        changes=[StockChange(yoghurt.pk, D("-6"))],
        reason=StockMovement.Reason.COUNT,
        reference="shelf count",
    )
    update_product(product=Product.objects.get(pk=milk.pk), changes={"price": D("1.39")})
    page.wait_for_timeout(300)  # the pushes of those writes go out now, while no page listens
    server.start()

    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=20_000)
    # Search results are not redrawn by the server: this is the page catching up by itself.
    expect(stock_of(page, yoghurt, where=".search-result")).to_have_text("On hand 0 Out of stock")
    expect(page.locator("#live-notices")).to_contain_text("Price of Milk changed from €1.19 to €1.39")
    expect(page.locator("#total-amount")).to_have_text("€1.39")
    assert page.evaluate("window.notReloaded === true")

    # The offline catalogue has caught up as well.
    page.wait_for_function(
        """async ([milkId, yoghurtId]) => {
            const { openCatalogStore } = await import("/static/js/catalog-store.js");
            const { store: storeId } = document.getElementById("pos").dataset;
            const store = await openCatalogStore(`retailpos-catalog-store-${storeId}`);
            const [milk, yoghurt] = [await store.get(milkId), await store.get(yoghurtId)];
            store.close();
            return milk?.price === "1.39" && Number(yoghurt?.on_hand) === 0;
        }""",
        arg=[milk.pk, yoghurt.pk],
    )
