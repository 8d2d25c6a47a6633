"""The Return mode's pages (HTMX): find the receipt, pick quantities, refund."""

import uuid
from decimal import Decimal as D

import pytest

from sales.models import Refund
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sale(register, cashier, product):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("2"))],
        payments=[PaymentRequest("card", D("2.38"))],
    ).sale


def test_the_receipt_number_shows_the_lines_with_what_can_be_returned(cashier_client, register, sale):
    response = cashier_client.get("/pos/R1/returns/", {"receipt": "R1-000001"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="return-sale"' in html and "<html" not in html
    assert "Milk" in html and 'placeholder="0 – 2"' in html
    assert 'value="original"' in html  # paid by card: the original tender is offered


def test_an_unknown_receipt_says_so(cashier_client, register, sale):
    response = cashier_client.get("/pos/R1/returns/", {"receipt": "R1-777"}, **HTMX)

    assert "No sale with receipt number or code “R1-777”." in response.content.decode()


def test_refunding_shows_the_refund_receipt_and_a_repost_books_once(cashier_client, register, sale):
    line = sale.lines.get()
    form = {"refund_id": str(uuid.uuid4()), "sale": str(sale.pk), f"qty-{line.pk}": "1", "tender": "original"}

    first = cashier_client.post("/pos/R1/returns/refund/", form, **HTMX)
    again = cashier_client.post("/pos/R1/returns/refund/", form, **HTMX)

    assert first.status_code == again.status_code == 200
    assert "TOTAL REFUNDED" in first.content.decode() and "-1.19 EUR" in first.content.decode()
    refund = Refund.objects.get()
    assert [(p.method, p.amount) for p in refund.payments.all()] == [("card", D("1.19"))]


def test_more_than_can_be_returned_is_refused_with_the_reason(cashier_client, register, sale):
    line = sale.lines.get()
    form = {"refund_id": str(uuid.uuid4()), "sale": str(sale.pk), f"qty-{line.pk}": "3"}

    response = cashier_client.post("/pos/R1/returns/refund/", form, **HTMX)

    assert "Only 2 of Milk can be returned (2 sold); asked for 3." in response.content.decode()
    assert 'value="3"' in response.content.decode()  # what was typed stays
    assert not Refund.objects.exists()
    nothing = cashier_client.post("/pos/R1/returns/refund/", {**form, f"qty-{line.pk}": ""}, **HTMX)
    assert "Pick at least one line to return." in nothing.content.decode()
    words = cashier_client.post("/pos/R1/returns/refund/", {**form, f"qty-{line.pk}": "two"}, **HTMX)
    assert "Enter the quantity of Milk to return as a number." in words.content.decode()


def test_the_return_mode_needs_the_refund_permission(client, register, sale):
    client.force_login(UserFactory(username="visitor"))

    assert client.get("/pos/R1/returns/").status_code == 403
