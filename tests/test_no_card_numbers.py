"""Card-number-like input in every free-text field of the main flows: refused, or masked; never stored."""

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditEntry
from devices.services import create_pairing_code
from inventory.models import Adjustment
from retailpos.card_numbers import CARD_NUMBER_REMOVED, mask_card_numbers
from sales import roles
from sales.approvals import set_pin
from sales.models import CartLine
from sales.services import open_cart
from tests.card_number_scan import card_numbers_in_database
from tests.factories import UserFactory

CARD = "4111111111111111"  # Luhn-valid test PAN
GROUPED = "4111 1111 1111 1111"


@pytest.fixture(autouse=True)
def _fast_hashes_and_fresh_rate_limits(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


def test_masking_keeps_everything_but_the_card_number():
    assert mask_card_numbers(f"paid with {GROUPED}, receipt 12") == f"paid with {CARD_NUMBER_REMOVED}, receipt 12"
    assert mask_card_numbers("EAN 4006381333931 fails Luhn") == "EAN 4006381333931 fails Luhn"


def test_card_numbers_typed_anywhere_in_the_main_flows_are_never_stored(
    cashier_client, cashier, manager, register, product
):
    supervisor = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=supervisor, pin="2580", set_by=manager)
    htmx = {"HTTP_HX_REQUEST": "true"}

    # Login: a card number as the username (a cashier swiping into the wrong field).
    Client().post("/login/", {"username": CARD, "password": GROUPED})
    # The counter: a card number as payment reference, as a scan, and in the supervisor's PIN modal.
    cashier_client.post("/pos/R1/scan/", {"code": CARD}, **htmx)
    cashier_client.post("/pos/R1/scan/", {"code": "MILK"}, **htmx)
    line = CartLine.objects.get()
    sale_id = open_cart(register).sale_id
    refused = cashier_client.post(
        "/pos/R1/tender/",
        {"sale_id": sale_id, "payment_id": "3d4c4cfb-3e0a-4d1b-9d33-3c8a2b3f0a13", "method": "card",
         "amount": "1.19", "reference": f"card {GROUPED}"},
        **htmx,
    )  # fmt: skip
    assert "card number" in refused.content.decode()
    cashier_client.post(
        f"/pos/R1/lines/{line.pk}/discount/", {"discount_percent": "50", "supervisor": CARD, "pin": GROUPED}, **htmx
    )
    # The sale API: a card number as reference is a 400 naming the field.
    api = APIClient()
    api.force_login(cashier)
    response = api.post(
        "/api/v1/sales/",
        {"id": "6f1c1c1e-0000-4000-8000-0000000000aa", "register": "R1", "lines": [{"sku": "MILK", "quantity": "1"}],
         "payments": [{"method": "card", "amount": "1.19", "reference": CARD}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and "reference" in str(response.json())
    # Devices: a card number as the agent's name.
    paired = APIClient().post(
        "/api/v1/devices/pair/", {"code": create_pairing_code(register=register), "name": GROUPED}, format="json"
    )
    assert paired.status_code == 400 and "name" in paired.json()
    # Back office: a card number in a stock adjustment's note.
    client = Client()
    client.force_login(manager)
    note = client.post(
        "/admin/inventory/adjustment/add/",
        {"store": register.store.pk, "reason": "theft", "note": f"customer card {CARD}",
         "lines-TOTAL_FORMS": 0, "lines-INITIAL_FORMS": 0},
    )  # fmt: skip
    assert note.status_code == 200 and "card numbers are never stored" in note.content.decode()
    assert not Adjustment.objects.exists()

    assert AuditEntry.objects.filter(actor_username=CARD_NUMBER_REMOVED).exists()  # the failed login, masked
    assert AuditEntry.objects.filter(approver_username=CARD_NUMBER_REMOVED).exists()  # the modal's supervisor
    assert card_numbers_in_database() == []


def test_the_scan_finds_a_card_number_wherever_it_hides(db, register):
    AuditEntry.objects.create(action="no_sale", details={"reason": {"nested": [f"x{CARD}y"]}})

    assert card_numbers_in_database() == [f"audit_auditentry.details: x{CARD}y"]
