"""Roles are enforced on the server for pages, APIs and websockets, and every refusal is audited."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from audit.models import AuditEntry
from audit.services import Action
from inventory.models import Store
from retailpos.asgi import application
from sales import roles
from sales.models import Sale
from tests.factories import RegisterFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the websocket's consumer reads in another thread


def logged_in(user) -> Client:
    client = Client(REMOTE_ADDR="10.0.0.5")
    client.force_login(user)
    return client


def websocket_connect(client: Client, path: str):
    """Connect through the whole ASGI stack (origin check, session auth), as the checkout page does.

    A consumer that closes before accepting refuses the handshake: uvicorn answers it with HTTP 403.
    """

    async def connect():
        communicator = WebsocketCommunicator(
            application,
            path,
            headers=[
                (b"origin", b"http://127.0.0.1"),
                (
                    b"cookie",
                    f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode(),
                ),
            ],
        )
        communicator.scope["client"] = ("127.0.0.1", 50000)
        connected, code = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return connected, code

    return async_to_sync(connect)()


def denials():
    return list(AuditEntry.objects.filter(action=Action.PERMISSION_DENIED).order_by("id"))


def test_cashier_gets_403_on_admin_manager_api_and_another_stores_register_websocket_all_audited(register):
    cashier = UserFactory(username="cashier", role=roles.CASHIER)
    register.store.staff.add(cashier)
    elsewhere = RegisterFactory(store=StoreFactory(code="north"), code="N1")
    client = logged_in(cashier)

    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/inventory/product/").status_code == 403
    assert client.get("/api/v1/audit-entries/").status_code == 403
    assert websocket_connect(client, f"/ws/registers/{elsewhere.code}/") == (False, 4403)
    assert websocket_connect(client, f"/ws/registers/{elsewhere.code}/display/") == (False, 4403)
    assert websocket_connect(client, f"/ws/registers/{register.code}/")[0]  # their own store's register: fine

    entries = denials()
    assert [entry.details["what"] for entry in entries] == [
        "GET /admin/",
        "GET /admin/inventory/product/",
        "GET /api/v1/audit-entries/",
        "websocket /ws/registers/N1/",
        "websocket /ws/registers/N1/display/",
    ]
    assert {(entry.actor_id, entry.actor_username) for entry in entries} == {(cashier.pk, "cashier")}
    assert entries[0].details["reason"] == "The back office is for managers."
    assert entries[0].ip == "10.0.0.5"
    assert entries[3].register_code == "N1" and entries[3].ip == "127.0.0.1"


def test_cashier_gets_403_on_another_stores_checkout_page_and_sale_api_and_does_not_see_it(register, product):
    cashier = UserFactory(username="cashier", role=roles.CASHIER)
    register.store.staff.add(cashier)
    RegisterFactory(store=StoreFactory(code="north"), code="N1")
    client = logged_in(cashier)

    assert client.get("/pos/N1/").status_code == 403
    assert client.post("/pos/N1/scan/", {"code": "MILK"}).status_code == 403
    sale = {
        "id": "6f1c1c1e-0000-4000-8000-000000000001",
        "register": "N1",
        "lines": [{"sku": "MILK", "quantity": "1"}],
        "payments": [{"method": "cash", "amount": "5"}],
    }
    assert client.post("/api/v1/sales/", sale, content_type="application/json").status_code == 403
    assert not Sale.objects.exists()
    listing = client.get("/pos/").content.decode()
    assert "R1" in listing and "N1" not in listing

    entries = denials()
    assert [entry.register_code for entry in entries] == ["N1", "N1", "N1"]
    assert entries[2].details["what"] == "POST /api/v1/sales/"
    assert all(entry.actor == cashier for entry in entries)


def test_someone_assigned_to_no_store_works_everywhere_and_managers_open_the_back_office(register):
    manager = UserFactory(username="manager", role=roles.MANAGER)
    RegisterFactory(store=StoreFactory(code="north"), code="N1")
    client = logged_in(manager)

    assert client.get("/pos/N1/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/audit-entries/").status_code == 200
    assert not denials()


def test_anonymous_users_are_sent_to_log_in_not_audited(register):
    assert Client().get("/admin/").status_code == 302
    assert Client().get("/pos/R1/").status_code == 302
    assert not denials()


def test_the_admin_role_has_every_permission_and_the_back_office():
    admin = UserFactory(username="boss", role=roles.ADMIN)

    assert admin.is_staff and not admin.is_superuser
    assert admin.has_perm("auth.change_user") and admin.has_perm("sales.give_approval")
    assert logged_in(admin).get("/admin/auth/user/").status_code == 200
    assert Store.staff.through.objects.count() == 0
