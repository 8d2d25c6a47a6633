"""Who may work at which register: the role's permission, then the stores the person is assigned to.

Someone assigned to no store works at every store (a one-shop installation assigns nobody);
someone assigned to stores works only at their registers. Checked on the server for the
checkout pages, the sale API, the register catalogue API and both register websockets; each
refusal is in the audit log.
"""

from django.db.models import Exists, OuterRef, QuerySet

from audit.services import Action as AuditAction
from audit.services import record as record_audit
from devices.models import Register
from inventory.models import Store

SELL_PERMISSION = "sales.add_sale"


def may_work_at(user, register: Register) -> bool:
    """Whether ``user`` may sell at ``register``.

    No query for a session's user: the auth backend loaded their stores (``assigned_store_ids``).
    """
    if not user.is_authenticated or not user.has_perm(SELL_PERMISSION):
        return False
    if user.is_superuser:
        return True
    store_ids = getattr(user, "assigned_store_ids", None)
    if store_ids is None:
        store_ids = set(Store.staff.through.objects.filter(user_id=user.pk).values_list("store_id", flat=True))
    return not store_ids or register.store_id in store_ids


def registers_for(user, registers: QuerySet[Register]) -> QuerySet[Register]:
    """Those of ``registers`` where ``user`` may work."""
    if user.is_superuser:
        return registers
    assigned = Store.staff.through.objects.filter(user_id=user.pk)
    return registers.filter(
        Exists(assigned.filter(store_id=OuterRef("store_id"))) | ~Exists(assigned),
    )


def record_refusal(*, user, register_code: str, what: str, request=None, ip: str | None = None) -> None:
    """A refused attempt to work at a register (page, API or websocket), with who and what."""
    record_audit(
        AuditAction.PERMISSION_DENIED,
        actor=user if user is not None and user.is_authenticated else None,
        register=register_code,
        details={"what": what[:200], "reason": "not allowed to work at this register"},
        request=request,
        ip=ip,
    )
    if request is not None:
        # Recorded: the refusal middleware leaves it (on Django's request, also under DRF's).
        getattr(request, "_request", request).audit_recorded = True
