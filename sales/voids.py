"""Post-void: cancelling a completed sale in the shift that booked it, with a supervisor's approval.

The sale is never edited: a Void record references it and reverses it (stock back through the
ledger, its payments given back, a journal entry of kind ``void``, an audit entry with both people).
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from audit.services import Action as AuditAction
from audit.services import record as record_audit
from devices.models import Printer, PrintJob, Register
from devices.services import queue_print_job
from inventory.models import StockMovement
from inventory.services import StockChange, record_movements
from retailpos.money import quantize_money
from sales import journal
from sales.approvals import use_approval
from sales.exceptions import NoOpenShift, RefundConflict, RefundError
from sales.models import Approval, JournalEntry, PaymentMethod, Sale, Void

ZERO = Decimal("0")
REASON_MAX_LENGTH = Void._meta.get_field("reason").max_length


@dataclass(frozen=True)
class VoidResult:
    void: Void
    created: bool  # False: a retry, answered with the void the first request booked


def void_sale(
    *, void_id: uuid.UUID, sale: Sale, register: Register, cashier, approval_id, reason: str, request=None
) -> VoidResult:
    """Void ``sale`` exactly once: only at its register, in the shift that booked it, with a
    supervisor's approval of ``void`` given for this sale, and only while nothing of it was refunded."""
    reason = (reason or "").strip()
    fingerprint = hashlib.sha256(
        json.dumps([register.code, str(sale.pk), reason], separators=(",", ":")).encode()
    ).hexdigest()
    if replay := _replayed_void(void_id, fingerprint):
        return replay
    if not reason:
        raise RefundError("Say why the sale is voided.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise RefundError(f"A reason has at most {REASON_MAX_LENGTH} characters.", field="reason")
    if approval_id in (None, ""):
        raise RefundError("Voiding a completed sale needs a supervisor's approval.", field="approval")
    if sale.register_id != register.pk:
        raise RefundError(f"Sale {sale.receipt_number} was booked at another register.", field="sale")
    try:
        with transaction.atomic(durable=True):
            # Locked until commit: a refund of this sale (which locks it too) waits and then sees the void.
            sale = Sale.objects.select_for_update().get(pk=sale.pk)
            if Void.objects.filter(sale=sale).exists():
                raise RefundError(f"Sale {sale.receipt_number} is already voided.", field="sale")
            if sale.refunds.exists():
                raise RefundError(
                    f"Part of sale {sale.receipt_number} was already refunded: refund the rest instead.", field="sale"
                )
            slot = journal.take_journal_number(register.pk)
            if slot.shift_id is None:
                raise NoOpenShift.at(register)
            if sale.shift_id != slot.shift_id:
                raise RefundError(
                    f"Sale {sale.receipt_number} belongs to an earlier shift: only sales of the open shift can be "
                    "voided; refund it instead.",
                    field="sale",
                )
            approval = use_approval(
                approval_id=approval_id,
                action=Approval.Action.VOID,
                register=register,
                cashier=cashier,
                details={"sale": str(sale.pk)},
            )
            cash_taken = sale.payments.filter(method=PaymentMethod.CASH).aggregate(total=Sum("amount", default=ZERO))
            void = Void.objects.create(
                id=void_id,
                sale=sale,
                register=register,
                cashier=cashier,
                shift_id=slot.shift_id,
                approval=approval,
                total=sale.total,
                cash_returned=cash_taken["total"] - sale.change,
                reason=reason,
                created_at=timezone.now(),
                request_fingerprint=fingerprint,
            )
            journal.append_entry(
                slot,
                register_id=register.pk,
                kind=JournalEntry.Kind.VOID,
                document=journal.void_document(void),
                void=void,
            )
            record_movements(
                store=sale.store,
                changes=[StockChange(line.product_id, line.quantity) for line in sale.lines.all()],
                reason=StockMovement.Reason.REFUND,
                reference=str(void_id),
                user=cashier,
                note=f"Post-void of sale {sale.receipt_number}",
            )
            record_audit(
                AuditAction.VOID,
                actor=cashier,
                approver=approval.supervisor,
                store=sale.store,
                register=register,
                target=void,
                details={
                    "sale": sale.receipt_number,
                    "total": sale.total,
                    "cash_returned": void.cash_returned,
                    "reason": reason,
                },
                request=request,
            )
            if void.cash_returned and Printer.objects.filter(register=register, active=True).exists():
                queue_print_job(
                    register_id=register.pk,
                    kind=PrintJob.Kind.DRAWER_KICK,
                    payload={
                        "version": 1,
                        "reason": f"Void of {sale.receipt_number}: "
                        f"{quantize_money(void.cash_returned, sale.currency)} {sale.currency} back",
                    },
                )
    except IntegrityError:
        if replay := _replayed_void(void_id, fingerprint):
            return replay
        raise
    return VoidResult(void, created=True)


def _replayed_void(void_id, fingerprint) -> VoidResult | None:
    void = Void.objects.filter(pk=void_id).first()
    if void is None:
        return None
    if void.request_fingerprint != fingerprint:
        raise RefundConflict(f"Void {void_id} was already booked with different content.")
    return VoidResult(void, created=False)
