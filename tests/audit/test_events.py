"""The events that exist outside the counter reach the audit log: pairing, imports, stock changes."""

from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from audit.models import AuditEntry
from audit.services import Action
from devices.models import Device
from devices.services import PAIRING_ATTEMPTS_ALLOWED, create_pairing_code
from inventory.models import Adjustment, AdjustmentLine, StockCount
from inventory.stock_operations import StockOperationRefused, post_adjustment, post_stock_count, record_count_line
from tests.inventory.test_admin_importing import CONFIRM_URL, HEADER, confirm_data, upload

PAIR_URL = "/api/v1/devices/pair/"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def pair(code):
    return APIClient().post(PAIR_URL, {"code": code, "name": "till-pc"}, format="json", REMOTE_ADDR="192.0.2.8")


def test_pairing_is_recorded_with_who_made_the_code(register, manager):
    assert pair(create_pairing_code(register=register, created_by=manager)).status_code == 201

    entry = AuditEntry.objects.get(action=Action.DEVICE_PAIRED)
    device = Device.objects.get()
    assert (entry.approver, entry.store_code, entry.register_code) == (manager, "main", "R1")
    assert (entry.object_type, entry.object_id, entry.ip) == ("devices.device", str(device.pk), "192.0.2.8")


def test_failed_pairing_is_recorded_and_a_flood_once_per_window(register):
    assert pair("WRONGONE").status_code == 400
    entry = AuditEntry.objects.get(action=Action.PAIRING_FAILED)
    assert entry.ip == "192.0.2.8" and entry.details == {"reason": "unknown, expired or used code"}

    for _ in range(PAIRING_ATTEMPTS_ALLOWED + 3):
        pair("WRONGONE")

    reasons = list(AuditEntry.objects.filter(action=Action.PAIRING_FAILED).values_list("details__reason", flat=True))
    assert reasons.count("too many attempts") == 1
    assert len(reasons) == PAIRING_ATTEMPTS_ALLOWED + 1


def test_revoking_in_the_back_office_is_recorded_with_the_manager(client, register, manager):
    pair(create_pairing_code(register=register))
    device = Device.objects.get()
    client.force_login(manager)

    response = client.post(
        "/admin/devices/device/", {"action": "revoke", "_selected_action": [device.pk]}, REMOTE_ADDR="192.0.2.9"
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=Action.DEVICE_REVOKED)
    assert (entry.actor, entry.register_code, entry.object_id, entry.ip) == (manager, "R1", str(device.pk), "192.0.2.9")


def test_an_import_in_the_back_office_is_recorded_and_a_preview_is_not(client, manager, store, standard_rate):
    client.force_login(manager)
    preview = upload(client, HEADER + "NEW,,Brand new,,standard,3.00,,1,4\n")
    assert not AuditEntry.objects.filter(action=Action.IMPORT).exists()

    client.post(CONFIRM_URL, confirm_data(preview))

    entry = AuditEntry.objects.get(action=Action.IMPORT)
    assert entry.actor == manager and entry.store_code == "main"
    assert entry.details == {
        "file": "products.csv",
        "rows": 1,
        "new": 1,
        "updated": 0,
        "rows_with_errors": 0,
        "stock_movements": 1,
    }


def test_an_import_on_the_command_line_is_recorded_and_a_refused_one_is_not(tmp_path, store, standard_rate):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,tax_code,price\nA-1,Milk,standard,1.19\nA-2,Bread,standard,-2\n")
    with pytest.raises(SystemExit):
        call_command("import_products", str(path), "--store", store.code)
    assert not AuditEntry.objects.filter(action=Action.IMPORT).exists()

    call_command("import_products", str(path), "--store", store.code, "--keep-valid")

    entry = AuditEntry.objects.get(action=Action.IMPORT)
    assert entry.actor_username == "manage.py import_products"
    assert (entry.details["new"], entry.details["rows_with_errors"]) == (1, 1)


def test_posted_adjustments_and_counts_are_recorded(store, product, manager):
    adjustment = Adjustment.objects.create(store=store, reason="theft", note="shelf 4")
    AdjustmentLine.objects.create(adjustment=adjustment, product=product, delta=D("-3"))
    count = StockCount.objects.create(store=store)
    record_count_line(count=count, product=product, counted=D("40"))

    post_adjustment(adjustment=adjustment, user=manager)
    post_stock_count(count=count, user=manager)
    with pytest.raises(StockOperationRefused):
        post_adjustment(adjustment=adjustment, user=manager)  # posted already: nothing more recorded

    theft, counted = AuditEntry.objects.filter(action=Action.STOCK_ADJUSTMENT).order_by("id")
    assert (theft.actor, theft.store_code, theft.object_type) == (manager, "main", "inventory.adjustment")
    assert theft.details["reason"] == "theft" and theft.details["note"] == "shelf 4"
    assert theft.details["changes"] == [[product.pk, "-3.000"]]
    assert counted.object_type == "inventory.stockcount" and counted.details["changes"] == [[product.pk, "-10.000"]]
