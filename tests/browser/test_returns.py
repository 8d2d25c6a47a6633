"""A return with receipt in a real browser: from the checkout by keyboard, receipt → lines → refund slip."""

import uuid
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from inventory.models import StockLevel
from sales.models import Refund
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.browser.conftest import SCREENSHOTS, log_in_and_open, new_page
from tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sale(register, cashier, product, reduced_rate, stock):
    bread = stock(ProductFactory(sku="BREAD", name="Roggenbrot 750 g", price=D("2.14"), tax_rate=reduced_rate), 20)
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("2")), LineRequest(bread, D("1"))],
        payments=[PaymentRequest("cash", D("10.00"))],
    ).sale


@pytest.fixture
def page(live_server, chromium, sale):
    errors = []
    yield new_page(chromium, live_server.url, errors)
    assert not errors, errors


def test_a_return_with_receipt_by_keyboard(register, product, sale, page):
    log_in_and_open(page, register)

    page.keyboard.press("F6")
    expect(page.locator("#returns[data-ready=true]")).to_be_visible()
    expect(page.locator("#receipt")).to_be_focused()
    page.keyboard.type(sale.receipt_number)
    page.keyboard.press("Enter")

    milk = page.get_by_label("Quantity of Milk to return")
    expect(milk).to_be_focused()
    expect(page.locator(".return-line")).to_have_count(2)
    page.keyboard.type("3")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#return-sale .message--error")).to_have_text(
        "Only 2 of Milk can be returned (2 sold); asked for 3."
    )

    milk.fill("1")
    page.get_by_label("Reason", exact=True).fill("Sour")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#refund-total")).to_have_text("€1.19")
    expect(page.locator("#refund-receipt")).to_contain_text("Original receipt")
    expect(page.locator("#refund-receipt")).to_contain_text(sale.receipt_number)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "return.png")

    refund = Refund.objects.get()
    assert (refund.original_sale_id, refund.total, refund.reason) == (sale.pk, D("1.19"), "Sour")
    assert StockLevel.objects.get(product=product).on_hand == 49  # 50 − 2 sold + 1 back

    # Next return: Esc, the same receipt shows one milk already returned.
    page.keyboard.press("Escape")
    expect(page.locator("#receipt")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Quantity of Milk to return")).to_have_attribute("placeholder", "0 – 1")
    page.keyboard.press("F6")
    expect(page.locator("#pos[data-ready=true]")).to_be_visible()


def test_a_post_void_with_the_supervisors_pin(register, product, sale, manager, page, settings):
    from sales import roles
    from sales.approvals import set_pin
    from sales.models import Void
    from tests.factories import UserFactory

    set_pin(user=UserFactory(username="sue", role=roles.SUPERVISOR), pin="4711", set_by=manager)
    log_in_and_open(page, register)
    page.keyboard.press("F6")
    expect(page.locator("#returns[data-ready=true]")).to_be_visible()
    page.keyboard.type(sale.receipt_number)
    page.keyboard.press("Enter")

    page.get_by_label("Void reason").fill("Rang up twice")
    page.locator("#void-button").click()
    expect(page.locator("#approval-modal form")).to_be_visible()
    expect(page.get_by_role("textbox", name="Supervisor")).to_be_focused()
    page.keyboard.type("sue")
    page.keyboard.press("Tab")
    page.keyboard.type("4711")
    page.keyboard.press("Enter")

    expect(page.locator("#void-done")).to_contain_text("€4.52 back in cash")  # 10.00 taken, 5.48 change given
    expect(page.locator("#approval-modal form")).to_have_count(0)
    assert Void.objects.get().approval.supervisor.username == "sue"
    assert StockLevel.objects.get(product=product).on_hand == 50


def test_a_return_without_receipt_by_keyboard_through_the_supervisors_pin(register, product, manager, page):
    from audit.models import AuditEntry
    from sales import roles
    from sales.approvals import set_pin
    from tests.factories import UserFactory

    supervisor = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=supervisor, pin="4711", set_by=manager)
    log_in_and_open(page, register)
    page.keyboard.press("F6")
    expect(page.locator("#returns[data-ready=true]")).to_be_visible()

    page.keyboard.press("F7")
    expect(page.locator("#no-receipt-code")).to_be_focused()
    page.keyboard.type("NOPE")
    page.keyboard.press("Enter")
    expect(page.locator("#return-sale .message--error")).to_have_text("No product with barcode or SKU “NOPE”.")
    expect(page.locator("#no-receipt-code")).to_be_focused()

    page.keyboard.press("Control+a")
    page.keyboard.type(product.barcode)  # scanned
    page.keyboard.press("Enter")
    expect(page.locator(".return-line")).to_have_count(1)
    expect(page.locator("#no-receipt-code")).to_be_focused()
    expect(page.locator("#no-receipt-code")).to_have_value("")
    page.keyboard.type("milk")  # typed SKU: one more on the same line
    page.keyboard.press("Enter")
    expect(page.get_by_label("Quantity of Milk to return")).to_have_value("2")
    page.get_by_label("Reason", exact=True).fill("Gift, no receipt")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "return-without-receipt-lines.png")

    page.keyboard.press("Control+Enter")
    expect(page.locator("#approval-modal form")).to_be_visible()
    expect(page.get_by_role("textbox", name="Supervisor")).to_be_focused()
    page.keyboard.type("sue")
    page.keyboard.press("Tab")
    page.keyboard.type("0000")
    page.keyboard.press("Enter")
    expect(page.locator(".approval-modal__error")).to_be_visible()
    assert not Refund.objects.exists()
    expect(page.get_by_role("textbox", name="PIN")).to_be_focused()
    page.keyboard.type("4711")
    page.keyboard.press("Enter")

    expect(page.locator("#refund-total")).to_have_text("€2.38")
    expect(page.locator("#refund-receipt")).to_contain_text("none (approved)")
    expect(page.locator("#approval-modal form")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "return-without-receipt.png")
    refund = Refund.objects.get()
    assert (refund.original_sale, refund.total, refund.reason) == (None, D("2.38"), "Gift, no receipt")
    assert refund.approval.supervisor == supervisor
    assert StockLevel.objects.get(product=product).on_hand == 50  # 50 − 2 sold + 2 back
    assert AuditEntry.objects.get(action="return_without_receipt").approver == supervisor
    page.keyboard.press("Escape")
    expect(page.locator("#receipt")).to_be_focused()
