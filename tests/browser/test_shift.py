"""A cashier's shift in a real browser: open with a float, sell in cash, cash out, close blind, see the variance."""

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from sales.models import CashMovement, Shift
from tests.browser.conftest import SCREENSHOTS, new_page, scan
from tests.conftest import PASSWORD
from tests.factories import RegisterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, chromium):
    errors = []
    yield new_page(chromium, live_server.url, errors)
    assert not errors, errors


def test_open_with_a_float_sell_in_cash_cash_out_close_blind_and_see_the_variance(store, cashier, product, page):
    register = RegisterFactory(store=store, code="R5", open_shift=False)

    page.goto("/pos/R5/")
    page.get_by_label("Username").fill("cashier")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")

    # No shift yet: the register asks for the float, counted by note and coin, the total kept as typed.
    expect(page).to_have_url(re.compile(r"/pos/R5/shift/$"))
    expect(page.get_by_role("heading", name="Open shift")).to_be_visible()
    expect(page.get_by_label("500.00")).to_be_focused()
    page.get_by_label("20.00").fill("2")
    page.get_by_label("0.50").fill("5")
    expect(page.locator("[data-count-total]")).to_have_text("42.50")
    page.keyboard.press("Enter")

    # Selling, in cash with change.
    expect(page.locator("#pos[data-ready=true]")).to_be_visible()
    expect(page.locator("#message")).to_contain_text("Shift opened with a float of 42.50 EUR")
    expect(page.locator("#scan")).to_be_focused()
    scan(page, product.barcode)
    scan(page, product.barcode)
    expect(page.locator("#total-amount")).to_have_text("€2.38")
    page.keyboard.press("F4")
    expect(page.locator("#amount")).to_be_focused()
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    expect(page.locator("#change-due")).to_have_text("€7.62")

    # F7: the shift page; cash out 20 to the safe.
    page.keyboard.press("Escape")
    page.keyboard.press("F7")
    expect(page.get_by_role("heading", name="Cash in / cash out")).to_be_visible()
    page.locator("#cash-kind").select_option("cash_out")
    page.locator("#cash-amount").fill("20,00")
    page.locator("#cash-reason").fill("To the safe")
    page.locator("#cash-reason").press("Enter")
    expect(page.locator("#shift-message")).to_have_text("Cash out 20.00 EUR: To the safe.")

    # Blind: the page shows no expected figure (42.50 + 10 − 7.62 − 20 = 24.88) before the count.
    expected = "24.88"
    assert expected not in page.content()
    page.get_by_label("20.00").fill("1")
    page.get_by_label("2.00").fill("2")
    page.get_by_label("0.50").fill("1")
    expect(page.locator(".shift-card--close [data-count-total]")).to_have_text("24.50")
    assert expected not in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "shift-close.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())  # "Close the shift with this count?"
    page.get_by_role("button", name="Close shift").click()

    # The Z report: expected, counted and the variance, shown only now.
    expect(page.locator("#variance")).to_contain_text("Variance -0.38 EUR")
    expect(page.locator("#variance")).to_contain_text("cash short")
    expect(page.locator(".shift-report")).to_contain_text("Expected cash")
    expect(page.locator(".shift-report")).to_contain_text(expected)
    page.screenshot(path=SCREENSHOTS / "shift-z-report.png", full_page=True)

    shift = Shift.objects.get(register=register)
    assert (shift.state, shift.opening_float, shift.expected_cash) == ("closed", D("42.50"), D("24.88"))
    assert (shift.counted_cash, shift.variance) == (D("24.50"), D("-0.38"))
    assert CashMovement.objects.get(shift=shift).amount == D("20.00")

    # The register sells nothing until the next float is counted.
    page.goto("/pos/R5/")
    expect(page.get_by_role("heading", name="Open shift")).to_be_visible()
