"""Points redeemed while the register was offline: allowed by the store up to a cap (points per
sale), booked when the sale syncs even beyond the balance by then (the sale happened), exactly
once, and reported in the offline sync report when the online path would have refused it."""

import uuid

import pytest
from rest_framework.test import APIClient

from loyalty.models import PointsEntry
from loyalty.selectors import balance
from sales.models import OfflineSyncIssue, Sale
from tests.conftest import requires_postgres
from tests.factories import CustomerFactory
from tests.sales.test_concurrency import run_in_threads

URL = "/api/v1/sales/"


@pytest.fixture
def cap(store):
    def set_cap(points):
        store.offline_points_cap = points
        store.save(update_fields=["offline_points_cap"])

    return set_cap


def offline_sale(customer, *, points="2.00", number=1, cash="10"):
    return {
        "id": str(uuid.uuid4()),
        "register": "R1",
        "customer": str(customer.pk),
        "offline_receipt_number": f"R1-OFF-3fa2c91e-{number:06d}",
        "created_at": "2026-12-01T09:30:00Z",
        "lines": [{"sku": "MILK", "quantity": "10", "unit_price": "1.19"}],  # 11.90
        "payments": [{"method": "points", "amount": points}, {"method": "cash", "amount": cash}],
    }


def test_within_the_cap_and_the_balance_it_is_booked_once_and_not_reported(
    api, register, product, customer, give_points, cap
):
    cap(300)
    give_points(customer, 500)
    body = offline_sale(customer, points="2.00")

    answers = [api.post(URL, body, format="json") for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 200, 200], answers[0].json()
    assert answers[0].json()["loyalty"]["points_redeemed"] == 200
    assert list(PointsEntry.objects.filter(kind="redeem").values_list("points", flat=True)) == [-200]
    assert balance(customer.pk) == 500 - 200 + 9  # earned on the 9.90 paid in cash
    assert not OfflineSyncIssue.objects.exists()


def test_beyond_the_balance_by_now_it_is_still_booked_and_reported(api, register, product, customer, give_points, cap):
    cap(300)
    give_points(customer, 250)  # the register knew 250 …
    PointsEntry.objects.create(customer=customer, kind="adjustment", points=-150, reason="spent elsewhere")

    response = api.post(URL, offline_sale(customer, points="2.00"), format="json")

    assert response.status_code == 201, response.json()
    assert balance(customer.pk) == 100 - 200 + 9
    issue = OfflineSyncIssue.objects.get()
    assert issue.kind == "offline_redemption"
    assert "had 100 points" in issue.description and "went to -100" in issue.description


@pytest.mark.parametrize(
    ("store_cap", "message"),
    [(100, "more than the store's offline cap of 100"), (0, "which the store does not allow (cap 0)")],
)
def test_beyond_the_stores_cap_by_now_it_is_still_booked_and_reported(
    api, register, product, customer, give_points, cap, store_cap, message
):
    # The register allowed it with the cap it knew; the manager lowered it (or switched it off) since.
    cap(store_cap)
    give_points(customer, 500)

    response = api.post(URL, offline_sale(customer, points="2.00"), format="json")

    assert response.status_code == 201, response.json()
    assert PointsEntry.objects.get(kind="redeem").points == -200
    issue = OfflineSyncIssue.objects.get()
    assert issue.kind == "offline_redemption" and message in issue.description


def test_redeemed_for_a_customer_the_server_does_not_know_the_sale_stands_and_the_points_are_reported(
    api, register, product, program, cap
):
    cap(300)
    unknown = type("C", (), {"pk": uuid.uuid4()})

    response = api.post(URL, offline_sale(unknown, points="2.00"), format="json")

    assert response.status_code == 201, response.json()
    issue = OfflineSyncIssue.objects.get()
    assert issue.kind == "loyalty_customer"
    assert "2.00 EUR paid with points was taken from no customer's points" in issue.description
    assert not PointsEntry.objects.exists()


def test_online_the_balance_still_refuses(api, register, product, customer, give_points, cap):
    cap(300)
    give_points(customer, 100)
    body = offline_sale(customer, points="2.00")
    del body["offline_receipt_number"], body["created_at"]
    body["lines"][0].pop("unit_price")

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert "has 100 points" in response.json()["payments"][0]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_offline_sale_synced_by_two_tabs_at_once_redeems_once(register, product, cashier, store):
    """Two drains of one register (a second tab without Web Locks) send the same sale at the same instant."""
    from loyalty.models import LoyaltyProgram

    LoyaltyProgram.current()
    store.offline_points_cap = 300
    store.save(update_fields=["offline_points_cap"])
    customer = CustomerFactory()
    PointsEntry.objects.create(customer=customer, kind="adjustment", points=250, reason="test")
    body = offline_sale(customer, points="2.00")

    def sync(_):
        client = APIClient()
        client.force_login(cashier)
        return client.post(URL, body, format="json").status_code

    assert sorted(run_in_threads(2, sync)) == [200, 201]
    assert Sale.objects.count() == 1
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
    assert balance(customer.pk) == 250 - 200 + 9
