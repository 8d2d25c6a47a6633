"""Pairing register PCs, their tokens, and the print job queue."""

import hashlib
import secrets
from datetime import timedelta
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import Action
from audit.services import record as record_audit
from devices.broadcasts import close_device_connections, push_device_config, push_print_job
from devices.exceptions import PairingRefused, TooManyPairingAttempts
from devices.models import Device, PairingCode, PrintJob, Register
from devices.selectors import TOKEN_PREFIX_LENGTH, printer_config, token_hash

PAIRING_CODE_LIFETIME = timedelta(minutes=10)
# No 0/O, 1/I/L: the code is read off a screen and typed on another machine.
PAIRING_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_CODE_LENGTH = 8
PAIRING_ATTEMPTS_ALLOWED = 10
PAIRING_ATTEMPTS_WINDOW = timedelta(minutes=10)
MAX_ERROR_LENGTH = 2000


def create_pairing_code(*, register: Register, created_by=None) -> str:
    """Make a one-time pairing code for the register; only its hash is stored, so show it now."""
    code = "".join(secrets.choice(PAIRING_CODE_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
    PairingCode.objects.create(
        register=register,
        code_hash=_code_hash(code),
        created_by=created_by,
        expires_at=timezone.now() + PAIRING_CODE_LIFETIME,
    )
    return code


def count_pairing_attempt(*, client_address: str) -> None:
    """Refuse more than ``PAIRING_ATTEMPTS_ALLOWED`` attempts per address and window."""
    key = f"devices:pairing-attempts:{client_address}"
    # add() starts the window only once; incr() is atomic in Redis and in the local-memory cache.
    cache.add(key, 0, timeout=int(PAIRING_ATTEMPTS_WINDOW.total_seconds()))
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=int(PAIRING_ATTEMPTS_WINDOW.total_seconds()))
        attempts = 1
    if attempts > PAIRING_ATTEMPTS_ALLOWED:
        if attempts == PAIRING_ATTEMPTS_ALLOWED + 1:  # once per window: a flood must not flood the log
            record_audit(Action.PAIRING_FAILED, details={"reason": "too many attempts"}, ip=client_address or None)
        raise TooManyPairingAttempts("Too many pairing attempts; wait ten minutes and ask for a new code.")


def pair_device(*, code: str, name: str, client_address: str | None = None) -> tuple[Device, str]:
    """Exchange a valid pairing code for a device and its token (returned once, stored hashed)."""
    normalized = code.strip().upper().replace("-", "").replace(" ", "")
    now = timezone.now()
    with transaction.atomic():
        # Used up in the same statement that checks it: two agents racing with one code get one device.
        claimed = PairingCode.objects.filter(
            code_hash=_code_hash(normalized), used_at__isnull=True, expires_at__gt=now, register__active=True
        ).update(used_at=now)
        if claimed:
            pairing = PairingCode.objects.select_related("register__store", "created_by").get(
                code_hash=_code_hash(normalized)
            )
            device, token = create_device(register=pairing.register, name=name)
            record_audit(
                Action.DEVICE_PAIRED,
                # Whoever made the code let this device in.
                approver=pairing.created_by,
                store=pairing.register.store,
                register=pairing.register,
                target=device,
                details={"name": device.name, "token_prefix": device.token_prefix},
                ip=client_address or None,
            )
            return device, token
    # Outside the transaction: a refusal changes nothing, and its record must stay.
    record_audit(Action.PAIRING_FAILED, details={"reason": "unknown, expired or used code"}, ip=client_address or None)
    raise PairingRefused("This pairing code is unknown, expired or already used. Ask for a new one.")


def create_device(*, register: Register, name: str = "") -> tuple[Device, str]:
    """A new device of the register and its token (returned once, stored hashed); what pairing does."""
    with transaction.atomic():
        if not register.local_print_key:
            _set_local_print_key(register)
        token = "rpd_" + secrets.token_urlsafe(32)
        device = Device.objects.create(
            register=register,
            name=name or f"{register.code} agent",
            token_prefix=token[:TOKEN_PREFIX_LENGTH],
            token_hash=token_hash(token),
        )
    return device, token


def revoke_device(*, device: Device, revoked_by=None, request=None) -> None:
    """Refuse the device's token from now on and close its open websocket after commit.

    The register's local print key changes too (the revoked PC's copy no longer prints from its
    pages); the register's other agents get the new one at once, its pages on their next load.
    """
    with transaction.atomic():
        updated = Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if updated:
            register = (
                Register.objects.select_for_update(of=("self",)).select_related("store").get(pk=device.register_id)
            )
            key = _set_local_print_key(register)
            record_audit(
                Action.DEVICE_REVOKED,
                actor=revoked_by,
                store=register.store,
                register=register,
                target=device,
                details={"name": device.name, "token_prefix": device.token_prefix},
                request=request,
            )
            transaction.on_commit(partial(close_device_connections, device_id=device.pk))
            transaction.on_commit(
                partial(
                    push_device_config,
                    register_id=register.pk,
                    message={"type": "config", "local_print_key": key},
                    except_device_id=device.pk,
                )
            )


def _set_local_print_key(register: Register) -> str:
    register.local_print_key = secrets.token_urlsafe(24)
    Register.objects.filter(pk=register.pk).update(local_print_key=register.local_print_key)
    return register.local_print_key


def record_local_port(*, device_id: int, port: int | None) -> None:
    """Where the device's local endpoint listens on 127.0.0.1 (None: it has none)."""
    Device.objects.filter(pk=device_id).update(local_port=port)


def record_heartbeat(*, device_id: int, printer_state: dict | None = None) -> None:
    fields = {"last_seen": timezone.now()}
    if printer_state is not None:
        fields["printer_state"] = printer_state
    Device.objects.filter(pk=device_id).update(**fields)


def queue_print_job(*, register_id: int, kind: str, payload: dict, sale_id=None) -> PrintJob:
    """Queue a job for the register's agent and hand it over after commit.

    Joins the caller's transaction: a rolled-back sale prints nothing.
    """
    job = PrintJob.objects.create(register_id=register_id, kind=kind, payload=payload, sale_id=sale_id)
    transaction.on_commit(partial(_push_job, job))
    return job


def announce_printer(*, register_id: int) -> None:
    """Tell the register's agents its printer as it now is, after commit: what they print on while offline."""
    transaction.on_commit(
        lambda: push_device_config(
            register_id=register_id, message={"type": "config", "printer": printer_config(register_id)}
        )
    )


def _push_job(job: PrintJob) -> None:
    push_print_job(register_id=job.register_id, message=job.agent_message(printer_config(job.register_id)))


def mark_jobs_sent(*, job_ids: list[int]) -> None:
    PrintJob.objects.filter(pk__in=job_ids, state=PrintJob.State.QUEUED).update(
        state=PrintJob.State.SENT, updated_at=timezone.now()
    )


def mark_job_printed(*, device: Device, job_id: int) -> None:
    PrintJob.objects.filter(pk=job_id, register_id=device.register_id).update(
        state=PrintJob.State.PRINTED, last_error="", updated_at=timezone.now()
    )


def mark_job_failed(*, device: Device, job_id: int, error: str) -> None:
    # Printed wins: a late failure report of a retried job must not undo it.
    PrintJob.objects.filter(pk=job_id, register_id=device.register_id).exclude(state=PrintJob.State.PRINTED).update(
        state=PrintJob.State.FAILED,
        attempts=F("attempts") + 1,
        last_error=str(error)[:MAX_ERROR_LENGTH],
        updated_at=timezone.now(),
    )


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def test_page_document(*, register: Register, requested_at) -> dict:
    return {
        "version": 1,
        "title": "Test page",
        "register": {"code": register.code, "name": register.name},
        "requested_at": requested_at.isoformat(),
    }
