"""Reads about devices and print jobs."""

import hashlib
import hmac
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from devices.models import Device, Printer, PrintJob, Register

TOKEN_PREFIX_LENGTH = 12
ONLINE_WITHIN = timedelta(seconds=60)
DEFAULT_LOCAL_PORT = 8631  # the agent's default (devices/agent/config.py)


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


def local_print_agent(register: Register) -> dict | None:
    """Where the register's checkout page reaches its print agent while the server is away, and the key.

    ``{"url": "http://127.0.0.1:<port>", "key": ...}`` (the port its agent last reported), or None
    when no agent is paired with the register.
    """
    if not register.local_print_key:
        return None
    ports = (
        Device.objects.filter(register=register, revoked_at__isnull=True)
        .order_by(F("last_seen").desc(nulls_last=True), "-pk")
        .values_list("local_port", flat=True)[:1]
    )
    if not ports:
        return None
    # Built here from a number: the page never goes to an address an agent made up.
    return {"url": f"http://127.0.0.1:{ports[0] or DEFAULT_LOCAL_PORT}", "key": register.local_print_key}
