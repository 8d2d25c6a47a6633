"""Stock operations of the back office: goods receipts, counts, transfers, adjustments.

Each is a document that is drafted and then posted once. Posting writes its ledger movements
through ``record_movements`` (the only writer of stock) with who posted it, the document as the
reference and the why in the note, in one transaction with the document's own state; registers
hear of the new balances after commit (``stock.updated``).

Stock counts and sales at the same time: a count line keeps the balance the system had when the
counted quantity was entered (``expected``), and posting adds ``counted - expected``. Sales
booked after the line was entered are already in the balance, so they are neither undone nor
counted twice; ``record_movements`` adds the difference under the row lock, so a sale racing
the posting cannot be lost either. Enter each shelf's count as it is counted.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import Action
from audit.services import record as record_audit
from inventory.models import (
    Adjustment,
    GoodsReceipt,
    GoodsReceiptLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Transfer,
)
from inventory.services import StockChange, record_movements

Reason = StockMovement.Reason


class StockOperationRefused(Exception):
    """The document cannot be posted (already posted, no lines, …); nothing was written."""


def _lock_draft(model, document):
    """Re-read the document under its row lock: two clicks on *Post* post it once."""
    # of=self: locking the joined store row would block every sale in the store (its FK check).
    locked = model.objects.select_for_update(of=("self",)).select_related("store").get(pk=document.pk)
    if locked.is_posted:
        raise StockOperationRefused(f"{locked} was already posted on {locked.posted_at:%Y-%m-%d %H:%M}.")
    return locked


def _mark_posted(document, user) -> None:
    document.posted_at = timezone.now()
    document.posted_by = user
    document.save(update_fields=["posted_at", "posted_by"])


def _note(*parts: str) -> str:
    return " — ".join(part for part in parts if part)[:255]


def receive_goods(*, receipt: GoodsReceipt, user=None) -> dict[int, Decimal]:
    """Post a goods receipt: its quantities into the store; against a purchase order, count them received."""
    with transaction.atomic():
        receipt = _lock_draft(GoodsReceipt, receipt)
        lines = list(receipt.lines.all())
        if not lines:
            raise StockOperationRefused(f"{receipt} has no lines.")
        order = receipt.purchase_order
        balances = record_movements(
            store=receipt.store,
            changes=[StockChange(line.product_id, line.quantity) for line in lines],
            reason=Reason.RECEIPT,
            reference=f"GR-{receipt.pk}",
            user=user,
            note=_note(f"PO-{order.pk}" if order else "", receipt.reference, receipt.note),
        )
        if order is not None:
            for line in lines:
                PurchaseOrderLine.objects.filter(order=order, product_id=line.product_id).update(
                    quantity_received=F("quantity_received") + line.quantity
                )
            if not order.lines.filter(quantity_received__lt=F("quantity")).exists():
                PurchaseOrder.objects.filter(pk=order.pk).update(status=PurchaseOrder.Status.RECEIVED)
        _mark_posted(receipt, user)
    return balances


def receive_purchase_order(*, order: PurchaseOrder, user=None, reference: str = "") -> GoodsReceipt:
    """Receive what is still outstanding on a purchase order, as one posted goods receipt."""
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        if order.status in (PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CANCELLED):
            raise StockOperationRefused(f"{order} is {order.get_status_display().lower()}.")
        outstanding = [
            (line.product_id, line.quantity - line.quantity_received)
            for line in order.lines.all()
            if line.quantity > line.quantity_received
        ]
        if not outstanding:
            raise StockOperationRefused(f"Nothing is outstanding on {order}.")
        receipt = GoodsReceipt.objects.create(
            store_id=order.store_id, purchase_order=order, reference=reference, created_by=user
        )
        GoodsReceiptLine.objects.bulk_create(
            GoodsReceiptLine(receipt=receipt, product_id=product_id, quantity=quantity)
            for product_id, quantity in outstanding
        )
        receive_goods(receipt=receipt, user=user)
    return receipt


def record_count_line(*, count: StockCount, product: Product, counted: Decimal) -> StockCountLine:
    """Enter (or correct) a counted quantity, keeping the balance the system has now as its ``expected``."""
    if count.is_posted:
        raise StockOperationRefused(f"{count} was already posted.")
    expected = (
        StockLevel.objects.filter(store_id=count.store_id, product=product).values_list("on_hand", flat=True).first()
    )
    line, _ = StockCountLine.objects.update_or_create(
        count=count,
        product=product,
        defaults={"counted": counted, "expected": expected or Decimal("0"), "counted_at": timezone.now()},
    )
    return line


def post_stock_count(*, count: StockCount, user=None) -> dict[int, Decimal]:
    """Post a count: for each line, ``counted - expected`` as a count movement (see the module docstring)."""
    with transaction.atomic():
        count = _lock_draft(StockCount, count)
        lines = list(count.lines.all())
        if not lines:
            raise StockOperationRefused(f"{count} has no lines.")
        balances = record_movements(
            store=count.store,
            changes=[StockChange(line.product_id, line.counted - line.expected) for line in lines],
            reason=Reason.COUNT,
            reference=f"Count-{count.pk}",
            user=user,
            note=_note("stock count", count.note),
            allow_negative=True,  # a count says what is there; it is never refused
        )
        _mark_posted(count, user)
        _audit_stock_change(count, user, lines=[(line.product_id, line.counted - line.expected) for line in lines])
    return balances


def post_transfer(*, transfer: Transfer, user=None) -> None:
    """Post a transfer: out of ``store`` and into ``to_store``, in one transaction.

    The two stores' stock rows are locked in store order, so transfers both ways at once
    cannot deadlock. A store that does not allow negative stock refuses to send more than it has.
    """
    with transaction.atomic():
        transfer = _lock_draft(Transfer, transfer)
        lines = list(transfer.lines.all())
        if not lines:
            raise StockOperationRefused(f"{transfer} has no lines.")
        reference = f"TR-{transfer.pk}"
        moves = [
            (transfer.store, -1, Reason.TRANSFER_OUT, f"to {transfer.to_store.code}"),
            (transfer.to_store, 1, Reason.TRANSFER_IN, f"from {transfer.store.code}"),
        ]
        for store, sign, reason, direction in sorted(moves, key=lambda move: move[0].pk):
            record_movements(
                store=store,
                changes=[StockChange(line.product_id, sign * line.quantity) for line in lines],
                reason=reason,
                reference=reference,
                user=user,
                note=_note(direction, transfer.note),
            )
        _mark_posted(transfer, user)


def post_adjustment(*, adjustment: Adjustment, user=None) -> dict[int, Decimal]:
    """Post an adjustment (damage, theft, correction) with its reason in the ledger's note."""
    with transaction.atomic():
        adjustment = _lock_draft(Adjustment, adjustment)
        lines = list(adjustment.lines.all())
        if not lines:
            raise StockOperationRefused(f"{adjustment} has no lines.")
        balances = record_movements(
            store=adjustment.store,
            changes=[StockChange(line.product_id, line.delta) for line in lines],
            reason=Reason.ADJUSTMENT,
            reference=f"ADJ-{adjustment.pk}",
            user=user,
            note=_note(adjustment.get_reason_display(), adjustment.note),
        )
        _mark_posted(adjustment, user)
        _audit_stock_change(adjustment, user, lines=[(line.product_id, line.delta) for line in lines])
    return balances


def _audit_stock_change(document, user, *, lines: list[tuple[int, Decimal]]) -> None:
    """A manual stock change (adjustment or count) in the audit log, in the posting's transaction."""
    record_audit(
        Action.STOCK_ADJUSTMENT,
        actor=user,
        store=document.store,
        target=document,
        details={
            "document": str(document)[:100],
            "reason": getattr(document, "reason", "count"),
            "note": document.note[:200],
            # The first lines are enough to see what changed; the ledger has every movement.
            "changes": [[product_id, delta] for product_id, delta in lines[:50]],
            "lines": len(lines),
        },
    )
