from decimal import Decimal as D

import pytest

from inventory.models import Adjustment, StockCount, StockLevel, StockMovement
from inventory.services import StockChange, record_movements


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def inline(prefix, rows, extra=("product",)):
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def test_adjustment_drafted_and_posted_in_the_admin(manager_client, manager, store, product):
    response = manager_client.post(
        "/admin/inventory/adjustment/add/",
        {"store": store.pk, "reason": "damage", "note": "forklift", "_post": "1",
         **inline("lines", [{"product": product.pk, "delta": "-2"}])},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:3000]
    adjustment = Adjustment.objects.get()
    assert adjustment.is_posted and adjustment.created_by == manager and adjustment.posted_by == manager
    assert StockLevel.objects.get(product=product).on_hand == 48
    assert StockMovement.objects.get(reason="adjustment").note == "Damage — forklift"
    # Posted: read-only from now on.
    assert manager_client.post(f"/admin/inventory/adjustment/{adjustment.pk}/change/", {}).status_code == 403


def test_count_entered_in_the_admin_keeps_the_balance_at_entry(manager_client, store, product):
    response = manager_client.post(
        "/admin/inventory/stockcount/add/",
        {"store": store.pk, "note": "aisle 3", **inline("lines", [{"product": product.pk, "counted": "45"}])},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    count = StockCount.objects.get()
    assert list(count.lines.values_list("counted", "expected")) == [(D("45"), D("50"))]
    record_movements(store=store, changes=[StockChange(product.pk, D("-1"))], reason="sale")

    response = manager_client.post(
        "/admin/inventory/stockcount/", {"action": "post_selected", "_selected_action": [count.pk]}
    )

    assert response.status_code == 302
    assert StockLevel.objects.get(product=product).on_hand == 44  # 50 - 5 missing - 1 sold after counting


def test_posting_a_document_without_lines_says_why(manager_client, store):
    adjustment = Adjustment.objects.create(store=store, reason="theft")

    response = manager_client.post(
        "/admin/inventory/adjustment/", {"action": "post_selected", "_selected_action": [adjustment.pk]}, follow=True
    )

    assert f"{adjustment}: {adjustment} has no lines." in response.content.decode()
