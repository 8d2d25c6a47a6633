"""The checkout page in a real browser: the system Chromium driven by Playwright (sync API)."""

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from sales.models import CartPayment, Sale
from tests.browser.conftest import SCREENSHOTS, log_in_and_open, new_page, scan
from tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, chromium):
    """A 1280×800 page (the all-in-one register) served by the live server; fails the test on any script error.

    Request it after the fixtures that write data (see ``chromium``).
    """
    errors = []
    yield new_page(chromium, live_server.url, errors)
    assert not errors, errors


@pytest.fixture
def shelf(product, reduced_rate, stock):
    """Milk (1.19, 19 %) with 50 on hand and bread (2.14, 7 %) with 20."""
    bread = stock(ProductFactory(sku="BREAD", name="Roggenbrot 750 g", price=D("2.14"), tax_rate=reduced_rate), 20)
    return product, bread


def on_hand(product, store):
    return StockLevel.objects.get(product=product, store=store).on_hand


def test_scan_pay_cash_with_the_keyboard_only(register, cashier, shelf, page):
    milk, bread = shelf
    log_in_and_open(page, register)

    scan(page, milk.barcode)
    scan(page, bread.barcode)
    scan(page, milk.barcode)
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(page.locator("#total-amount")).to_have_text("€4.52")
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.press("F4")  # cash, amount prefilled with what is due and selected
    expect(page.locator("#amount")).to_be_focused()
    expect(page.locator("#amount")).to_have_value("4.52")
    page.keyboard.type("20")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "checkout.png")
    page.keyboard.press("Enter")

    expect(page.locator("#change-due")).to_have_text("€15.48")
    receipt_number = page.locator(".receipt-panel__number [data-receipt-number]").inner_text()
    assert receipt_number == f"{register.code}-000001"
    page.screenshot(path=SCREENSHOTS / "checkout-receipt.png")

    sale = Sale.objects.get(receipt_number=receipt_number)
    assert (sale.total, sale.change) == (D("4.52"), D("15.48"))
    assert on_hand(milk, register.store) == 48
    assert on_hand(bread, register.store) == 19

    page.goto(f"/pos/{register.code}/receipts/{sale.pk}/")
    expect(page.locator(".paper")).to_contain_text(receipt_number)
    page.screenshot(path=SCREENSHOTS / "receipt-page.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=SCREENSHOTS / "receipt-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back to register").click()
    expect(page.locator("#pos[data-ready=true]")).to_be_visible()

    # The next scan starts the next sale.
    expect(page.locator("#scan")).to_be_focused()
    scan(page, bread.barcode)
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#total-amount")).to_have_text("€2.14")


def test_double_clicked_pay_books_one_sale(register, cashier, shelf, page):
    milk, _ = shelf
    log_in_and_open(page, register)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")

    page.locator(".key--pay").dblclick()

    expect(page.locator("#change-due")).to_have_text("€0.00")
    assert Sale.objects.count() == 1
    assert on_hand(milk, register.store) == 49
    assert not CartPayment.objects.exists()

    # Focus is back in the scan field; the next scan closes the receipt and starts the next sale.
    expect(page.locator("#scan")).to_be_focused()
    scan(page, milk.barcode)
    expect(page.locator("#receipt")).to_be_hidden()
    expect(page.locator("#total-amount")).to_have_text("€1.19")


def test_after_paying_the_scan_field_has_the_focus_before_the_next_key_can_arrive(register, cashier, shelf, page):
    """The next scan straight after Pay must not land in the amount field of the empty next sale.

    htmx refocuses a swapped-in element with the focused one's id (#amount) at the end of its swap;
    keys are delivered as soon as that task ends, before any timer. So the focus must be on the scan
    field when the answer's task ends: a mutation observer's callback runs exactly then.
    """
    milk, _ = shelf
    log_in_and_open(page, register)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")
    page.evaluate(
        """() => {
            window.focusWhenPaid = null;
            new MutationObserver(() => {
                if (window.focusWhenPaid === null && !document.getElementById("receipt").hidden) {
                    window.focusWhenPaid = document.activeElement.id;
                }
            }).observe(document.getElementById("pos"), { subtree: true, childList: true, attributes: true });
        }"""
    )
    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    expect(page.locator("#change-due")).to_have_text("€0.00")
    assert page.evaluate("window.focusWhenPaid") == "scan"


def test_unknown_code_shows_a_message_and_keeps_the_scan_focus(register, cashier, shelf, page):
    milk, _ = shelf
    log_in_and_open(page, register)
    scan(page, milk.barcode)
    scan(page, "12345")
    expect(page.locator("#message")).to_contain_text("No product with barcode or SKU “12345”")
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator(".cart-line")).to_have_count(1)


def test_search_pick_with_keyboard_then_split_tender(register, cashier, shelf, page):
    log_in_and_open(page, register)

    page.keyboard.press("F2")
    page.keyboard.type("roggen")
    expect(page.locator(".search-result")).to_have_count(1)
    expect(page.locator(".search-result")).to_contain_text("On hand 20")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(".cart-line")).to_contain_text("Roggenbrot")
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.press("F8")  # card for part of it
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("#remaining-due")).to_have_text("€1.14")
    # The page puts the focus back in the scan field just after drawing the answer: wait for it, as
    # the cashier does, or it takes the focus from the tender F4 opens and Enter pays nothing.
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.press("F4")
    page.keyboard.press("Enter")  # the prefilled exact remainder in cash
    expect(page.locator("#change-due")).to_have_text("€0.00")
    sale = Sale.objects.get()
    assert [(p.method, p.amount) for p in sale.payments.all()] == [("card", D("1.000")), ("cash", D("1.140"))]


GROCERIES = [
    ("Bio Vollmilch 3,8 % 1 l", "1.39"),
    ("Äpfel Elstar, lose 1 kg", "2.49"),
    ("Kaffee Crema ganze Bohnen 1 kg", "13.99"),
    ("乌龙茶 Oolong Tee 250 g", "6.50"),
    ("Mineralwasser still 6 × 1,5 l", "3.29"),
    ("Spaghetti n° 5 500 g", "1.09"),
    ("Bananen Fairtrade 🍌 1 kg", "1.79"),
    ("Butter mild gesäuert 250 g", "2.29"),
    ("Tomaten passiert 500 g", "0.89"),
    ("Olivenöl extra vergine 0,75 l", "8.99"),
    ("Haferflocken kernig 500 g", "0.99"),
    ("Schokolade Zartbitter 70 % 100 g", "1.49"),
]


@pytest.fixture
def groceries(standard_rate, stock):
    return [stock(ProductFactory(name=name, price=D(price), tax_rate=standard_rate), 12) for name, price in GROCERIES]


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1024, 768), (800, 1280)])
def test_layout_fits_registers_and_tablets(register, cashier, groceries, page, width, height):
    products = groceries
    page.set_viewport_size({"width": width, "height": height})
    log_in_and_open(page, register)
    for product in products:
        scan(page, product.barcode)
    expect(page.locator(".cart-line")).to_have_count(len(products))
    scan(page, "4000000000000")
    expect(page.locator("#message")).to_contain_text("No product")

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    if width > height:  # the register: everything on one screen, the cart scrolls inside
        for selector in ("#scan", "#total-amount", ".key--pay", "#complete-form button"):
            expect(page.locator(selector)).to_be_in_viewport()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"checkout-{width}x{height}.png", full_page=True)

    page.keyboard.press("F2")
    page.keyboard.type("g")
    expect(page.locator(".search-result").first).to_be_visible()
    page.screenshot(path=SCREENSHOTS / f"search-{width}x{height}.png")


def test_scanning_again_updates_the_row_totals_and_quick_cash(register, cashier, shelf, page):
    milk, bread = shelf
    log_in_and_open(page, register)
    milk_row = page.locator(".cart-line", has_text="Milk")
    bread_row = page.locator(".cart-line", has_text="Roggenbrot")

    scan(page, milk.barcode)
    scan(page, milk.barcode)
    scan(page, bread.barcode)
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(milk_row.locator(".stepper__input")).to_have_value("2")
    expect(bread_row.locator(".stepper__input")).to_have_value("1")
    expect(page.locator("#total-amount")).to_have_text("€4.52")
    expect(page.locator(".cart__count")).to_have_text("2 lines · 3 items")
    expect(page.locator(".quick-cash__key--exact")).to_have_attribute("data-cash", "4.52")
    expect(page.locator(".quick-cash__key:not(.quick-cash__key--exact)")).to_have_text(["€5", "€10", "€20", "€50"])
    expect(bread_row).to_have_class(re.compile(r"\bis-changed\b"))  # the scanned line is highlighted
    expect(page.locator(".cart-line.is-changed")).to_have_count(1)
    expect(page.locator("#scan")).to_be_focused()

    scan(page, milk.barcode)
    expect(milk_row.locator(".stepper__input")).to_have_value("3")
    expect(milk_row).to_have_class(re.compile(r"\bis-changed\b"))
    expect(page.locator(".cart-line.is-changed")).to_have_count(1)
    expect(page.locator("#total-amount")).to_have_text("€5.71")
    expect(page.locator(".quick-cash__key--exact")).to_have_attribute("data-cash", "5.71")
    expect(page.locator("#scan")).to_be_focused()

    # A row swapped in on its own is wired up like the others: its buttons post without leaving the page.
    page.evaluate("window.stillThisPage = true")
    milk_row.get_by_role("button", name="One more Milk").click()
    expect(milk_row.locator(".stepper__input")).to_have_value("4")
    expect(page.locator("#total-amount")).to_have_text("€6.90")
    assert page.evaluate("window.stillThisPage === true")

    page.reload()  # the server's cart, as shown
    expect(page.locator("#pos[data-ready=true]")).to_be_visible()
    expect(page.locator(".cart-line")).to_have_count(2)
    expect(milk_row.locator(".stepper__input")).to_have_value("4")
    expect(page.locator("#total-amount")).to_have_text("€6.90")

    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    expect(page.locator("#change-due")).to_have_text("€0.00")
    scan(page, bread.barcode)  # the first scan of the next sale closes the receipt
    expect(page.locator("#receipt")).to_be_hidden()
    expect(page.locator(".cart-line")).to_have_count(1)
    expect(page.locator("#total-amount")).to_have_text("€2.14")
    expect(page.locator("#scan")).to_be_focused()


def test_a_line_added_in_another_window_shows_after_the_next_scan(register, cashier, shelf, page):
    from sales import services

    milk, bread = shelf
    log_in_and_open(page, register)
    scan(page, milk.barcode)
    expect(page.locator(".cart-line")).to_have_count(1)

    services.add_product(cart=services.open_cart(register), product=bread)  # another window
    scan(page, milk.barcode)

    expect(page.locator(".cart-line")).to_have_count(2)
    expect(page.locator(".cart-line", has_text="Milk").locator(".stepper__input")).to_have_value("2")
    expect(page.locator("#total-amount")).to_have_text("€4.52")
    expect(page.locator("#scan")).to_be_focused()


def test_a_sale_redrawn_at_a_price_changed_unseen_says_so(register, cashier, shelf, page):
    from inventory.models import Product

    milk, _ = shelf
    log_in_and_open(page, register)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")

    # Changed with no push reaching this page (it had no websocket, or was offline meanwhile).
    Product.objects.filter(pk=milk.pk).update(price=D("1.29"))
    page.get_by_role("button", name="One more Milk").click()

    expect(page.locator("#total-amount")).to_have_text("€2.58")
    expect(page.locator("#live-notices")).to_have_text(
        re.compile(r"Price of Milk changed from €1\.19 to €1\.29; this sale charges the new price\.")
    )
