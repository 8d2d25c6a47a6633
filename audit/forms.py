from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from audit.lockout import login_refusal
from audit.services import Action, client_ip, record


class LockoutMixin:
    """Refuse to even check the password while the username or the address is locked (audited)."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if refusal := login_refusal(username=username, ip=ip):
            record(Action.LOGIN_LOCKED, actor=username, details={"refused": True}, request=self.request)
            raise forms.ValidationError(refusal, code="locked")
        return super().clean()


class LoginForm(LockoutMixin, AuthenticationForm):
    pass


class BackOfficeLoginForm(LockoutMixin, AdminAuthenticationForm):
    pass
