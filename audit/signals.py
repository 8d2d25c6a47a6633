"""Logins and failed logins, from Django's auth signals (its extension point for exactly this)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.services import Action, record


@receiver(user_logged_in, dispatch_uid="audit-login")
def record_login(sender, request, user, **kwargs):
    record(Action.LOGIN, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def record_failed_login(sender, credentials, request=None, **kwargs):
    # Django masks the password in ``credentials``; only the username is kept.
    record(Action.LOGIN_FAILED, actor=str(credentials.get("username", "")), request=request)
