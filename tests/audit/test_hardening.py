"""Login lockout, the back office's idle timeout and the Content-Security-Policy."""

import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry, LoginThrottle
from audit.services import Action
from retailpos.security import BackOfficeIdleTimeoutMiddleware
from tests.conftest import PASSWORD
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(username, password, *, ip="198.51.100.7", url="/login/"):
    return Client(REMOTE_ADDR=ip).post(url, {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_username_even_for_the_right_one_until_the_lock_ends(cashier):
    for _ in range(django_settings.LOGIN_FAILURES_PER_USERNAME):
        assert log_in("cashier", "wrong").status_code == 200

    refused = log_in("cashier", PASSWORD, ip="203.0.113.9")  # another address: the username is locked
    assert refused.status_code == 200
    assert "Too many failed logins. Try again in 15 minutes." in refused.content.decode()
    assert log_in("cashier", PASSWORD, url="/admin/login/").status_code == 200  # the back office's login too

    locked = AuditEntry.objects.filter(action=Action.LOGIN_LOCKED).order_by("id")
    assert locked[0].actor_username == "cashier" and locked[0].details["locked"] == "user"
    assert locked.filter(details__refused=True).count() == 2

    LoginThrottle.objects.filter(key="user:cashier").update(locked_until=timezone.now())
    assert log_in("cashier", PASSWORD).status_code == 302


def test_many_usernames_tried_from_one_address_lock_the_address(db):
    for number in range(django_settings.LOGIN_FAILURES_PER_ADDRESS):
        log_in(f"guess{number}", "wrong")
    UserFactory(username="someone")

    assert "Too many failed logins" in log_in("someone", PASSWORD).content.decode()
    assert log_in("someone", PASSWORD, ip="192.0.2.1").status_code == 302  # from elsewhere: fine


def test_a_right_password_starts_the_usernames_count_again(cashier):
    for _ in range(django_settings.LOGIN_FAILURES_PER_USERNAME - 1):
        log_in("cashier", "wrong")
    assert log_in("cashier", PASSWORD).status_code == 302

    for _ in range(django_settings.LOGIN_FAILURES_PER_USERNAME - 1):
        log_in("cashier", "wrong")
    assert log_in("cashier", PASSWORD).status_code == 302


def test_the_back_office_logs_out_after_the_idle_timeout(client, manager):
    client.force_login(manager)
    assert client.get("/admin/").status_code == 200

    session = client.session
    session[BackOfficeIdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = client.get("/admin/inventory/product/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/").status_code == 302  # logged out, not only redirected


def test_the_back_office_stays_logged_in_while_used(client, manager):
    client.force_login(manager)
    session = client.session
    session[BackOfficeIdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - 14 * 60
    session.save()

    assert client.get("/admin/").status_code == 200
    assert client.session[BackOfficeIdleTimeoutMiddleware.SESSION_KEY] >= int(time.time()) - 5


def test_the_dashboards_own_refreshes_do_not_keep_the_back_office_logged_in(client, manager):
    client.force_login(manager)
    page = client.get("/admin/reports/").content.decode()
    assert 'hx-headers=\'{"X-Background-Refresh": "1"}\'' in page  # what the polling fragment sends
    session = client.session
    session[BackOfficeIdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - 14 * 60
    session.save()
    poll = {"HX-Request": "true", "X-Background-Refresh": "1"}

    assert client.get("/admin/reports/today/", headers=poll).status_code == 200
    assert client.session[BackOfficeIdleTimeoutMiddleware.SESSION_KEY] <= int(time.time()) - 14 * 60

    session = client.session
    session[BackOfficeIdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = client.get("/admin/reports/today/", headers=poll)
    # The whole page goes to the login form, not the fragment.
    assert response.status_code == 200 and response["HX-Redirect"] == "/admin/login/"
    assert client.get("/admin/").status_code == 302


def test_pages_are_sent_with_a_strict_content_security_policy(cashier_client, register, manager):
    policy = cashier_client.get("/pos/R1/")["Content-Security-Policy"]

    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "connect-src 'self' http://127.0.0.1:*" in policy  # the print agent's local endpoint
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" in Client().get("/admin/login/")["Content-Security-Policy"].split("style-src")[1]


def test_no_template_has_inline_scripts_or_event_handlers():
    import re
    from pathlib import Path

    for template in Path(django_settings.BASE_DIR, "templates").rglob("*.html"):
        if "drf_spectacular" in template.parts:
            continue  # its own policy (see CONTENT_SECURITY_POLICY_BY_PATH)
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+=[\"']", text), template
        assert "<style" not in text and ' style="' not in text, template
