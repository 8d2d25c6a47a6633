"""What Django 5.2 does not do itself: the Content-Security-Policy header, the back office's idle timeout."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY``, or the policy of the first matching path prefix in
    ``settings.CONTENT_SECURITY_POLICY_BY_PATH`` (pages of third-party packages with inline code)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.by_path = list(settings.CONTENT_SECURITY_POLICY_BY_PATH.items())

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = next(
                (policy for prefix, policy in self.by_path if request.path.startswith(prefix)),
                settings.CONTENT_SECURITY_POLICY,
            )
            response["Content-Security-Policy"] = policy
        return response


class BackOfficeIdleTimeoutMiddleware:
    """Log a back-office user out after ``settings.BACK_OFFICE_IDLE_MINUTES`` without a back-office request.

    Only ``/admin/`` counts and is guarded: a counter session is not cut off mid-shift.
    """

    SESSION_KEY = "back_office_last_seen"
    PREFIX = "/admin/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.PREFIX) and request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(self.SESSION_KEY)
            if last_seen is not None and now - last_seen > settings.BACK_OFFICE_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, "You were logged out of the back office after a while without activity.")
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            # Written at most once a minute: not a session save on every click.
            if last_seen is None or now - last_seen >= 60:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)
