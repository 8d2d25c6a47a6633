"""What Django 5.2 does not do itself: the Content-Security-Policy header, the back office's idle timeout."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect


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

    Only ``/admin/`` counts and is guarded: a counter session is not cut off mid-shift. A page's own
    refreshes (the dashboard's polling, marked with ``BACKGROUND_HEADER``) are not activity: a
    dashboard left open on an unattended screen is logged out like any other page.
    """

    SESSION_KEY = "back_office_last_seen"
    PREFIX = "/admin/"
    BACKGROUND_HEADER = "X-Background-Refresh"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.PREFIX) and request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(self.SESSION_KEY)
            if last_seen is not None and now - last_seen > settings.BACK_OFFICE_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, "You were logged out of the back office after a while without activity.")
                if request.headers.get("HX-Request") == "true":
                    # A fragment must not become a login form inside the page: the whole page goes.
                    return HttpResponseClientRedirect(reverse("admin:login"))
                return redirect_to_login(request.get_full_path(), reverse("admin:login"))
            # Written at most once a minute: not a session save on every click.
            background = request.headers.get(self.BACKGROUND_HEADER) == "1"
            if last_seen is None or (now - last_seen >= 60 and not background):
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)
