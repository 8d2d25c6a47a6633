"""Shifts and the cash drawer: open with a counted float, cash in / cash out, no-sale, blind close,
manager sign-off. Each write carries the register's client-generated id: a retry returns the
original, the same id with other content is a ``ShiftConflict``.

Locks: a cash movement and the close lock the shift row; a sale takes a share lock on it in the
statement that numbers its receipt (``services._next_receipt_sequence``), so a close waits for the
sales in flight and counts them, and a sale after the close finds no open shift.
"""

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from devices.models import Printer, PrintJob, Register
from devices.services import queue_print_job
from sales import cash
from sales.exceptions import NoOpenShift, ShiftAlreadyOpen, ShiftClosed, ShiftConflict, ShiftError
from sales.models import CashMovement, Shift
from sales.services import validate_amount
from sales.shift_reports import report_document, shift_figures

ZERO = Decimal("0")
REASON_MAX_LENGTH = CashMovement._meta.get_field("reason").max_length


@dataclass(frozen=True)
class ShiftResult:
    shift: Shift
    created: bool  # False: a retry, answered with what the first request did


@dataclass(frozen=True)
class CashMovementResult:
    movement: CashMovement
    created: bool


def open_shift(*, shift_id: uuid.UUID, register: Register, opened_by, opening_counts: Mapping) -> ShiftResult:
    """Open the register's shift with the float counted by denomination (``{"20.00": 2, ...}``)."""
    currency = register.store.currency
    counts = _counts(opening_counts, currency=currency)
    fingerprint = _fingerprint(action="open", register=register.code, denominations=counts)
    if not register.active:
        raise ShiftError(f"Register {register.code} is deactivated.", field="register")
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                id=shift_id,
                register=register,
                currency=currency,
                opened_by=opened_by,
                opened_at=timezone.now(),
                opening_float=cash.counted_total(counts, currency=currency),
                opening_denominations=counts,
                open_fingerprint=fingerprint,
            )
            record_audit("shift.opened", actor=opened_by, register=register, shift=shift, amount=shift.opening_float)
    except IntegrityError:
        # The id is taken (a retry), or the register has an open shift (the partial unique constraint).
        if existing := Shift.objects.filter(pk=shift_id).first():
            if existing.open_fingerprint != fingerprint or existing.register_id != register.pk:
                raise ShiftConflict(f"Shift {shift_id} was already opened with a different float.") from None
            return ShiftResult(existing, created=False)
        raise ShiftAlreadyOpen(_already_open_message(register)) from None
    return ShiftResult(shift, created=True)


def _already_open_message(register: Register) -> str:
    current = Shift.objects.filter(register=register, state=Shift.State.OPEN).select_related("opened_by").first()
    if current is None:  # closed again in the meantime
        return f"Register {register.code} had a shift opened at the same moment; try again."
    who = current.opened_by.get_username()
    return f"Register {register.code} already has an open shift (opened by {who}): close it first."


def record_cash_movement(
    *, movement_id: uuid.UUID, register: Register, kind: str, reason: str, created_by, amount: Decimal | None = None
) -> CashMovementResult:
    """Cash in, cash out (amount and reason) or a no-sale drawer open (reason) in the register's open shift.

    Each opens the drawer: a drawer-kick job goes to the register's printer when it has one.
    """
    if kind not in CashMovement.Kind.values:
        raise ShiftError(f"Unknown kind {kind!r}: one of {', '.join(CashMovement.Kind.values)}.", field="kind")
    reason = (reason or "").strip()
    if not reason:
        raise ShiftError("Give a reason: it goes to the audit log.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ShiftError(f"A reason has at most {REASON_MAX_LENGTH} characters.", field="reason")
    if kind == CashMovement.Kind.NO_SALE:
        if amount:
            raise ShiftError("A no-sale moves no cash: leave the amount empty.", field="amount")
        amount = ZERO
    else:
        if amount is None:
            raise ShiftError("Enter the amount.", field="amount")
        validate_amount(amount, currency=register.store.currency)
    fingerprint = _fingerprint(action=kind, register=register.code, amount=_number(amount), reason=reason)

    if replay := _replayed_movement(movement_id, fingerprint):
        return replay
    try:
        with transaction.atomic():
            shift = Shift.objects.select_for_update().filter(register=register, state=Shift.State.OPEN).first()
            if shift is None:
                raise NoOpenShift.at(register)
            movement = CashMovement.objects.create(
                id=movement_id,
                shift=shift,
                kind=kind,
                amount=amount,
                reason=reason,
                created_by=created_by,
                request_fingerprint=fingerprint,
            )
            if Printer.objects.filter(register=register, active=True).exists():
                queue_print_job(
                    register_id=register.pk,
                    kind=PrintJob.Kind.DRAWER_KICK,
                    payload={"version": 1, "reason": f"{movement.get_kind_display()}: {reason}"},
                )
            record_audit(f"cash.{kind}", actor=created_by, register=register, shift=shift, amount=amount, reason=reason)
    except IntegrityError:
        if replay := _replayed_movement(movement_id, fingerprint):  # the same id, committed meanwhile
            return replay
        raise
    return CashMovementResult(movement, created=True)


def _replayed_movement(movement_id, fingerprint) -> CashMovementResult | None:
    movement = CashMovement.objects.filter(pk=movement_id).first()
    if movement is None:
        return None
    if movement.request_fingerprint != fingerprint:
        raise ShiftConflict(f"Cash movement {movement_id} was already recorded with different content.")
    return CashMovementResult(movement, created=False)


def close_shift(*, shift_id: uuid.UUID, register: Register, closed_by, counted_counts: Mapping) -> ShiftResult:
    """Close the shift with the cashier's blind count by denomination; store expected cash and variance.

    The Z report goes to the register's printer. Closing again with the same count returns the
    closed shift; with another count it is a ``ShiftConflict``.
    """
    counts = _counts(counted_counts, currency=register.store.currency)
    fingerprint = _fingerprint(action="close", denominations=counts)
    with transaction.atomic():
        # Waits for sales in flight on this shift (they hold a share lock on it) and stops new ones.
        shift = Shift.objects.select_for_update().filter(pk=shift_id, register=register).first()
        if shift is None:
            raise ShiftError(f"Register {register.code} has no shift {shift_id}.", field="shift")
        if not shift.is_open:
            if shift.close_fingerprint != fingerprint:
                raise ShiftConflict(f"Shift {shift_id} was already closed with a different count.")
            return ShiftResult(shift, created=False)
        figures = shift_figures(shift)
        counted = cash.counted_total(counts, currency=shift.currency)
        closed = {
            "state": Shift.State.CLOSED,
            "closed_by": closed_by,
            "closed_at": timezone.now(),
            "counted_cash": counted,
            "counted_denominations": counts,
            "expected_cash": figures.expected_cash,
            "variance": cash.variance(counted=counted, expected=figures.expected_cash, currency=shift.currency),
            "close_fingerprint": fingerprint,
        }
        Shift.objects.filter(pk=shift.pk, state=Shift.State.OPEN).update(**closed)
        for name, value in closed.items():
            setattr(shift, name, value)
        if Printer.objects.filter(register=register, active=True).exists():
            queue_print_job(
                register_id=register.pk,
                kind=PrintJob.Kind.REPORT,
                payload=report_document(shift, figures, kind="Z"),
            )
        record_audit(
            "shift.closed",
            actor=closed_by,
            register=register,
            shift=shift,
            amount=counted,
            expected=figures.expected_cash,
            variance=shift.variance,
        )
    return ShiftResult(shift, created=True)


def sign_off_shift(*, shift: Shift, manager) -> Shift:
    """A manager accepts a closed shift's count. Signing off again changes nothing."""
    if not manager.has_perm("sales.sign_off_shift"):
        raise ShiftError("Only a manager can sign off a shift.", field="shift")
    with transaction.atomic():
        current = Shift.objects.select_for_update().get(pk=shift.pk)
        if current.is_open:
            raise ShiftClosed("The shift is still open: it is signed off after its close.", field="shift")
        if current.signed_off_at is None:
            # The one write to a closed shift, guarded so it happens once.
            Shift.objects.filter(pk=current.pk, signed_off_at__isnull=True).update(
                signed_off_by=manager, signed_off_at=timezone.now()
            )
            current.refresh_from_db()
            record_audit(
                "shift.signed_off", actor=manager, register=current.register, shift=current, variance=current.variance
            )
    return current


def record_audit(action: str, *, actor, register: Register, shift: Shift, **details) -> None:
    """Where shift and drawer actions go to the audit log.

    The audit app (branch ``audit``: ``audit.services.record``) is not merged yet; once it is,
    this calls it in the caller's transaction. Until then the CashMovement and Shift rows, with
    who and when, are the record.
    """


def _counts(counts: Mapping, *, currency: str) -> dict[str, int]:
    if not isinstance(counts, Mapping):
        raise ShiftError("Give the count as {denomination: pieces}.", field="denominations")
    try:
        return cash.normalise_counts(counts, currency=currency)
    except cash.InvalidCount as error:
        raise ShiftError(str(error), field="denominations") from None


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _fingerprint(**content) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
