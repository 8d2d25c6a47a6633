"""Write the audit log. Every app calls ``record``; the audit app imports no other project app."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from audit.models import AuditEntry

Action = AuditEntry.Action

MAX_DETAILS_LENGTH = 4000
_USERNAME_LENGTH = AuditEntry._meta.get_field("actor_username").max_length


def record(
    action: str,
    *,
    actor=None,
    approver=None,
    store=None,
    register=None,
    target=None,
    details: dict | None = None,
    request=None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, in the caller's transaction.

    Call it inside the transaction of the business change it describes: the entry commits or
    rolls back with that change. A refusal changes nothing, so record it outside any transaction
    that is about to roll back (e.g. after leaving ``atomic()``), or it is lost with it.

    ``actor``/``approver``: a user, or a username (e.g. a failed login's); with neither, the
    request's logged-in user. ``store``/``register``: an object with a ``code`` or the code
    itself. ``target``: a model instance, or ``(object_type, object_id)``. ``details``: a small
    JSON object (Decimals and dates allowed). ``ip``: the client's address when there is no
    ``request`` (a service given only the address).
    """
    if actor is None and request is not None and getattr(request, "user", None) and request.user.is_authenticated:
        actor = request.user
    actor_user, actor_username = _user_and_name(actor)
    approver_user, approver_username = _user_and_name(approver)
    object_type, object_id = _object_type_and_id(target)
    details = details or {}
    if len(json.dumps(details, cls=DjangoJSONEncoder)) > MAX_DETAILS_LENGTH:
        raise ValueError(f"Audit details are limited to {MAX_DETAILS_LENGTH} characters of JSON.")
    return AuditEntry.objects.create(
        action=Action(action),
        actor=actor_user,
        actor_username=actor_username,
        approver=approver_user,
        approver_username=approver_username,
        store_code=_code(store),
        register_code=_code(register),
        object_type=object_type,
        object_id=object_id,
        details=details,
        ip=ip or client_ip(request),
    )


def client_ip(request) -> str | None:
    """The address the request came from (the proxy's forwarded address when uvicorn trusts it)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _user_and_name(user_or_name):
    if user_or_name is None:
        return None, ""
    if isinstance(user_or_name, str):
        return None, user_or_name[:_USERNAME_LENGTH]
    return user_or_name, user_or_name.get_username()[:_USERNAME_LENGTH]


def _code(store_or_register) -> str:
    if store_or_register is None:
        return ""
    if isinstance(store_or_register, str):
        return store_or_register
    return store_or_register.code


def _object_type_and_id(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    object_type, object_id = target
    return object_type, str(object_id)
