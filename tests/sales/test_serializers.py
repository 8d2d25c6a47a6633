import uuid
from decimal import Decimal as D

import pytest
from rest_framework import serializers

from sales.serializers import SaleOutputSerializer, SaleReceipt
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.factories import ProductFactory, RegisterFactory, StoreFactory


def field_by_field(receipt: SaleReceipt, currency: str) -> dict:
    """DRF's generic output of the declared fields: what the written-out answer must equal."""
    serializer = SaleOutputSerializer(receipt, context={"currency": currency})
    return serializers.Serializer.to_representation(serializer, receipt)


@pytest.mark.parametrize("currency, prices_include_tax", [("EUR", True), ("JPY", False), ("KWD", True)])
def test_the_sale_answer_equals_the_declared_fields_output(
    db, cashier, standard_rate, reduced_rate, stock, currency, prices_include_tax
):
    store = StoreFactory(code=f"s-{currency}", currency=currency, prices_include_tax=prices_include_tax)
    register = RegisterFactory(store=store, code=f"R-{currency}")
    milk = stock(ProductFactory(sku="MILK", price=D("1.19"), tax_rate=standard_rate), 50, target_store=store)
    cheese = stock(ProductFactory(sku="CHEESE", price=D("12.345"), tax_rate=reduced_rate), 50, target_store=store)
    lines = [
        LineRequest(milk, D("3")),
        LineRequest(cheese, D("0.375"), discount_percent=D("12.5"), unit_price=D("9") if currency == "JPY" else None),
    ]
    payments = [PaymentRequest("card", D("1"), "AUTH-1"), PaymentRequest("cash", D("50"))]
    sale = complete_sale(register=register, cashier=cashier, sale_id=uuid.uuid4(), lines=lines, payments=payments).sale

    booked = SaleReceipt.from_booking(sale, lines, payments)
    stored = SaleReceipt.from_database(sale)

    answer = SaleOutputSerializer(booked, context={"currency": currency}).data
    assert answer == field_by_field(booked, currency)
    assert SaleOutputSerializer(stored, context={"currency": currency}).data == field_by_field(stored, currency)
    assert answer["lines"][1]["quantity"] == "0.375" and answer["lines"][1]["discount_percent"] == "12.5"
