"""Login lockout: too many failed logins lock the username, and the client address, for a while.

Shaped like the counter PIN's lock (sales/approvals.py): counted under a row lock, so failures
arriving at once all count. Per username against guessing one account's password; per address
(with a higher limit, as a shop's registers may share one) against trying many accounts.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import LoginThrottle
from audit.services import Action, record
from retailpos.card_numbers import mask_card_numbers


def _user_key(username: str) -> str:
    # A card number typed as the username is not kept, not even here.
    return f"user:{mask_card_numbers(username.strip().lower())[:150]}"


def _keys(username: str, ip: str | None) -> dict[str, int]:
    keys = {_user_key(username): settings.LOGIN_FAILURES_PER_USERNAME}
    if ip:
        keys[f"ip:{ip}"] = settings.LOGIN_FAILURES_PER_ADDRESS
    return keys


def login_refusal(*, username: str, ip: str | None, now: datetime | None = None) -> str | None:
    """Why this login may not even be tried now (a lock on the username or the address), or None."""
    now = now or timezone.now()
    locked = LoginThrottle.objects.filter(key__in=_keys(username, ip), locked_until__gt=now).order_by("-locked_until")
    lock = locked.first()
    if lock is None:
        return None
    minutes = max(1, int((lock.locked_until - now).total_seconds() // 60) + 1)
    return f"Too many failed logins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def count_failed_login(*, username: str, ip: str | None, request=None, now: datetime | None = None) -> None:
    """Count a failed login against the username and the address; lock (and audit) at the limit."""
    now = now or timezone.now()
    with transaction.atomic():
        for key, allowed in sorted(_keys(username, ip).items()):  # a fixed order: no deadlocks
            LoginThrottle.objects.get_or_create(key=key)
            throttle = LoginThrottle.objects.select_for_update().get(key=key)
            if throttle.locked_until is not None and throttle.locked_until > now:
                continue
            throttle.failures += 1
            if throttle.failures >= allowed:
                throttle.failures = 0
                throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
                record(
                    Action.LOGIN_LOCKED,
                    actor=username,
                    details={"locked": key.split(":", 1)[0], "until": throttle.locked_until},
                    request=request,
                    ip=ip,
                )
            throttle.save()


def clear_failed_logins(*, username: str) -> None:
    """A successful login starts the username's count again (the address keeps its own)."""
    LoginThrottle.objects.filter(key=_user_key(username), locked_until__isnull=True).update(failures=0)
