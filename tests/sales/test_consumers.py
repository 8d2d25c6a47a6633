import uuid
from decimal import Decimal as D

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from inventory.models import Product
from inventory.services import catalog_bulk_change, update_product
from retailpos.asgi import application
from sales.consumers import RegisterConsumer
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.factories import ProductFactory, RegisterFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)


def communicator_for(register, user):
    communicator = WebsocketCommunicator(RegisterConsumer.as_asgi(), f"/ws/registers/{register.code}/")
    communicator.scope["user"] = user
    communicator.scope["url_route"] = {"kwargs": {"code": register.code}}
    return communicator


def sell(register, cashier, product, quantity):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product, D(quantity))],
        payments=[PaymentRequest("cash", D("100"))],
    )


def test_committed_sale_pushes_the_new_balance_to_the_stores_registers_only(register, cashier, product):
    other_register = RegisterFactory(store=StoreFactory(code="elsewhere"), code="X1")

    async def scenario():
        here = communicator_for(register, cashier)
        there = communicator_for(other_register, cashier)
        assert (await here.connect())[0]
        assert (await there.connect())[0]

        await database_sync_to_async(sell)(register, cashier, product, 2)

        message = await here.receive_json_from(timeout=2)
        assert message == {"type": "stock.updated", "levels": [{"product": product.pk, "on_hand": "48.000"}]}
        assert await there.receive_nothing(timeout=0.3)
        await here.disconnect()
        await there.disconnect()

    async_to_sync(scenario)()


def test_rolled_back_sale_pushes_nothing(register, cashier, product):
    def sell_then_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            from inventory.services import StockChange, record_movements

            record_movements(store=register.store, changes=[StockChange(product.pk, D("-1"))], reason="sale")
            raise RuntimeError("payment terminal declined")

    async def scenario():
        here = communicator_for(register, cashier)
        assert (await here.connect())[0]
        await database_sync_to_async(sell_then_roll_back)()
        assert await here.receive_nothing(timeout=0.5)
        await here.disconnect()

    async_to_sync(scenario)()


def test_anonymous_websocket_is_refused(register):
    async def scenario():
        communicator = communicator_for(register, AnonymousUser())
        connected, _ = await communicator.connect()
        assert not connected

    async_to_sync(scenario)()


def test_cross_origin_websocket_is_refused_by_the_asgi_stack(register):
    async def scenario():
        communicator = WebsocketCommunicator(
            application, f"/ws/registers/{register.code}/", headers=[(b"origin", b"http://evil.example")]
        )
        connected, _ = await communicator.connect()
        assert not connected

    async_to_sync(scenario)()


def test_product_change_reaches_every_stores_registers_after_commit_with_prices_in_its_currency(
    register, cashier, product
):
    tokyo = RegisterFactory(store=StoreFactory(code="tokyo", currency="JPY"), code="T1")

    async def scenario():
        here = communicator_for(register, cashier)
        there = communicator_for(tokyo, cashier)
        assert (await here.connect())[0]
        assert (await there.connect())[0]

        def change_price():
            with transaction.atomic():
                update_product(product=product, changes={"price": D("1.29"), "name": "Milk 1 l"})
                # Not before commit: the open transaction has pushed nothing yet.
                assert async_to_sync(here.receive_nothing)(timeout=0.2)

        await database_sync_to_async(change_price)()

        expected = {
            "id": product.pk,
            "sku": "MILK",
            "barcode": product.barcode,
            "name": "Milk 1 l",
            "price": "1.29",
            "tax_code": "standard",
            "tax_rate": "19",
            "active": True,
        }
        assert await here.receive_json_from(timeout=2) == {"type": "catalog.updated", "products": [expected]}
        assert await there.receive_json_from(timeout=2) == {
            "type": "catalog.updated",
            "products": [{**expected, "price": "1"}],
        }
        await here.disconnect()
        await there.disconnect()

    async_to_sync(scenario)()


def test_rolled_back_product_change_pushes_nothing(register, cashier, product):
    def change_then_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            update_product(product=product, changes={"active": False})
            raise RuntimeError("changed my mind")

    async def scenario():
        here = communicator_for(register, cashier)
        assert (await here.connect())[0]
        await database_sync_to_async(change_then_roll_back)()
        assert await here.receive_nothing(timeout=0.5)
        await here.disconnect()

    async_to_sync(scenario)()


def test_bulk_catalogue_change_sends_one_catalog_changed_instead_of_one_message_per_product(
    register, cashier, product, standard_rate
):
    others = [ProductFactory(tax_rate=standard_rate) for _ in range(3)]

    def import_prices():
        with catalog_bulk_change():
            update_product(product=product, changes={"price": D("1.39")})
            for other in others:
                update_product(product=other, changes={"price": D("0.99")})
            Product.objects.filter(pk__in=[o.pk for o in others]).update(active=False, updated_at=timezone.now())

    async def scenario():
        here = communicator_for(register, cashier)
        assert (await here.connect())[0]
        await database_sync_to_async(import_prices)()
        assert await here.receive_json_from(timeout=2) == {"type": "catalog.changed"}
        assert await here.receive_nothing(timeout=0.3)
        await here.disconnect()

    async_to_sync(scenario)()
