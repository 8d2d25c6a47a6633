import uuid
from decimal import Decimal as D

import pytest

from retailpos.card_numbers import contains_card_number, luhn_valid
from sales import services
from sales.exceptions import PaymentInvalid
from sales.models import CartPayment, Sale
from sales.services import LineRequest, PaymentRequest, complete_sale


@pytest.mark.parametrize(
    "text",
    ["4111111111111111", "4111 1111 1111 1111", "card 5500-0000-0000-0004 ok", "378282246310005", "6011000990139424"],
)
def test_card_numbers_are_recognised(text):
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text", ["", "AUTH 123456", "4111111111111112", "TX-20261121-000042", "1234567890123", "00012345"]
)
def test_ordinary_references_pass(text):
    assert not contains_card_number(text)


def test_luhn():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_a_card_number_as_payment_reference_is_refused_and_not_stored(register, cashier, product):
    with pytest.raises(PaymentInvalid) as excinfo:
        complete_sale(
            register=register,
            cashier=cashier,
            sale_id=uuid.uuid4(),
            lines=[LineRequest(product, D("1"))],
            payments=[PaymentRequest("card", D("1.19"), "4111 1111 1111 1111")],
        )
    assert excinfo.value.field == "payments[0].reference"
    cart = services.open_cart(register)
    services.add_product(cart=cart, product=product)
    with pytest.raises(PaymentInvalid):
        services.add_cart_payment(
            cart=cart,
            sale_id=cart.sale_id,
            payment_id=uuid.uuid4(),
            method="card",
            amount=D("1.19"),
            reference="4111111111111111",
        )
    assert not Sale.objects.exists() and not CartPayment.objects.exists()


def test_the_api_names_the_reference_field(api, register, product):
    response = api.post(
        "/api/v1/sales/",
        {
            "id": str(uuid.uuid4()),
            "register": register.code,
            "lines": [{"sku": product.sku, "quantity": "1"}],
            "payments": [{"method": "card", "amount": "1.19", "reference": "4111-1111-1111-1111"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "card number" in response.json()["payments"]["0"]["reference"][0]
    assert not Sale.objects.exists()
