"""The supervisor's PIN modal on the checkout page, keyboard only, in a real browser."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from audit.models import AuditEntry
from sales import roles
from sales.approvals import set_pin
from sales.models import CartLine
from tests.browser.conftest import log_in_and_open, new_page, scan
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supervisor(db):
    user = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=user, pin="2580")
    return user


@pytest.fixture
def page(live_server, chromium):
    errors = []
    yield new_page(chromium, live_server.url, errors)
    assert not errors, errors


def test_a_discount_above_the_limit_is_approved_with_the_keyboard(register, cashier, supervisor, product, page):
    log_in_and_open(page, register)
    scan(page, product.barcode)
    discount = page.get_by_label("Discount % on Milk")
    expect(discount).to_be_visible()

    discount.fill("30")
    discount.press("Enter")

    modal = page.get_by_role("dialog", name="Supervisor approval")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("A discount above 10 % needs a supervisor's approval.")
    expect(modal.get_by_label("Supervisor")).to_be_focused()
    page.keyboard.type("sue")
    page.keyboard.press("Tab")
    page.keyboard.type("0000")
    page.keyboard.press("Enter")
    expect(modal).to_contain_text("Wrong PIN for sue")
    expect(modal.get_by_label("PIN")).to_be_focused()  # the supervisor's name stays, the PIN is asked again

    page.keyboard.type("2580")
    page.keyboard.press("Enter")

    expect(modal).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    expect(page.get_by_label("Discount % on Milk")).to_have_value("30")
    assert CartLine.objects.get().discount_percent == D("30")
    assert AuditEntry.objects.get(action="discount_override").approver == supervisor


def test_esc_closes_the_modal_and_changes_nothing(register, cashier, supervisor, product, page):
    log_in_and_open(page, register)
    scan(page, product.barcode)
    price = page.get_by_label("Charge another price for Milk (needs a supervisor)")
    price.fill("0.10")
    price.press("Enter")
    modal = page.get_by_role("dialog", name="Supervisor approval")
    expect(modal).to_be_visible()

    page.keyboard.press("Escape")

    expect(modal).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    assert CartLine.objects.get().unit_price is None
