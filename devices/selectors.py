"""Reads about devices and print jobs."""

import hashlib
import hmac
from datetime import timedelta

from django.utils import timezone

from devices.models import Device, Printer, PrintJob

TOKEN_PREFIX_LENGTH = 12
ONLINE_WITHIN = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_for_token(token: str) -> Device | None:
    """The active (not revoked) device holding ``token``, or None."""
    if not token or len(token) <= TOKEN_PREFIX_LENGTH:
        return None
    expected = token_hash(token)
    candidates = Device.objects.select_related("register").filter(
        token_prefix=token[:TOKEN_PREFIX_LENGTH], revoked_at__isnull=True, register__active=True
    )
    for device in candidates:
        if hmac.compare_digest(device.token_hash, expected):
            return device
    return None


def is_online(device: Device, *, now=None) -> bool:
    return device.last_seen is not None and (now or timezone.now()) - device.last_seen <= ONLINE_WITHIN


def printer_config(register_id: int) -> dict | None:
    printer = Printer.objects.filter(register_id=register_id, active=True).first()
    return printer.agent_config() if printer else None


def undelivered_jobs(register_id: int) -> list[PrintJob]:
    """Jobs the register's agent has not confirmed printed, oldest first: what it gets on connect."""
    return list(PrintJob.objects.filter(register_id=register_id).exclude(state=PrintJob.State.PRINTED).order_by("pk"))
