"""A loyalty customer on a sale the register finishes offline: the points arrive once, when it syncs."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from loyalty.models import LoyaltyProgram, PointsEntry
from loyalty.selectors import balance
from sales.models import Sale
from tests.browser.conftest import scan
from tests.browser.test_offline import BACK_ONLINE_MS, errors, open_register, pay, server  # noqa: F401
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def give_points():
    def give(customer, points):
        PointsEntry.objects.create(customer=customer, kind="adjustment", points=points, reason="test")

    return give


@pytest.fixture
def customer(db):
    LoyaltyProgram.current()  # a point per euro
    return CustomerFactory(name="Ada Lovelace")


def test_a_sale_with_a_customer_finished_offline_earns_once_when_it_syncs(
    register,
    cashier,
    product,
    customer,
    server,  # noqa: F811
    chromium,
    errors,  # noqa: F811
):
    page = open_register(chromium, server.url, register, errors)
    scan(page, customer.card_number)
    expect(page.locator("#customer .customer__name")).to_have_text("Ada Lovelace")
    for _ in range(10):
        scan(page, product.barcode)
    expect(page.locator("#total-amount")).to_have_text("€11.90")

    page.context.set_offline(True)
    scan(page, product.barcode)  # no answer: the page takes the sale over, customer included
    expect(page.locator("#connection")).to_contain_text("Offline")
    expect(page.locator("#total-amount")).to_have_text("€13.09")
    pay(page, "F4", "20")
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "1")

    page.context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)

    sale = Sale.objects.get()
    assert (sale.offline, sale.customer_id, sale.total) == (True, customer.pk, D("13.09"))
    assert list(PointsEntry.objects.filter(kind="earn").values_list("sale_id", "points")) == [(sale.pk, 13)]
    assert balance(customer.pk) == 13


def test_a_loyalty_card_scanned_offline_attaches_from_the_registers_copy_with_its_balance(
    register,
    cashier,
    product,
    customer,
    give_points,
    server,  # noqa: F811
    chromium,
    errors,  # noqa: F811
):
    give_points(customer, 42)
    page = open_register(chromium, server.url, register, errors)
    # The page keeps a copy of the customers for offline lookup once it has loaded.
    page.wait_for_function(
        """async (card) => {
            const { openCustomerStore } = await import("/static/js/customer-store.js");
            const store = await openCustomerStore("retailpos-customers");
            const found = await store.findByCard(card);
            store.close();
            return found !== null;
        }""",
        arg=customer.card_number,
        timeout=15_000,
    )

    page.context.set_offline(True)
    scan(page, product.barcode)
    expect(page.locator("#connection")).to_contain_text("Offline")
    scan(page, customer.card_number)
    expect(page.locator("#customer .customer__name")).to_have_text("Ada Lovelace")
    expect(page.locator("#customer .customer__points")).to_contain_text("42 points (as of")
    pay(page, "F4", "5")
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "1")

    page.context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)

    sale = Sale.objects.get()
    assert (sale.offline, sale.customer_id) == (True, customer.pk)
    assert balance(customer.pk) == 42 + 1
