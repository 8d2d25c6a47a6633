from decimal import Decimal as D

import pytest
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from inventory.services import InsufficientStock, StockChange, record_movements
from tests.factories import ProductFactory, StoreFactory


def ledger_sum(product, store):
    return StockMovement.objects.filter(product=product, store=store).aggregate(total=Sum("delta"))["total"]


def test_movements_keep_balance_and_ledger_equal(store, product, manager):
    balances = record_movements(
        store=store,
        changes=[StockChange(product.pk, D("-3")), StockChange(product.pk, D("1"))],
        reason=StockMovement.Reason.ADJUSTMENT,
        reference="count 7",
        user=manager,
        note="broken bottles",
    )
    assert balances == {product.pk: D("48")}
    level = StockLevel.objects.get(product=product, store=store)
    assert level.on_hand == D("48") == ledger_sum(product, store)
    movement = StockMovement.objects.filter(reason="adjustment").get()
    # Changes to one product in one operation become one movement.
    assert (movement.delta, movement.balance_after, movement.created_by, movement.note) == (
        D("-2"),
        D("48"),
        manager,
        "broken bottles",
    )


def test_first_movement_creates_the_stock_level(store, standard_rate):
    product = ProductFactory(tax_rate=standard_rate)
    record_movements(store=store, changes=[StockChange(product.pk, D("5"))], reason="receipt")
    assert StockLevel.objects.get(product=product, store=store).on_hand == 5


def test_strict_store_refuses_to_go_negative_and_writes_nothing(standard_rate, stock):
    strict = StoreFactory(code="strict", allow_negative_stock=False)
    product = stock(ProductFactory(tax_rate=standard_rate), 2, target_store=strict)
    with pytest.raises(InsufficientStock) as excinfo:
        record_movements(store=strict, changes=[StockChange(product.pk, D("-3"))], reason="sale")
    assert excinfo.value.shortages[0].on_hand == 2
    assert StockLevel.objects.get(product=product, store=strict).on_hand == 2
    assert StockMovement.objects.filter(store=strict).count() == 1  # the opening stock only


def test_zero_net_change_writes_nothing(store, product):
    before = StockMovement.objects.count()
    assert record_movements(store=store, changes=[StockChange(product.pk, D("0"))], reason="adjustment") == {}
    assert StockMovement.objects.count() == before
