from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from inventory import services
from inventory.models import Product, StockLevel, StockMovement
from inventory.services import (
    InsufficientStock,
    StockChange,
    catalog_bulk_change,
    record_movements,
    save_tax_rate,
    update_product,
)
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


@pytest.fixture
def pushes(monkeypatch):
    """What the catalogue services push to registers after commit: ``(event type, payload)``."""
    sent = []
    monkeypatch.setattr(
        services, "broadcast_products_updated", lambda products_by_store: sent.append(("updated", products_by_store))
    )
    monkeypatch.setattr(services, "broadcast_catalog_changed", lambda store_ids: sent.append(("changed", store_ids)))
    return sent


def test_a_change_registers_do_not_see_pushes_nothing(product, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        update_product(product=product, changes={"cost": D("0.50"), "price": product.price})

    assert pushes == []
    product.refresh_from_db()
    assert product.cost == D("0.50")


def test_invalid_change_writes_and_pushes_nothing(product, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        update_product(product=product, changes={"price": D("-1")})

    assert pushes == []
    assert Product.objects.get(pk=product.pk).price == D("1.19")


def test_tax_rate_change_marks_its_products_changed_and_sends_one_catalog_changed(
    store, product, standard_rate, reduced_rate, pushes, django_capture_on_commit_callbacks
):
    bread = ProductFactory(tax_rate=reduced_rate)
    Product.objects.update(updated_at="2020-01-01T00:00:00Z")
    standard_rate.rate = D("20.00")

    with django_capture_on_commit_callbacks(execute=True):
        save_tax_rate(tax_rate=standard_rate, changed_fields=["rate"])

    assert pushes == [("changed", [store.pk])]
    assert Product.objects.get(pk=product.pk).updated_at.year > 2020
    assert Product.objects.get(pk=bread.pk).updated_at.year == 2020


def test_bulk_change_rolled_back_pushes_nothing(product, pushes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), catalog_bulk_change():
        update_product(product=product, changes={"price": D("9.99")})
        raise RuntimeError("row 4711 is broken")

    assert pushes == []
    assert Product.objects.get(pk=product.pk).price == D("1.19")


def test_missing_and_existing_stock_rows_in_one_change(store, product, standard_rate):
    new = ProductFactory(tax_rate=standard_rate)

    balances = record_movements(
        store=store, changes=[StockChange(product.pk, D("-2")), StockChange(new.pk, D("7"))], reason="receipt"
    )

    assert balances == {product.pk: D("48"), new.pk: D("7")}
    assert StockLevel.objects.get(product=new, store=store).on_hand == D("7") == ledger_sum(new, store)
    movement = StockMovement.objects.get(product=new)
    assert (movement.delta, movement.balance_after, movement.reason) == (D("7"), D("7"), "receipt")


def test_strict_store_refuses_a_product_it_never_stocked_and_writes_nothing(standard_rate, stock):
    strict = StoreFactory(code="strict", allow_negative_stock=False)
    stocked = stock(ProductFactory(tax_rate=standard_rate), 5, target_store=strict)
    never = ProductFactory(tax_rate=standard_rate)

    with pytest.raises(InsufficientStock) as excinfo:
        record_movements(
            store=strict, changes=[StockChange(stocked.pk, D("-1")), StockChange(never.pk, D("-1"))], reason="sale"
        )

    assert [(s.product_id, s.on_hand) for s in excinfo.value.shortages] == [(never.pk, 0)]
    assert StockMovement.objects.filter(store=strict).count() == 1  # the opening stock only
    assert StockLevel.objects.get(product=stocked, store=strict).on_hand == 5
