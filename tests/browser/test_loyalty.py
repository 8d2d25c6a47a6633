"""Loyalty at the counter in a real browser: a card scanned, part paid with points, the new balance printed."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from loyalty.models import LoyaltyProgram, PointsEntry
from loyalty.selectors import balance
from sales.models import Sale
from tests.browser.conftest import SCREENSHOTS, log_in_and_open, new_page, scan
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(db):
    program = LoyaltyProgram.current()  # a point per euro, a point is worth a cent
    program.tiers.create(name="Basic", min_spend=D("0"), multiplier=D("1"))
    customer = CustomerFactory(name="Ada Lovelace")
    PointsEntry.objects.create(customer=customer, kind="adjustment", points=250, reason="welcome")
    return customer


@pytest.fixture
def page(live_server, chromium):
    errors = []
    yield new_page(chromium, live_server.url, errors)
    assert not errors, errors


def test_scan_a_loyalty_card_pay_part_with_points_and_the_receipt_shows_the_new_balance(
    register, cashier, product, customer, page
):
    log_in_and_open(page, register)

    scan(page, customer.card_number)
    expect(page.locator("#customer .customer__name")).to_have_text("Ada Lovelace")
    expect(page.locator("#customer .customer__points")).to_have_text("250 points")
    scan(page, product.barcode)
    scan(page, product.barcode)
    scan(page, product.barcode)
    expect(page.locator("#total-amount")).to_have_text("€3.57")
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.press("F10")  # points, prefilled with what they pay: 2.50 of the 3.57 due
    expect(page.locator("#amount")).to_have_value("2.50")
    page.keyboard.press("Enter")
    expect(page.locator("#remaining-due")).to_have_text("€1.07")
    page.keyboard.press("F4")
    expect(page.locator("#amount")).to_have_value("1.07")
    page.keyboard.press("Enter")

    paper = page.locator("#receipt-paper")
    expect(paper.locator("[data-points-redeemed]")).to_have_text("250")
    expect(paper.locator("[data-points-earned]")).to_have_text("1")  # 1.07 paid in cash
    expect(paper.locator("[data-points-balance]")).to_have_text("1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "checkout-loyalty.png")
    sale = Sale.objects.get()
    assert (sale.customer_id, sale.total) == (customer.pk, D("3.57"))
    assert sorted(sale.payments.values_list("method", "amount")) == [("cash", D("1.07")), ("points", D("2.50"))]
    assert balance(customer.pk) == 1
    # The next sale starts without the customer.
    expect(page.locator("#customer .customer__find")).to_be_attached()
