import uuid
from decimal import Decimal as D

import pytest
from rest_framework import serializers

from sales.serializers import SaleInputSerializer, SaleOutputSerializer, SaleReceipt, _validate_well_formed
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
    store = StoreFactory(
        code=f"s-{currency}", currency=currency, prices_include_tax=prices_include_tax, max_discount_percent=D("20")
    )
    register = RegisterFactory(store=store, code=f"R-{currency}")
    milk = stock(ProductFactory(sku="MILK", price=D("1.19"), tax_rate=standard_rate), 50, target_store=store)
    cheese_price = D("9") if currency == "JPY" else D("12.345")
    cheese = stock(ProductFactory(sku="CHEESE", price=cheese_price, tax_rate=reduced_rate), 50, target_store=store)
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


# --- Input: the well-formed sale's shortcut must agree with DRF's own validation -------------

SALE_ID = "6f1c6d1e-2b7a-4c55-9d3e-0a4b8e1f2c3d"


def base_payload(**overrides) -> dict:
    payload = {
        "id": SALE_ID,
        "register": "R1",
        "lines": [{"sku": "MILK", "quantity": "2"}, {"sku": "BREAD", "quantity": 1, "discount_percent": "10"}],
        "payments": [{"method": "cash", "amount": "10.00"}],
    }
    payload.update(overrides)
    return payload


WELL_FORMED = [
    base_payload(),
    base_payload(id=SALE_ID.upper()),
    base_payload(id=SALE_ID.replace("-", "")),
    base_payload(created_at="2026-11-21T10:00:00Z", offline_receipt_number="R1-OFF-3fa2-000042"),
    base_payload(created_at="2026-11-21T10:00:00+01:00"),
    base_payload(created_at="2026-11-21T10:00:00"),  # naive: the server's time zone
    base_payload(created_at=None, offline_receipt_number=None),
    base_payload(lines=[{"sku": " MILK ", "quantity": D("1.500"), "unit_price": "1.19", "discount_percent": D("0")}]),
    base_payload(lines=[{"sku": "MILK", "quantity": "3", "unit_price": None, "colour": "ignored"}]),
    base_payload(
        payments=[{"method": "card", "amount": 5, "reference": "  AUTH-7  "}, {"method": "cash", "amount": "5"}]
    ),
    base_payload(extra="ignored"),
]

MALFORMED = [
    base_payload(id="not-a-uuid"),
    base_payload(register="NOPE"),
    base_payload(register=7),
    base_payload(lines="MILK"),
    base_payload(lines=[["MILK", 1]]),
    base_payload(lines=[{"sku": "NOPE", "quantity": "1"}]),
    base_payload(lines=[{"sku": "", "quantity": "1"}]),
    base_payload(lines=[{"sku": "MILK"}]),
    base_payload(lines=[{"sku": "MILK", "quantity": "1.0001"}]),
    base_payload(lines=[{"sku": "MILK", "quantity": "12345678901"}]),
    base_payload(lines=[{"sku": "MILK", "quantity": "NaN"}]),
    base_payload(lines=[{"sku": "MILK", "quantity": True}]),
    base_payload(lines=[{"sku": "MILK", "quantity": "1", "discount_percent": "1000"}]),
    base_payload(lines=[{"sku": "MILK" * 20, "quantity": "1"}]),
    base_payload(lines=[{"sku": "MILK", "quantity": "1"}] * 501),
    base_payload(payments=[{"method": "cheque", "amount": "1"}]),
    base_payload(payments=[{"method": "cash"}]),
    base_payload(payments=[{"method": "cash", "amount": "1", "reference": "x" * 101}]),
    base_payload(payments=[{"method": "cash", "amount": "1"}] * 21),
    base_payload(created_at="yesterday"),
    base_payload(offline_receipt_number="R1-OFF-" + "9" * 40),
    {key: value for key, value in base_payload().items() if key != "payments"},
    ["not", "a", "sale"],
]


def both_paths(payload):
    """(DRF's own to_internal_value, the serializer's) as ("ok", value) or ("error", detail)."""

    def outcome(validate):
        try:
            return "ok", validate(SaleInputSerializer(data=payload), payload)
        except serializers.ValidationError as error:
            return "error", error.detail

    return outcome(serializers.Serializer.to_internal_value), outcome(SaleInputSerializer.to_internal_value)


@pytest.fixture
def catalogue(db, register, standard_rate):
    ProductFactory(sku="MILK", tax_rate=standard_rate)
    ProductFactory(sku="BREAD", tax_rate=standard_rate)


@pytest.mark.parametrize("payload", WELL_FORMED)
def test_a_well_formed_sale_takes_the_shortcut_to_what_drf_validates(catalogue, payload):
    assert _validate_well_formed(payload) is not None
    drf, ours = both_paths(payload)
    assert drf[0] == "ok", drf
    assert ours == drf


@pytest.mark.parametrize("payload", MALFORMED)
def test_a_malformed_sale_gets_drfs_own_errors(catalogue, payload):
    drf, ours = both_paths(payload)
    assert drf[0] == "error"
    assert ours == drf
