"""The customer display: its page, and its websocket getting each change of the sale after commit."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client

from sales.consumers import CustomerDisplayConsumer
from sales.models import Cart
from tests.factories import RegisterFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}


def display_socket(register, user):
    communicator = WebsocketCommunicator(CustomerDisplayConsumer.as_asgi(), f"/ws/registers/{register.code}/display/")
    communicator.scope["user"] = user
    communicator.scope["url_route"] = {"kwargs": {"code": register.code}}
    return communicator


def checkout(cashier):
    client = Client()
    client.force_login(cashier)
    return client


IDLE = {
    "type": "display.updated",
    "register": "R1",
    "state": "idle",
    "currency_symbol": "€",
    "lines": [],
    "item_count": "0",
    "total": "0.00",
    "paid": "0.00",
    "remaining": "0.00",
    "change": "0.00",
}


def test_the_display_is_sent_a_change_only_once_it_is_committed(register, cashier, product, monkeypatch):
    sent = []
    monkeypatch.setattr("sales.broadcasts._send", lambda group, event: sent.append((group, event)))
    client = checkout(cashier)

    with pytest.raises(RuntimeError), transaction.atomic():
        client.post(f"/pos/{register.code}/scan/", {"code": product.barcode}, **HTMX)
        raise RuntimeError("rolled back")
    assert sent == []  # a rolled-back change is never shown to the customer

    with transaction.atomic():
        client.post(f"/pos/{register.code}/scan/", {"code": product.barcode}, **HTMX)
        assert sent == []  # not before commit
    assert [(group, event["state"], event["total"]) for group, event in sent] == [
        (f"display.register-{register.pk}", "open", "1.19")
    ]


def test_a_scan_reaches_the_display_and_paying_shows_the_change(register, cashier, product):
    client = checkout(cashier)
    other_register = RegisterFactory(store=register.store, code="R2")

    def scan():
        response = client.post(f"/pos/{register.code}/scan/", {"code": product.barcode}, **HTMX)
        assert response.status_code == 200

    def pay_cash(amount):
        sale_id = Cart.objects.get(register=register).sale_id
        data = {"sale_id": sale_id, "payment_id": uuid.uuid4(), "method": "cash", "amount": amount}
        assert client.post(f"/pos/{register.code}/tender/", data, **HTMX).status_code == 200

    async def scenario():
        display, elsewhere = display_socket(register, cashier), display_socket(other_register, cashier)
        assert (await display.connect())[0] and (await elsewhere.connect())[0]
        assert await display.receive_json_from(timeout=2) == IDLE  # the sale as it is, on connecting
        await elsewhere.receive_json_from(timeout=2)

        await database_sync_to_async(scan)()

        assert await display.receive_json_from(timeout=2) == {
            **IDLE,
            "state": "open",
            "lines": [{"name": "Milk", "quantity": "1", "amount": "1.19"}],
            "item_count": "1",
            "total": "1.19",
            "remaining": "1.19",
        }
        await database_sync_to_async(pay_cash)("5")

        paid = await display.receive_json_from(timeout=2)
        assert (paid["state"], paid["total"], paid["paid"], paid["change"]) == ("paid", "1.19", "5.00", "3.81")
        assert paid["receipt_number"] == "R1-000001"
        assert await elsewhere.receive_nothing(timeout=0.3)  # another register's display shows its own sale
        await display.disconnect()
        await elsewhere.disconnect()

    async_to_sync(scenario)()


def test_a_refused_scan_changes_nothing_on_the_display(register, cashier, product):
    client = checkout(cashier)

    async def scenario():
        display = display_socket(register, cashier)
        assert (await display.connect())[0]
        await display.receive_json_from(timeout=2)
        response = await database_sync_to_async(client.post)(
            f"/pos/{register.code}/scan/", {"code": "NO-SUCH-CODE"}, **HTMX
        )
        assert "No product" in response.content.decode()
        assert await display.receive_nothing(timeout=0.3)
        await display.disconnect()

    async_to_sync(scenario)()


@pytest.mark.parametrize("who", ["anonymous", "no role"])
def test_only_staff_who_may_sell_get_the_display(register, who):
    user = AnonymousUser() if who == "anonymous" else UserFactory(username="visitor")

    async def scenario():
        connected, _ = await display_socket(register, user).connect()
        assert not connected

    async_to_sync(scenario)()


def test_the_display_page_needs_the_cashiers_login_and_shows_the_sale(client, register, cashier, product):
    assert client.get(f"/pos/{register.code}/display/").status_code == 302  # to the login
    client.force_login(UserFactory(username="visitor"))
    assert client.get(f"/pos/{register.code}/display/").status_code == 403

    cashier_client = checkout(cashier)
    cashier_client.post(f"/pos/{register.code}/scan/", {"code": product.barcode}, **HTMX)
    page = cashier_client.get(f"/pos/{register.code}/display/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-ws-url="/ws/registers/R1/display/"' in html
    assert '"name": "Milk"' in html and '"total": "1.19"' in html  # the initial state, drawn by the page
