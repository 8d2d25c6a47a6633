"""A loyalty customer on a sale the register finishes offline: the points arrive once, when it syncs."""

import re
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from loyalty.models import Customer, LoyaltyProgram, PointsEntry
from loyalty.selectors import balance
from sales.models import OfflineSyncIssue, Sale
from tests.browser.conftest import scan
from tests.browser.test_offline import (  # noqa: F401
    BACK_ONLINE_MS,
    NO_SERVER,
    errors,
    open_register,
    pay,
    server,
)
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
    wait_for_copy(page, customer.card_number)

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


def wait_for_copy(page, card_number):
    """The page keeps a copy of the customers for offline lookup once it has loaded."""
    page.wait_for_function(
        """async (card) => {
            const { openCustomerStore } = await import("/static/js/customer-store.js");
            const store = await openCustomerStore("retailpos-customers");
            const found = await store.findByCard(card);
            store.close();
            return found !== null;
        }""",
        arg=card_number,
        timeout=15_000,
    )


def go_offline(page, product):
    page.context.set_offline(True)
    scan(page, product.barcode)  # no answer: the page takes the sale over
    expect(page.locator("#connection")).to_contain_text("Offline")


def add_customer(page, name, phone):
    """F3, then the new customer's name and phone, Enter: a few keystrokes."""
    page.keyboard.press("F3")
    expect(page.locator("#customer-search")).to_be_focused()
    form = page.locator("#new-customer-form")
    form.locator("[name=name]").fill(name)
    form.locator("[name=phone]").fill(phone)
    form.locator("[name=phone]").press("Enter")


def test_a_customer_added_offline_and_one_found_by_phone_sync_once_with_their_sales_and_points(
    register,
    cashier,
    product,
    customer,
    server,  # noqa: F811
    chromium,
    errors,  # noqa: F811
):
    customer.phone = "+491511234567"
    customer.save()
    page = open_register(chromium, server.url, register, errors)
    wait_for_copy(page, customer.card_number)
    go_offline(page, product)

    # A new customer at the counter, offline: attached at once, not yet synced, queued.
    add_customer(page, "Max Mustermann", "0170 555 0123")
    expect(page.locator("#customer .customer__name")).to_have_text("Max Mustermann")
    expect(page.locator("#customer .customer__meta")).to_have_text("New, not yet synced")
    expect(page.locator("#outbox-status")).to_have_text(re.compile(r"^1 new customer queued"))
    expect(page.locator("#scan")).to_be_focused()
    for _ in range(4):
        scan(page, product.barcode)
    expect(page.locator("#total-amount")).to_have_text("€5.95")
    pay(page, "F4", "10")
    expect(page.locator("#outbox-status")).to_have_text(re.compile(r"^1 sale and 1 new customer queued"))

    # The next customer is found by phone in the register's copy, typed as dialled.
    page.keyboard.press("Escape")
    scan(page, product.barcode)  # the finder keeps the keyboard even if this scan is drawn after F3
    page.keyboard.press("F3")
    page.keyboard.type("0151 1234567")
    expect(page.locator("#customer-results .search-result")).to_have_count(1)
    expect(page.locator("#customer-results .search-result__name")).to_have_text("Ada Lovelace")
    page.keyboard.press("Enter")
    expect(page.locator("#customer .customer__name")).to_have_text("Ada Lovelace")
    pay(page, "F4", "5")
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "3")

    page.context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)
    expect(page.locator("#sync-problems-button")).to_be_hidden()

    max_ = Customer.objects.get(name="Max Mustermann")
    assert (max_.phone, Customer.objects.count()) == ("01705550123", 2)
    sales = {sale.customer_id: sale for sale in Sale.objects.all()}
    assert set(sales) == {max_.pk, customer.pk}
    assert (sales[max_.pk].total, sales[customer.pk].total) == (D("5.95"), D("1.19"))
    assert sorted(PointsEntry.objects.filter(kind="earn").values_list("sale_id", "points")) == sorted(
        [(sales[max_.pk].pk, 5), (sales[customer.pk].pk, 1)]
    )
    assert (balance(max_.pk), balance(customer.pk)) == (5, 1)


def test_a_customer_added_offline_with_a_phone_already_on_the_server_is_reported_and_their_sale_is_the_owners(
    register,
    cashier,
    product,
    customer,
    server,  # noqa: F811
    chromium,
    errors,  # noqa: F811
):
    # The customer API's answer for the known phone (reported below, as it should be).
    conflict = r"the server responded with a status of 409 \(Conflict\)"
    page = open_register(chromium, server.url, register, errors, expected_console_errors=f"{NO_SERVER}|{conflict}")
    wait_for_copy(page, customer.card_number)
    go_offline(page, product)
    # Registered at another register meanwhile: this register's copy does not know her.
    owner = CustomerFactory(name="Grace Hopper", phone="+15550100")

    add_customer(page, "G. Hopper", "001 555 0100")
    expect(page.locator("#customer .customer__meta")).to_have_text("New, not yet synced")
    pay(page, "F4", "5")
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "2")

    page.context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)
    expect(page.locator("#message")).to_contain_text("Phone +15550100 was already Grace Hopper's")
    expect(page.locator("#sync-problems-button")).to_have_text("Sync problems (1)")
    page.locator("#sync-problems-button").click()
    expect(page.locator("#sync-problems-list .sync-problem")).to_contain_text(
        "not added again; the sales for G. Hopper are booked for Grace Hopper"
    )

    assert Customer.objects.filter(phone="+15550100").count() == 1
    assert Customer.objects.count() == 2  # Ada and Grace: no duplicate
    sale = Sale.objects.get()
    assert (sale.offline, sale.customer_id) == (True, owner.pk)
    assert list(PointsEntry.objects.filter(kind="earn").values_list("customer_id", "points")) == [(owner.pk, 1)]
    assert not OfflineSyncIssue.objects.exists()


@pytest.mark.parametrize("cap", [200, 0], ids=["cap on", "cap off"])
def test_offline_redemption_within_the_stores_cap_and_never_when_it_is_off(
    cap,
    store,
    register,
    cashier,
    product,
    customer,
    give_points,
    server,  # noqa: F811
    chromium,
    errors,  # noqa: F811
):
    store.offline_points_cap = cap
    store.save(update_fields=["offline_points_cap"])
    give_points(customer, 300)
    page = open_register(chromium, server.url, register, errors)
    wait_for_copy(page, customer.card_number)
    go_offline(page, product)
    scan(page, customer.card_number)
    expect(page.locator("#customer .customer__points")).to_contain_text("300 points")
    for _ in range(4):
        scan(page, product.barcode)
    expect(page.locator("#total-amount")).to_have_text("€5.95")

    if not cap:
        page.keyboard.press("F10")
        expect(page.locator("#message")).to_have_text(
            "Points cannot be redeemed while the register is offline at this store. Take another tender."
        )
        expect(page.locator("#tender-form input[value=points]")).to_have_count(0)
        pay(page, "F4", "10")
    else:
        pay(page, "F10", "2.50")  # 250 points: above the store's cap of 200
        expect(page.locator("#message")).to_contain_text(
            "Offline at most 200 points (2.00 EUR) can be redeemed per sale"
        )
        page.keyboard.press("F10")
        expect(page.locator("#amount")).to_have_value("2.00")  # what the cap allows
        page.keyboard.press("Enter")
        expect(page.locator("#totals .payments__item[data-method=points]")).to_have_count(1)
        pay(page, "F4", "5")
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "1")

    page.context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_attribute("data-count", "0", timeout=BACK_ONLINE_MS)

    sale = Sale.objects.get()
    redeemed = list(PointsEntry.objects.filter(kind="redeem").values_list("sale_id", "points"))
    if cap:
        assert redeemed == [(sale.pk, -200)]
        assert balance(customer.pk) == 300 - 200 + 3  # earned on the 3.95 paid in cash
    else:
        assert redeemed == []
        assert balance(customer.pk) == 300 + 5
    assert not OfflineSyncIssue.objects.exists()
