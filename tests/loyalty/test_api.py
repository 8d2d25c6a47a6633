"""POST /api/v1/customers/ (exactly once, 201/200/409) and the registers' customer snapshot and deltas."""

import uuid
from datetime import timedelta

from django.utils import timezone

from loyalty.models import Customer, PointsEntry

URL = "/api/v1/customers/"


def test_a_customer_added_offline_syncs_exactly_once(api, program):
    body = {"id": str(uuid.uuid4()), "name": "Grace Hopper", "phone": "+1 555 0100", "marketing_consent": True}

    first, again = api.post(URL, body, format="json"), api.post(URL, body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    data = first.json()
    assert (data["id"], data["phone"], data["points_balance"]) == (body["id"], "+15550100", 0)
    assert len(data["card_number"]) == 10
    assert Customer.objects.count() == 1


def test_same_id_other_content_and_a_known_phone_are_conflicts_naming_the_field(api, customer):
    body = {"id": str(uuid.uuid4()), "name": "Grace Hopper", "phone": "+1 555 0100"}
    assert api.post(URL, body, format="json").status_code == 201

    other_content = api.post(URL, {**body, "name": "Grace"}, format="json")
    known_phone = api.post(URL, {"id": str(uuid.uuid4()), "name": "Ada L.", "phone": "0049 151 1234567"}, format="json")

    assert other_content.status_code == known_phone.status_code == 409
    assert "other details" in other_content.json()["id"][0]
    assert "already belongs to Ada Lovelace" in known_phone.json()["phone"][0]
    assert Customer.objects.count() == 2


def test_a_known_phone_names_its_owner_for_the_register_to_use_and_says_so_again_on_a_retry(api, customer, give_points):
    give_points(customer, 25)
    body = {"id": str(uuid.uuid4()), "name": "A. Lovelace", "phone": "0049 151 1234567"}

    first, retry = api.post(URL, body, format="json"), api.post(URL, body, format="json")

    assert first.status_code == retry.status_code == 409
    assert first.json() == retry.json()
    owner = first.json()["existing_customer"]
    assert (owner["id"], owner["name"], owner["card_number"], owner["points_balance"]) == (
        str(customer.pk),
        "Ada Lovelace",
        customer.card_number,
        25,
    )
    assert not Customer.objects.filter(pk=body["id"]).exists()
    assert Customer.objects.count() == 1


def test_bad_input_names_the_field(api, program):
    response = api.post(URL, {"id": "nope", "name": "", "email": "x"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) >= {"id", "name", "email"}


def test_the_snapshot_pages_and_the_deltas_carry_balances(api, customer, give_points):
    from tests.factories import CustomerFactory

    others = [CustomerFactory() for _ in range(2)]
    give_points(customer, 40)

    first = api.get(URL, {"limit": 2}).json()
    second = api.get(first["next"]).json()

    ids = [c["id"] for c in first["customers"] + second["customers"]]
    assert sorted(ids) == sorted(str(c.pk) for c in [customer, *others])
    assert second["next"] is None
    assert {c["id"]: c["points_balance"] for c in first["customers"] + second["customers"]}[str(customer.pk)] == 40

    # Later: points change for one customer; the deltas since the cursor bring it (and not the rest).
    cursor = second["cursor"]
    old = timezone.now() - timedelta(minutes=5)
    Customer.objects.update(updated_at=old)
    PointsEntry.objects.update(created_at=old)
    give_points(customer, 2)

    delta = api.get(URL, {"since": cursor}).json()

    assert [(c["id"], c["points_balance"]) for c in delta["customers"]] == [(str(customer.pk), 42)]
