"""A customer at the checkout page (HTMX): attach by card or search, add one, pay with points."""

import uuid

import pytest

from loyalty.models import Customer
from sales.models import Cart, CartPayment, Sale
from tests.sales.test_checkout_views import pos  # noqa: F401  (the HTMX driver fixture)


@pytest.fixture
def cart(register):
    return Cart.objects.get_or_create(register=register)[0]


def text(response):
    return response.content.decode()


def test_scanning_a_card_attaches_its_customer(pos, customer, cart):  # noqa: F811
    response = pos.scan(customer.card_number)

    assert response.status_code == 200
    assert "Customer Ada Lovelace attached." in text(response)
    assert 'class="customer__name">Ada Lovelace' in text(response)
    cart.refresh_from_db()
    assert cart.customer == customer


def test_an_unknown_card_is_said_and_nothing_attached(pos, cart, program):  # noqa: F811
    from loyalty.rules import make_card_number

    response = pos.scan(make_card_number("99999999"))

    assert "No customer with loyalty card" in text(response)
    cart.refresh_from_db()
    assert cart.customer is None


def test_an_imported_card_number_in_another_format_is_found_when_no_product_has_it(pos, cart, customer):  # noqa: F811
    Customer.objects.filter(pk=customer.pk).update(card_number="LC-0042")

    pos.scan("LC-0042")

    cart.refresh_from_db()
    assert cart.customer == customer


def test_search_by_phone_card_or_name_and_attach(pos, customer, cart):  # noqa: F811
    for query in ("0151 1234", "lovelace", customer.card_number):
        response = pos.get("customer-search", {"q": query})
        assert f'data-customer="{customer.pk}"' in text(response), query
    assert "No customer matches" in text(pos.get("customer-search", {"q": "nobody"}))

    pos.post("customer-attach", {"customer": str(customer.pk)})

    cart.refresh_from_db()
    assert cart.customer == customer


def test_a_phone_typed_with_full_width_digits_finds_the_customer_and_is_stored_normalised(pos, customer, cart):  # noqa: F811
    # An East Asian input method types ０１５１…: the same phone (loyalty.rules, mirrored offline).
    assert f'data-customer="{customer.pk}"' in text(pos.get("customer-search", {"q": "０１５１ １２３４５６７"}))

    pos.post("customer-new", {"name": "Grace Hopper", "phone": "＋８６ １３８ ００１３ ８０００"})

    assert Customer.objects.get(name="Grace Hopper").phone == "+8613800138000"


def test_a_new_customer_in_a_few_keystrokes_and_a_known_phone_reported(pos, cart, customer):  # noqa: F811
    response = pos.post("customer-new", {"name": "Grace Hopper", "phone": "0170 555 01"})

    grace = Customer.objects.get(name="Grace Hopper")
    assert f"Customer Grace Hopper added, card {grace.card_number}." in text(response)
    cart.refresh_from_db()
    assert cart.customer == grace

    again = pos.post("customer-new", {"name": "Ada L.", "phone": "+49 151 1234567"})

    assert "already belongs to Ada Lovelace" in text(again)
    assert Customer.objects.count() == 2


def test_the_counter_form_sent_twice_with_the_registers_id_adds_the_customer_once(pos, cart, program):  # noqa: F811
    # The page sets customer_id on submit: a retry, or the same form sent again offline later
    # (through the customer API, as the register's outbox does), adds one customer.
    form = {"customer_id": str(uuid.uuid4()), "name": "Grace Hopper", "phone": "0170 555 01", "email": ""}

    first, again = pos.post("customer-new", form), pos.post("customer-new", form)

    assert "Customer Grace Hopper added" in text(first) and "Customer Grace Hopper added" in text(again)
    grace = Customer.objects.get()
    assert str(grace.pk) == form["customer_id"]
    body = {"id": form["customer_id"], "name": "Grace Hopper", "phone": "017055501", "marketing_consent": False}
    assert pos.client.post("/api/v1/customers/", body, content_type="application/json").status_code == 200
    assert Customer.objects.count() == 1


def test_the_customer_finder_stays_in_the_page_hidden_while_a_customer_is_attached(pos, cart, customer):  # noqa: F811
    response = pos.scan(customer.card_number)

    assert '<details class="customer__find" hidden>' in text(response)
    assert 'id="new-customer-form"' in text(response)


def test_points_need_an_attached_customer(pos, cart, product):  # noqa: F811
    pos.scan(product.barcode)
    response = pos.post(
        "tender",
        {"sale_id": cart.sale_id, "payment_id": uuid.uuid4(), "method": "points", "amount": "1.00"},
    )

    assert "Attach the customer first" in text(response)
    assert not CartPayment.objects.exists()


def test_points_beyond_the_balance_are_refused_at_the_tender(pos, cart, product, customer, give_points):  # noqa: F811
    give_points(customer, 100)
    pos.scan(customer.card_number)
    pos.scan(product.barcode)
    pos.scan(product.barcode)

    response = pos.post(
        "tender", {"sale_id": cart.sale_id, "payment_id": uuid.uuid4(), "method": "points", "amount": "1.01"}
    )

    assert "has 100 points; paying this needs 101" in text(response)
    ok = pos.post("tender", {"sale_id": cart.sale_id, "payment_id": uuid.uuid4(), "method": "points", "amount": "1.00"})
    assert 'data-points-balance="100"' in text(ok)  # the balance moves when the sale completes
    assert "0 = €0.00" in text(ok)  # nothing more to redeem on this sale
    assert not Sale.objects.exists()


def test_removing_the_customer_drops_the_points_tendered(pos, cart, product, customer, give_points):  # noqa: F811
    give_points(customer, 100)
    pos.scan(customer.card_number)
    pos.scan(product.barcode)
    pos.post("tender", {"sale_id": cart.sale_id, "payment_id": uuid.uuid4(), "method": "points", "amount": "1.00"})

    pos.post("customer-detach")

    cart.refresh_from_db()
    assert cart.customer is None
    assert not CartPayment.objects.exists()
