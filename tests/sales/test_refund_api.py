"""POST /api/v1/refunds/: the refund service's HTTP door."""

import uuid
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from inventory.models import StockLevel
from sales import roles
from sales.approvals import approve, set_pin
from sales.models import Approval, Refund
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.factories import UserFactory

URL = "/api/v1/refunds/"


@pytest.fixture
def sale(register, cashier, product):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D("2"))],
        payments=[PaymentRequest("card", D("2.38"), "auth 7")],
    ).sale


def body(**overrides):
    return {
        "id": str(uuid.uuid4()),
        "register": "R1",
        "receipt": "R1-000001",
        "lines": [{"position": 1, "quantity": "1"}],
        **overrides,
    }


def test_a_refund_answers_201_and_a_retry_200_with_the_same_body(api, sale, product):
    request = body(payments=[{"method": "card", "amount": "1.19", "reference": "refund 7"}], reason="Leaking")

    created = api.post(URL, request, format="json")
    replayed = api.post(URL, request, format="json")

    assert created.status_code == 201, created.json()
    assert created.json() == {
        "id": request["id"],
        "number": "R1-RF-000002",
        "register": "R1",
        "original_receipt_number": "R1-000001",
        "currency": "EUR",
        "total": "1.19",
        "tax_total": "0.19",
        "reason": "Leaking",
        "created_at": created.json()["created_at"],
        "lines": [{"sku": "MILK", "name": "Milk", "quantity": "1", "amount": "1.19", "tax": "0.19"}],
        "payments": [{"method": "card", "amount": "1.19", "reference": "refund 7"}],
    }
    assert (replayed.status_code, replayed.json()) == (200, created.json())
    assert StockLevel.objects.get(product=product).on_hand == 49
    conflict = api.post(URL, {**request, "lines": [{"position": 1, "quantity": "2"}]}, format="json")
    assert conflict.status_code == 409
    assert conflict.json() == {"id": [f"Refund {request['id']} was already booked with different content."]}


def test_the_receipts_scanned_code_finds_the_original(api, sale):
    response = api.post(URL, body(receipt=str(sale.pk)), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["original_receipt_number"] == "R1-000001"


def test_more_than_sold_and_twice_beyond_it_are_400_naming_the_line(api, sale):
    too_many = api.post(URL, body(lines=[{"position": 1, "quantity": "3"}]), format="json")
    assert too_many.status_code == 400
    assert too_many.json() == {"lines": {"0": {"quantity": ["Only 2 of Milk can be returned (2 sold); asked for 3."]}}}

    assert api.post(URL, body(lines=[{"position": 1, "quantity": "2"}]), format="json").status_code == 201
    again = api.post(URL, body(), format="json")
    assert again.status_code == 400
    assert again.json() == {
        "lines": {"0": {"quantity": ["Only 0 of Milk can be returned (2 sold, 2 already returned); asked for 1."]}}
    }


def test_bad_input_is_400_naming_the_field(api, sale):
    def errors(**overrides):
        response = api.post(URL, body(**overrides), format="json")
        assert response.status_code == 400
        return response.json()

    assert errors(receipt="R1-424242") == {"receipt": ["No sale with receipt number or code “R1-424242”."]}
    assert errors(lines=[{"position": 9, "quantity": "1"}]) == {
        "lines": {"0": {"position": ["Receipt R1-000001 has no line 9."]}}
    }
    assert errors(lines=[{"position": 1, "quantity": "0"}]) == {
        "lines": {"0": {"quantity": ["Quantity must be greater than zero, got 0."]}}
    }
    assert errors(lines=[]) == {"lines": ["Pick at least one line to return."]}
    assert "payments" in errors(payments=[{"method": "cash", "amount": "5.00"}])
    assert not Refund.objects.exists()


def test_a_return_without_receipt_without_approval_is_400(api, register, product):
    response = api.post(URL, body(receipt=None, lines=[{"sku": "MILK", "quantity": "1"}]), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "approval": ["A return without receipt needs a supervisor's approval: ask a supervisor for their PIN."]
    }


def test_a_return_without_receipt_with_approval_is_booked(api, register, cashier, manager, product, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    supervisor = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=supervisor, pin="4711", set_by=manager)
    approval = approve(
        action=Approval.Action.RETURN_WITHOUT_RECEIPT,
        supervisor_username="sue",
        pin="4711",
        cashier=cashier,
        register=register,
    )

    response = api.post(
        URL, body(receipt=None, lines=[{"sku": "MILK", "quantity": "1"}], approval=str(approval.pk)), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["original_receipt_number"] is None
    assert response.json()["payments"] == [{"method": "cash", "amount": "1.19", "reference": ""}]


def test_refunds_need_the_refund_permission(register, sale):
    client = APIClient()
    client.force_login(UserFactory(username="visitor"))

    response = client.post(URL, body(), format="json")

    assert response.status_code == 403
    assert "sales.add_refund" in response.json()["detail"]
