"""The customer display next to the checkout page: the same register's sale, live, in Chromium under uvicorn."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, scan
from tests.browser.test_live_updates import SERVER_AWAY, AsgiServer, open_live
from tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def yoghurt(standard_rate, stock):
    name = "Joghurt natur 500 g"
    return stock(ProductFactory(sku="YOG", name=name, price=Decimal("0.89"), tax_rate=standard_rate), 6)


@pytest.fixture
def server(tmp_path):
    """Request it after the fixtures that write data, before ``chromium``."""
    server = AsgiServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def errors():
    errors = []
    yield errors
    assert not errors, errors


def open_display(checkout_page, register):
    """The customer display in a second window of the same browser (and session) as the checkout."""
    display = checkout_page.context.new_page()
    display.goto(f"/pos/{register.code}/display/")
    expect(display.locator("#customer-display[data-ready=true]")).to_be_visible()
    expect(display.locator("#display-connection")).to_have_attribute("data-state", "live")
    display.evaluate("window.notReloaded = true")
    return display


def test_a_scan_shows_on_the_customer_display_and_paying_shows_the_change(
    register, cashier, product, yoghurt, server, chromium, errors
):
    checkout = open_live(chromium, server, register, errors)
    display = open_display(checkout, register)
    expect(display.locator(".customer-display__welcome")).to_be_visible()

    scan(checkout, product.barcode)
    scan(checkout, product.barcode)
    scan(checkout, yoghurt.barcode)

    lines = display.locator(".customer-display__line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_have_text("2 ×Milk€2.38")
    expect(lines.nth(1)).to_have_text("1 ×Joghurt natur 500 g€0.89")
    expect(display.locator("#display-total")).to_have_text("€3.27")
    expect(display.locator(".customer-display__welcome")).to_be_hidden()

    expect(checkout.locator("#total-amount")).to_have_text("€3.27")
    expect(checkout.locator("#scan")).to_be_focused()  # the answer is in: the next key is the cashier's
    checkout.keyboard.press("F4")
    checkout.keyboard.type("10")
    checkout.keyboard.press("Enter")

    expect(checkout.locator("#change-due")).to_have_text("€6.73")
    expect(display.locator("#customer-display")).to_have_attribute("data-state", "paid")
    expect(display.locator("#display-paid")).to_have_text("€10.00")
    expect(display.locator("#display-change")).to_have_text("€6.73")
    expect(display.locator(".customer-display__thanks")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    display.screenshot(path=SCREENSHOTS / "customer-display-paid.png")

    scan(checkout, product.barcode)  # the next customer
    expect(display.locator("#display-total")).to_have_text("€1.19")
    expect(display.locator(".customer-display__thanks")).to_be_hidden()
    assert display.evaluate("window.notReloaded === true")


def test_with_the_server_away_the_checkout_page_shows_the_sale_on_the_display_of_the_same_browser(
    register, cashier, product, server, chromium, errors
):
    checkout = open_live(chromium, server, register, errors, expected_console_errors=SERVER_AWAY)
    display = open_display(checkout, register)
    server.stop()
    expect(display.locator("#display-connection")).to_have_attribute("data-state", "reconnecting")

    checkout.evaluate(
        """async () => {
            const { showOnCustomerDisplay } = await import("/static/js/customer-display-channel.js");
            showOnCustomerDisplay("R1", {
                state: "open", currency_symbol: "€",
                lines: [{ name: "Grüße €5 — 中文 😀", quantity: "1", amount: "5.00" }],
                item_count: "1", total: "5.00", paid: "0.00", remaining: "5.00", change: "0.00",
            });
        }"""
    )

    expect(display.locator(".customer-display__line")).to_have_text("1 ×Grüße €5 — 中文 😀€5.00")
    expect(display.locator("#display-total")).to_have_text("€5.00")

    # The server is back: its snapshot on reconnecting does not wipe the sale the register shows.
    server.start()
    expect(display.locator("#display-connection")).to_have_attribute("data-state", "live")
    expect(display.locator("#display-total")).to_have_text("€5.00")


def test_a_sale_rung_up_offline_shows_on_the_display_of_the_same_browser_with_its_change(
    register, cashier, product, server, chromium, errors
):
    from tests.browser.test_offline import NO_SERVER, open_register, pay

    checkout = open_register(
        chromium, server.url, register, errors, expected_console_errors=f"{NO_SERVER}|{SERVER_AWAY}"
    )
    display = open_display(checkout, register)
    server.kill()

    scan(checkout, product.barcode)
    expect(checkout.locator("#connection")).to_have_attribute("data-state", "offline")
    scan(checkout, product.barcode)
    expect(display.locator(".customer-display__line")).to_have_text("2 ×Milk€2.38")
    expect(display.locator("#display-total")).to_have_text("€2.38")

    pay(checkout, "F4", "5")
    expect(checkout.locator("#change-due")).to_have_text("€2.62")
    expect(display.locator("#customer-display")).to_have_attribute("data-state", "paid")
    expect(display.locator("#display-change")).to_have_text("€2.62")
