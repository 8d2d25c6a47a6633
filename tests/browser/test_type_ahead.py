"""Keys typed while the server is still answering the last payment or scan: kept, then used in order
on the sale as the answer draws it (static/js/type-ahead.js). The server is made slow on purpose: a
proxy in front of it holds the answer until the test has typed."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from sales.models import CartPayment, Sale
from tests.browser.conftest import log_in_and_open, new_page, scan
from tests.factories import ProductFactory
from tests.proxy import DroppingProxy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shelf(product, reduced_rate, stock):
    """Milk (1.19, 19 %) with 50 on hand and bread (2.14, 7 %) with 20."""
    bread = stock(ProductFactory(sku="BREAD", name="Roggenbrot 750 g", price=D("2.14"), tax_rate=reduced_rate), 20)
    return product, bread


@pytest.fixture
def proxy(live_server):
    proxy = DroppingProxy(int(live_server.url.rsplit(":", 1)[1]))
    yield proxy
    proxy.close()


# What the browser logs when an answer never comes (htmx and Chromium's own network error).
ANSWER_LOST = r"htmx:(sendError|afterRequest)|Failed to load resource: net::ERR_EMPTY_RESPONSE"


@pytest.fixture
def page(proxy, chromium):
    """The checkout through the proxy; fails the test on any script or console error."""
    errors = []
    yield new_page(chromium, proxy.url, errors)
    assert not errors, errors


@pytest.fixture
def page_losing_an_answer(proxy, chromium):
    """As ``page``, where the console errors of an answer lost on the way are expected."""
    errors = []
    yield new_page(chromium, proxy.url, errors, expected_console_errors=ANSWER_LOST)
    assert not errors, errors


def ring_up(page, register, shelf):
    milk, bread = shelf
    log_in_and_open(page, register)
    for product in (milk, bread, milk):
        scan(page, product.barcode)
    expect(page.locator("#total-amount")).to_have_text("€4.52")


def pay_by_card_slowly(page, proxy, register, amount):
    """F8, the amount, Enter: the server books the card payment, its answer waits for ``release()``."""
    held = proxy.hold_answers("POST", f"/pos/{register.code}/tender/")
    page.keyboard.press("F8")
    expect(page.locator("#amount")).to_be_focused()
    page.keyboard.type(amount)
    page.keyboard.press("Enter")
    held.wait_until_arrived()
    expect(page.locator("#tender-form.htmx-request")).to_have_count(1)  # still on its way
    return held


def payments(sale):
    return sorted(sale.payments.values_list("method", "amount"))


def test_f4_enter_right_after_a_card_payment_pays_the_new_due_once_the_answer_is_in(
    register, cashier, shelf, proxy, page
):
    ring_up(page, register, shelf)
    held = pay_by_card_slowly(page, proxy, register, "2")

    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    assert CartPayment.objects.count() == 1  # the card only: the keys wait for the answer
    held.release()

    expect(page.locator("#change-due")).to_have_text("€0.00")
    sale = Sale.objects.get()
    assert sale.total == D("4.52")
    assert payments(sale) == [("card", D("2.00")), ("cash", D("2.52"))]  # the new due, not the stale 4.52
    expect(page.locator("#scan")).to_be_focused()


def test_a_double_enter_pays_once_and_digits_typed_meanwhile_go_into_the_new_amount(
    register, cashier, shelf, proxy, page
):
    ring_up(page, register, shelf)
    held = pay_by_card_slowly(page, proxy, register, "2")

    page.keyboard.press("Enter")  # the same payment again (a bouncing key): never a second one
    page.keyboard.press("F4")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    held.release()

    expect(page.locator("#change-due")).to_have_text("€2.48")
    sale = Sale.objects.get()
    assert payments(sale) == [("card", D("2.00")), ("cash", D("5.00"))]
    assert sale.change == D("2.48")


def test_keys_typed_before_a_refusal_are_dropped_and_the_cashier_is_told(register, cashier, shelf, proxy, page):
    ring_up(page, register, shelf)
    held = pay_by_card_slowly(page, proxy, register, "99")  # more than is due: the server refuses

    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    held.release()

    message = page.locator("#message")
    expect(message).to_contain_text("Card can pay at most the 4.52 EUR due")
    expect(message).to_contain_text("F4 Enter")
    expect(message).to_have_class("message message--error")
    assert not CartPayment.objects.exists() and not Sale.objects.exists()

    # Nothing is stuck: the same keys now pay as usual.
    page.keyboard.press("F4")
    expect(page.locator("#amount")).to_have_value("4.52")
    page.keyboard.press("Enter")
    expect(page.locator("#change-due")).to_have_text("€0.00")
    assert payments(Sale.objects.get()) == [("cash", D("4.52"))]


def test_f4_enter_right_after_a_scan_pays_the_total_with_the_scanned_item(register, cashier, shelf, proxy, page):
    milk, bread = shelf
    log_in_and_open(page, register)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")

    held = proxy.hold_answers("POST", f"/pos/{register.code}/scan/")
    scan(page, bread.barcode)
    held.wait_until_arrived()
    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    held.release()

    expect(page.locator("#change-due")).to_have_text("€0.00")
    sale = Sale.objects.get()
    assert sale.total == D("3.33")
    assert payments(sale) == [("cash", D("3.33"))]


def test_exact_tapped_right_after_a_scan_pays_the_total_with_the_scanned_item(register, cashier, shelf, proxy, page):
    milk, bread = shelf
    log_in_and_open(page, register)
    scan(page, milk.barcode)
    expect(page.locator("#total-amount")).to_have_text("€1.19")

    held = proxy.hold_answers("POST", f"/pos/{register.code}/scan/")
    scan(page, bread.barcode)
    held.wait_until_arrived()
    page.locator(".quick-cash__key--exact").click()  # still showing €1.19
    held.release()

    expect(page.locator("#change-due")).to_have_text("€0.00")
    assert payments(Sale.objects.get()) == [("cash", D("3.33"))]


def test_keys_typed_before_a_lost_answer_are_dropped_and_the_cashier_is_told(
    register, cashier, shelf, proxy, page_losing_an_answer
):
    page = page_losing_an_answer
    ring_up(page, register, shelf)
    proxy.drop_answers("POST", f"/pos/{register.code}/tender/")
    held = pay_by_card_slowly(page, proxy, register, "2")

    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    held.release()  # and lost on the way: booked or not, the page cannot know; F4 would fill in a guess

    message = page.locator("#message")
    expect(message).to_contain_text("Not done, type again: F4 Enter")
    # The page finds the server again and fetches the sale: the card payment is there, the note stays.
    expect(page.locator("#remaining-due")).to_have_text("€2.52")
    expect(message).to_contain_text("Not done, type again: F4 Enter")
    assert sorted(CartPayment.objects.values_list("method", "amount")) == [("card", D("2.00"))]
    # Until the next answer to the cashier's keys.
    page.keyboard.press("F4")
    expect(page.locator("#amount")).to_have_value("2.52")
    page.keyboard.press("Enter")
    expect(page.locator("#change-due")).to_have_text("€0.00")
    expect(message).not_to_contain_text("Not done")
    assert sorted(Sale.objects.get().payments.values_list("method", "amount")) == [
        ("card", D("2.00")),
        ("cash", D("2.52")),
    ]
