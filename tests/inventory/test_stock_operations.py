import threading
import time
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connections, transaction
from django.db.models import Sum

from inventory import services
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    StockCount,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
)
from inventory.services import InsufficientStock, StockChange, record_movements
from inventory.stock_operations import (
    StockOperationRefused,
    post_adjustment,
    post_stock_count,
    post_transfer,
    receive_goods,
    receive_purchase_order,
    record_count_line,
)
from tests.conftest import requires_postgres
from tests.factories import ProductFactory, StoreFactory


def on_hand(product, store):
    return StockLevel.objects.get(product=product, store=store).on_hand


def assert_balances_equal_ledger():
    for level in StockLevel.objects.all():
        total = StockMovement.objects.filter(store=level.store, product=level.product).aggregate(t=Sum("delta"))["t"]
        assert level.on_hand == (total or 0), level


def sell(store, product, quantity="1"):
    record_movements(store=store, changes=[StockChange(product.pk, -D(quantity))], reason="sale")


@pytest.fixture
def bread(standard_rate, stock):
    return stock(ProductFactory(sku="BREAD", tax_rate=standard_rate), 10)


def test_receipt_adds_stock_with_who_and_why(store, product, manager):
    receipt = GoodsReceipt.objects.create(store=store, reference="DN-4711", note="pallet 2", created_by=manager)
    GoodsReceiptLine.objects.create(receipt=receipt, product=product, quantity=D("24"))

    receive_goods(receipt=receipt, user=manager)

    assert on_hand(product, store) == 74
    movement = StockMovement.objects.get(reason="receipt")
    assert (movement.delta, movement.created_by, movement.reference, movement.note) == (
        D("24"),
        manager,
        f"GR-{receipt.pk}",
        "DN-4711 — pallet 2",
    )
    receipt.refresh_from_db()
    assert receipt.is_posted and receipt.posted_by == manager
    with pytest.raises(StockOperationRefused, match="already posted"):
        receive_goods(receipt=receipt, user=manager)
    assert on_hand(product, store) == 74
    assert_balances_equal_ledger()


def test_receiving_a_purchase_order_books_what_is_outstanding(store, product, bread, manager):
    order = PurchaseOrder.objects.create(store=store, status=PurchaseOrder.Status.ORDERED)
    PurchaseOrderLine.objects.create(order=order, product=product, quantity=D("12"))
    PurchaseOrderLine.objects.create(order=order, product=bread, quantity=D("6"))
    partial = GoodsReceipt.objects.create(store=store, purchase_order=order)
    GoodsReceiptLine.objects.create(receipt=partial, product=product, quantity=D("5"))
    receive_goods(receipt=partial, user=manager)

    receipt = receive_purchase_order(order=order, user=manager)

    assert sorted(receipt.lines.values_list("product__sku", "quantity")) == [("BREAD", D("6")), ("MILK", D("7"))]
    assert (on_hand(product, store), on_hand(bread, store)) == (62, 16)
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert StockMovement.objects.filter(reason="receipt", note=f"PO-{order.pk}").count() == 3
    with pytest.raises(StockOperationRefused):
        receive_purchase_order(order=order, user=manager)


def test_count_posts_the_differences_as_count_movements(store, product, bread, manager):
    count = StockCount.objects.create(store=store, created_by=manager)
    record_count_line(count=count, product=product, counted=D("47"))
    record_count_line(count=count, product=bread, counted=D("10"))

    post_stock_count(count=count, user=manager)

    assert (on_hand(product, store), on_hand(bread, store)) == (47, 10)
    movement = StockMovement.objects.get(reason="count")  # no movement for a count that matches
    assert (movement.product, movement.delta, movement.reference) == (product, D("-3"), f"Count-{count.pk}")
    assert_balances_equal_ledger()


def test_sales_after_a_line_was_counted_are_not_counted_twice(store, product, manager):
    count = StockCount.objects.create(store=store)
    record_count_line(count=count, product=product, counted=D("45"))  # 5 missing from the shelf
    sell(store, product, "2")  # sold after the shelf was counted, before posting

    post_stock_count(count=count, user=manager)

    assert on_hand(product, store) == 43  # 50 - 5 missing - 2 sold
    assert_balances_equal_ledger()


def test_transfer_books_out_of_one_store_and_into_the_other(store, product, manager):
    branch = StoreFactory(code="branch")
    transfer = Transfer.objects.create(store=store, to_store=branch, note="weekend promo")
    TransferLine.objects.create(transfer=transfer, product=product, quantity=D("8"))

    post_transfer(transfer=transfer, user=manager)

    assert (on_hand(product, store), on_hand(product, branch)) == (42, 8)
    out, in_ = StockMovement.objects.get(reason="transfer_out"), StockMovement.objects.get(reason="transfer_in")
    assert (out.store, out.delta, out.note) == (store, D("-8"), "to branch — weekend promo")
    assert (in_.store, in_.delta, in_.note, in_.reference) == (
        branch,
        D("8"),
        "from main — weekend promo",
        out.reference,
    )
    assert_balances_equal_ledger()


def test_transfer_from_a_strict_store_cannot_send_more_than_it_has(product, standard_rate, stock, manager):
    strict = StoreFactory(code="strict", allow_negative_stock=False)
    branch = StoreFactory(code="branch")
    stock(product, 3, target_store=strict)
    transfer = Transfer.objects.create(store=strict, to_store=branch)
    TransferLine.objects.create(transfer=transfer, product=product, quantity=D("5"))

    with pytest.raises(InsufficientStock):
        post_transfer(transfer=transfer, user=manager)

    assert on_hand(product, strict) == 3
    assert not StockMovement.objects.filter(store=branch).exists()
    transfer.refresh_from_db()
    assert not transfer.is_posted


def test_adjustment_records_its_reason(store, product, manager):
    adjustment = Adjustment.objects.create(store=store, reason=Adjustment.Reason.DAMAGE, note="dropped crate")
    AdjustmentLine.objects.create(adjustment=adjustment, product=product, delta=D("-6"))

    post_adjustment(adjustment=adjustment, user=manager)

    assert on_hand(product, store) == 44
    movement = StockMovement.objects.get(reason="adjustment")
    assert (movement.note, movement.created_by, movement.reference) == (
        "Damage — dropped crate",
        manager,
        f"ADJ-{adjustment.pk}",
    )


def test_operations_push_the_new_balances_after_commit(
    store, product, manager, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(services, "broadcast_stock_levels", lambda **kwargs: sent.append(kwargs))
    adjustment = Adjustment.objects.create(store=store, reason=Adjustment.Reason.THEFT)
    AdjustmentLine.objects.create(adjustment=adjustment, product=product, delta=D("-1"))

    with django_capture_on_commit_callbacks(execute=True):
        post_adjustment(adjustment=adjustment, user=manager)

    assert sent == [{"store_id": store.pk, "balances": {product.pk: D("49")}}]


def test_empty_document_is_refused(store, manager):
    with pytest.raises(StockOperationRefused, match="no lines"):
        post_adjustment(adjustment=Adjustment.objects.create(store=store, reason="correction"), user=manager)


# --- races for real (PostgreSQL row locks) --------------------------------------------------


def run_in_threads(targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def worker(target):
        try:
            barrier.wait(timeout=10)
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    if errors:
        raise errors[0]
    close_old_connections()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_count_posted_while_registers_sell_keeps_balance_equal_to_ledger(store, product, manager):
    count = StockCount.objects.create(store=store)
    record_count_line(count=count, product=product, counted=D("40"))  # 10 missing
    sales_per_thread, sellers = 5, 4

    def post_and_hold():
        with transaction.atomic():
            post_stock_count(count=count, user=manager)
            time.sleep(0.3)  # hold the row lock: the sales queue behind it

    def seller():
        for _ in range(sales_per_thread):
            sell(store, product)

    run_in_threads([post_and_hold] + [seller] * sellers)

    assert on_hand(product, store) == 50 - 10 - sales_per_thread * sellers
    assert StockMovement.objects.filter(reason="sale").count() == sales_per_thread * sellers
    assert_balances_equal_ledger()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_transfers_both_ways_at_once_do_not_deadlock(store, product, stock, manager):
    branch = StoreFactory(code="branch")
    stock(product, 50, target_store=branch)
    transfers = []
    for source, target in [(store, branch), (branch, store)] * 3:
        transfer = Transfer.objects.create(store=source, to_store=target)
        TransferLine.objects.create(transfer=transfer, product=product, quantity=D("1"))
        transfers.append(transfer)

    run_in_threads([lambda t=t: post_transfer(transfer=t, user=manager) for t in transfers])

    assert (on_hand(product, store), on_hand(product, branch)) == (50, 50)
    assert StockMovement.objects.filter(reason__startswith="transfer").count() == 12
    assert_balances_equal_ledger()
