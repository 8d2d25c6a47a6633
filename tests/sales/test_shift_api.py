"""The register's shift API: open, cash movements, blind close, sign-off; retries and errors by field."""

import uuid

import pytest
from rest_framework.test import APIClient

from devices.models import Printer, PrintJob
from sales.models import CashMovement, Sale, Shift
from sales.shift_reports import open_shift_of
from tests.factories import RegisterFactory, UserFactory

FLOAT = {"20": 2, "0.50": 4}  # 42.00


@pytest.fixture
def fresh_register(store):
    return RegisterFactory(store=store, code="R2", open_shift=False)


def open_body(**overrides):
    return {"id": str(uuid.uuid4()), "register": "R2", "denominations": FLOAT, **overrides}


def test_opening_answers_201_then_200_for_the_retry_and_409_for_another_float(api, fresh_register):
    body = open_body()
    created = api.post("/api/v1/shifts/", body, format="json")
    again = api.post("/api/v1/shifts/", body, format="json")
    other = api.post("/api/v1/shifts/", {**body, "denominations": {"20": 3}}, format="json")

    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["id"], data["register"], data["state"], data["opened_by"]) == (body["id"], "R2", "open", "cashier")
    assert data["opening_float"] == "42.00"
    assert data["opening_denominations"] == {"20.00": 2, "0.50": 4}
    assert data["expected_cash"] is None
    assert (again.status_code, again.json()) == (200, data)
    assert other.status_code == 409
    assert "already opened with a different float" in other.json()["id"][0]
    assert Shift.objects.count() == 1


def test_a_second_open_shift_on_the_register_is_a_409_on_register(api, fresh_register):
    api.post("/api/v1/shifts/", open_body(), format="json")

    response = api.post("/api/v1/shifts/", open_body(), format="json")

    assert response.status_code == 409
    assert "R2 already has an open shift" in response.json()["register"][0]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (open_body(denominations={"0.03": 1}), "denominations", "'0.03' is not a EUR note or coin"),
        (open_body(denominations={"1": -2}), "denominations", "between 0 and"),
        (open_body(denominations=[1, 2]), "denominations", "Expected a dictionary"),
        (open_body(register="NOPE"), "register", "No register with code 'NOPE'."),
        (open_body(id="not-a-uuid"), "id", "Must be a valid UUID."),
    ],
)
def test_bad_input_to_open_is_a_400_naming_the_field(api, fresh_register, body, field, message):
    response = api.post("/api/v1/shifts/", body, format="json")

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not Shift.objects.exists()


def test_a_sale_on_a_register_without_an_open_shift_is_a_400_on_register(api, fresh_register, product):
    body = {
        "id": str(uuid.uuid4()),
        "register": "R2",
        "lines": [{"sku": "MILK", "quantity": "1"}],
        "payments": [{"method": "cash", "amount": "2"}],
    }

    response = api.post("/api/v1/sales/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"register": ["No open shift on register R2: open a shift first."]}
    assert not Sale.objects.exists()


def test_cash_movements_are_recorded_once_and_answer_with_errors_by_field(api, register):
    body = {"id": str(uuid.uuid4()), "register": "R1", "kind": "cash_out", "amount": "50.00", "reason": "Bank"}
    created = api.post("/api/v1/shifts/cash-movements/", body, format="json")
    again = api.post("/api/v1/shifts/cash-movements/", body, format="json")
    other = api.post("/api/v1/shifts/cash-movements/", {**body, "amount": "40.00"}, format="json")
    no_reason = api.post(
        "/api/v1/shifts/cash-movements/", {**body, "id": str(uuid.uuid4()), "reason": " "}, format="json"
    )
    no_sale_amount = api.post(
        "/api/v1/shifts/cash-movements/",
        {**body, "id": str(uuid.uuid4()), "kind": "no_sale", "amount": "1.00"},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["amount"] == "50.00" and created.json()["shift"] == str(open_shift_of(register).pk)
    assert (again.status_code, again.json()) == (200, created.json())
    assert other.status_code == 409 and "different content" in other.json()["id"][0]
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert no_sale_amount.status_code == 400 and "no-sale moves no cash" in no_sale_amount.json()["amount"][0]
    assert CashMovement.objects.count() == 1


def test_a_no_sale_through_the_api_kicks_the_drawer(api, register):
    Printer.objects.create(register=register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")
    body = {"id": str(uuid.uuid4()), "register": "R1", "kind": "no_sale", "reason": "Wrong change check"}

    response = api.post("/api/v1/shifts/cash-movements/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "0.00"
    assert PrintJob.objects.filter(register=register, kind=PrintJob.Kind.DRAWER_KICK).count() == 1


def test_close_is_blind_until_the_count_is_sent_then_shows_the_variance(api, fresh_register):
    shift_id = api.post("/api/v1/shifts/", open_body(), format="json").json()["id"]
    api.post(
        "/api/v1/shifts/cash-movements/",
        {"id": str(uuid.uuid4()), "register": "R2", "kind": "cash_in", "amount": "7.77", "reason": "Coins from bank"},
        format="json",
    )
    url = f"/api/v1/shifts/{shift_id}/close/"

    closed = api.post(url, {"denominations": {"20": 2, "5": 2}}, format="json")
    again = api.post(url, {"denominations": {"20.00": 2, "5.00": 2}}, format="json")
    other = api.post(url, {"denominations": {"20": 1}}, format="json")

    assert closed.status_code == 200, closed.json()
    data = closed.json()
    assert data["state"] == "closed"
    assert (data["counted_cash"], data["expected_cash"], data["variance"]) == ("50.00", "49.77", "0.23")
    assert (again.status_code, again.json()) == (200, data)
    assert other.status_code == 409


def test_sign_off_is_for_managers_only(api, register, manager):
    shift = open_shift_of(register)
    api.post(f"/api/v1/shifts/{shift.pk}/close/", {"denominations": {}}, format="json")

    refused = api.post(f"/api/v1/shifts/{shift.pk}/sign-off/")
    manager_api = APIClient()
    manager_api.force_login(manager)
    signed = manager_api.post(f"/api/v1/shifts/{shift.pk}/sign-off/")

    assert refused.status_code == 403
    assert "sales.sign_off_shift" in refused.json()["detail"]
    assert signed.status_code == 200
    assert signed.json()["signed_off_by"] == "manager" and signed.json()["signed_off_at"]


def test_the_shift_api_needs_a_login_and_a_role(fresh_register):
    anonymous = APIClient().post("/api/v1/shifts/", open_body(), format="json")
    no_role = APIClient()
    no_role.force_login(UserFactory(username="no-role"))

    assert anonymous.status_code == 403
    assert no_role.post("/api/v1/shifts/", open_body(), format="json").status_code == 403
    assert not Shift.objects.exists()
