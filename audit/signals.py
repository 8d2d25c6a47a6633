"""Logins and failed logins, from Django's auth signals (its extension point for exactly this)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.lockout import clear_failed_logins, count_failed_login
from audit.services import Action, client_ip, record


@receiver(user_logged_in, dispatch_uid="audit-login")
def record_login(sender, request, user, **kwargs):
    record(Action.LOGIN, actor=user, request=request)
    clear_failed_logins(username=user.get_username())


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def record_failed_login(sender, credentials, request=None, **kwargs):
    # Django masks the password in ``credentials``; only the username is kept.
    username = str(credentials.get("username", ""))
    record(Action.LOGIN_FAILED, actor=username, request=request)
    count_failed_login(username=username, ip=client_ip(request), request=request)
