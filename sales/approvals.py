"""Supervisor approvals at the counter: a PIN typed on the cashier's screen, a single-use proof.

``approve`` checks the supervisor and their PIN and returns an ``Approval``; the business service
that does the approved action (a price override, a return without receipt, a post-void) consumes
it with ``use_approval`` in its own transaction, so one approval allows one action. Every
approval and refusal is in the audit log with both people.
"""

import json
import re
import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit.services import Action as AuditAction
from audit.services import record as record_audit
from sales.exceptions import ApprovalRefused
from sales.models import Approval, StaffPin

PIN_ATTEMPTS_ALLOWED = 5
PIN_LOCK_DURATION = timedelta(minutes=15)
# An approval is for the action at hand, not one to keep for later.
APPROVAL_LIFETIME = timedelta(minutes=10)
PIN_PATTERN = re.compile(r"\d{4,12}")
APPROVER_PERMISSION = "sales.give_approval"


def approve(
    *,
    action: str,
    supervisor_username: str,
    pin: str,
    cashier,
    register,
    details: dict | None = None,
    now: datetime | None = None,
    request=None,
) -> Approval:
    """The supervisor's approval of ``action`` for the cashier at the register, or ``ApprovalRefused``.

    Runs its own durable transaction (never inside the caller's): a wrong PIN must count, and its
    refusal stay in the audit log, whatever the caller does next. The PIN's row is locked while it
    is checked, so five wrong entries at once lock it as surely as five in a row.
    """
    action = Approval.Action(action)
    now = now or timezone.now()
    details = _as_json(details or {})
    supervisor = get_user_model().objects.filter(username=supervisor_username.strip(), is_active=True).first()
    refusal = _approver_problem(supervisor, supervisor_username=supervisor_username, cashier=cashier)
    if refusal is not None:
        _record_refusal(refusal, action, supervisor or supervisor_username, cashier, register, details, request)
        raise refusal
    with transaction.atomic(durable=True):
        staff_pin = StaffPin.objects.select_for_update().filter(user=supervisor).first()
        refusal = _pin_problem(staff_pin, supervisor, pin, now=now)
        if refusal is not None:
            if staff_pin is not None and staff_pin.locked_until == now + PIN_LOCK_DURATION:
                record_audit(
                    AuditAction.PIN_LOCKED,
                    actor=cashier,
                    approver=supervisor,
                    store=register.store,
                    register=register,
                    details={"action": action, "locked_until": staff_pin.locked_until},
                    request=request,
                )
            _record_refusal(refusal, action, supervisor, cashier, register, details, request)
        else:
            approval = Approval.objects.create(
                action=action, cashier=cashier, supervisor=supervisor, register=register, details=details, at=now
            )
            record_audit(
                AuditAction.APPROVAL,
                actor=cashier,
                approver=supervisor,
                store=register.store,
                register=register,
                target=approval,
                details={"action": action, **details},
                request=request,
            )
    if refusal is not None:
        raise refusal
    return approval


def use_approval(
    *,
    approval_id,
    action: str,
    register,
    cashier=None,
    details: dict | None = None,
    now: datetime | None = None,
) -> Approval:
    """Consume the approval as proof for ``action``, in the caller's transaction; ``ApprovalRefused`` if it is no proof.

    It must be for this action at this register (and cashier, when given), unused, younger than
    ``APPROVAL_LIFETIME``, and given for these ``details`` (each key given must match what was
    approved). If the caller's transaction rolls back, the approval stays unused.
    """
    now = now or timezone.now()
    try:
        approval_id = uuid.UUID(str(approval_id))
    except ValueError:
        raise ApprovalRefused("That is not an approval; ask the supervisor to approve.", field="approval") from None
    matching = Approval.objects.select_for_update().filter(
        pk=approval_id, action=action, register=register, used_at__isnull=True, at__gt=now - APPROVAL_LIFETIME
    )
    if cashier is not None:
        matching = matching.filter(cashier=cashier)
    approval = matching.first()
    if approval is None:
        raise ApprovalRefused(
            "This approval is unknown, expired, already used or for something else; ask the supervisor again.",
            field="approval",
        )
    for key, value in _as_json(details or {}).items():
        if approval.details.get(key) != value:
            raise ApprovalRefused(
                f"The supervisor approved {key} {approval.details.get(key)}, not {value}; ask again.", field="approval"
            )
    Approval.objects.filter(pk=approval.pk).update(used_at=now)
    approval.used_at = now
    return approval


def set_pin(*, user, pin: str, set_by=None, request=None) -> StaffPin:
    """Give a supervisor (or manager) a new counter PIN, unlocking it; only its hash is stored."""
    validate_new_pin(user=user, pin=pin)
    with transaction.atomic():
        staff_pin, _ = StaffPin.objects.select_for_update().get_or_create(user=user)
        staff_pin.pin_hash = make_password(pin)
        staff_pin.failed_attempts = 0
        staff_pin.locked_until = None
        staff_pin.save()
        record_audit(AuditAction.PIN_SET, actor=set_by, approver=None, target=user, request=request)
    return staff_pin


def validate_new_pin(*, user, pin: str) -> None:
    if not PIN_PATTERN.fullmatch(pin or ""):
        raise ApprovalRefused("A PIN is 4 to 12 digits.", field="pin")
    if not user.is_active or not user.has_perm(APPROVER_PERMISSION):
        raise ApprovalRefused(
            f"{user.get_username()} cannot approve at the counter (supervisors and managers can), so needs no PIN.",
            field="user",
        )


def _approver_problem(supervisor, *, supervisor_username: str, cashier) -> ApprovalRefused | None:
    if supervisor is None:
        return ApprovalRefused(f"No active supervisor {supervisor_username.strip()!r}.", field="supervisor")
    if supervisor.pk == cashier.pk:
        return ApprovalRefused("A supervisor cannot approve their own action; ask another one.", field="supervisor")
    if not supervisor.has_perm(APPROVER_PERMISSION):
        return ApprovalRefused(
            f"{supervisor.get_username()} may not approve: only supervisors and managers can.", field="supervisor"
        )
    return None


def _pin_problem(staff_pin: StaffPin | None, supervisor, pin: str, *, now: datetime) -> ApprovalRefused | None:
    """Check the PIN under its row lock and count a wrong one; None when it is right."""
    name = supervisor.get_username()
    if staff_pin is None:
        return ApprovalRefused(f"{name} has no counter PIN yet; a manager sets it.")
    if staff_pin.locked_until is not None and staff_pin.locked_until > now:
        local = timezone.localtime(staff_pin.locked_until)
        return ApprovalRefused(
            f"The PIN of {name} is locked until {local:%H:%M} after {PIN_ATTEMPTS_ALLOWED} wrong entries."
        )
    if check_password(pin, staff_pin.pin_hash):
        if staff_pin.failed_attempts or staff_pin.locked_until:
            staff_pin.failed_attempts, staff_pin.locked_until = 0, None
            staff_pin.save(update_fields=["failed_attempts", "locked_until", "updated_at"])
        return None
    staff_pin.failed_attempts += 1
    if staff_pin.failed_attempts >= PIN_ATTEMPTS_ALLOWED:
        staff_pin.failed_attempts, staff_pin.locked_until = 0, now + PIN_LOCK_DURATION
        message = f"Wrong PIN. The PIN of {name} is now locked for {PIN_LOCK_DURATION.seconds // 60} minutes."
    else:
        left = PIN_ATTEMPTS_ALLOWED - staff_pin.failed_attempts
        message = f"Wrong PIN for {name}; {left} more wrong {'entry locks' if left == 1 else 'entries lock'} it."
    staff_pin.save(update_fields=["failed_attempts", "locked_until", "updated_at"])
    return ApprovalRefused(message)


def _record_refusal(refusal, action, supervisor, cashier, register, details, request) -> None:
    record_audit(
        AuditAction.APPROVAL_REFUSED,
        actor=cashier,
        approver=supervisor,
        store=register.store,
        register=register,
        details={"action": action, "reason": refusal.message, **details},
        request=request,
    )


def _as_json(details: dict) -> dict:
    """Details as stored (Decimals and ids as JSON has them), so they compare with stored ones."""
    return json.loads(json.dumps(details, cls=DjangoJSONEncoder))
