"""At the counter: price overrides and discounts above the store's limit need a supervisor's PIN;
lines taken off before payment are recorded."""

from decimal import Decimal as D

import pytest

from audit.models import AuditEntry
from audit.services import Action as AuditAction
from sales import roles
from sales.approvals import set_pin
from sales.models import Approval, CartLine, Sale
from sales.services import open_cart
from tests.factories import UserFactory

PIN = "2580"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def supervisor(db, manager):
    user = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=user, pin=PIN, set_by=manager)
    return user


@pytest.fixture
def line(cashier_client, register, product):
    cashier_client.post("/pos/R1/scan/", {"code": "MILK"})
    cashier_client.post(f"/pos/R1/lines/{CartLine.objects.get().pk}/quantity/", {"quantity": "3"})
    return CartLine.objects.get()


def htmx(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_a_discount_within_the_stores_limit_needs_nobody(cashier_client, line):
    htmx(cashier_client, f"/pos/R1/lines/{line.pk}/discount/", {"discount_percent": "10"})

    assert CartLine.objects.get().discount_percent == D("10")
    assert not Approval.objects.exists()


def test_a_discount_above_the_limit_asks_for_the_pin_then_applies_with_both_people_audited(
    cashier_client, cashier, supervisor, line
):
    url = f"/pos/R1/lines/{line.pk}/discount/"

    asked = htmx(cashier_client, url, {"discount_percent": "25"})
    page = asked.content.decode()
    assert 'id="approval-modal"' in page and "A discount above 10 % needs a supervisor&#x27;s approval." in page
    assert 'name="discount_percent" value="25"' in page
    assert CartLine.objects.get().discount_percent == 0

    wrong = htmx(cashier_client, url, {"discount_percent": "25", "supervisor": "sue", "pin": "0000"})
    assert "Wrong PIN for sue; 4 more wrong entries lock it." in wrong.content.decode()
    assert CartLine.objects.get().discount_percent == 0

    approved = htmx(cashier_client, url, {"discount_percent": "25", "supervisor": "sue", "pin": PIN})
    assert approved.status_code == 200
    assert 'id="approval-modal" class="approval-modal" hx-swap-oob="true"></div>' in approved.content.decode()
    assert CartLine.objects.get().discount_percent == D("25")

    override = AuditEntry.objects.get(action=AuditAction.DISCOUNT_OVERRIDE)
    assert (override.actor, override.approver, override.register_code) == (cashier, supervisor, "R1")
    assert override.details["discount_percent"] == "25" and override.details["limit"] == "10.00"
    assert Approval.objects.get().used_at is not None
    assert AuditEntry.objects.filter(action=AuditAction.APPROVAL_REFUSED).count() == 1


def test_a_price_override_always_needs_the_pin_and_the_sale_charges_it(cashier_client, cashier, supervisor, line):
    url = f"/pos/R1/lines/{line.pk}/price/"

    refused = cashier_client.post(url, {"unit_price": "0.50"})  # no JavaScript: the modal as a page
    assert refused.status_code == 200
    assert "Charging 0.50 EUR instead of 1.19 for Milk needs a supervisor" in refused.content.decode()
    assert CartLine.objects.get().unit_price is None

    htmx(cashier_client, url, {"unit_price": "0.50", "supervisor": "sue", "pin": PIN})
    assert CartLine.objects.get().unit_price == D("0.50")

    override = AuditEntry.objects.get(action=AuditAction.PRICE_OVERRIDE)
    assert (override.actor, override.approver) == (cashier, supervisor)
    assert override.details["unit_price"] == "0.50" and override.details["catalogue_price"] == "1.19"

    sale_id = open_cart(line.cart.register).sale_id
    htmx(cashier_client, "/pos/R1/tender/", {"sale_id": sale_id, "payment_id": "3d4c4cfb-3e0a-4d1b-9d33-3c8a2b3f0a11",
                                              "method": "cash", "amount": "5"})  # fmt: skip
    htmx(cashier_client, "/pos/R1/complete/", {"sale_id": sale_id})
    assert Sale.objects.get().total == D("1.50")


def test_a_supervisor_cannot_approve_their_own_override(client, supervisor, register, product):
    client.force_login(supervisor)
    client.post("/pos/R1/scan/", {"code": "MILK"})
    line = CartLine.objects.get()

    answer = htmx(client, f"/pos/R1/lines/{line.pk}/price/", {"unit_price": "0.10", "supervisor": "sue", "pin": PIN})

    assert "cannot approve their own action" in answer.content.decode()
    assert CartLine.objects.get().unit_price is None


def test_removing_a_line_lowering_a_quantity_and_cancelling_are_recorded(cashier_client, cashier, register, line):
    htmx(cashier_client, f"/pos/R1/lines/{line.pk}/quantity/", {"quantity": "1"})
    htmx(cashier_client, f"/pos/R1/lines/{line.pk}/remove/", {})
    cashier_client.post("/pos/R1/scan/", {"code": "MILK"})
    htmx(cashier_client, "/pos/R1/cancel/", {"sale_id": open_cart(register).sale_id})

    lowered, removed, cancelled = AuditEntry.objects.filter(action=AuditAction.LINE_VOIDED).order_by("id")
    assert (lowered.details["quantity"], lowered.details["amount"]) == ("2.000", "2.38")
    assert (removed.details["quantity"], removed.details["amount"], removed.details["sku"]) == ("1.000", "1.19", "MILK")
    assert cancelled.details["reason"] == "sale cancelled"
    assert {(entry.actor_id, entry.register_code, entry.store_code) for entry in (lowered, removed, cancelled)} == {
        (cashier.pk, "R1", "main")
    }


def test_completing_a_sale_records_no_line_as_voided(cashier_client, register, line):
    sale_id = open_cart(register).sale_id
    htmx(cashier_client, "/pos/R1/tender/", {"sale_id": sale_id, "payment_id": "3d4c4cfb-3e0a-4d1b-9d33-3c8a2b3f0a12",
                                              "method": "cash", "amount": "10"})  # fmt: skip
    htmx(cashier_client, "/pos/R1/complete/", {"sale_id": sale_id})

    assert Sale.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.LINE_VOIDED).exists()
