from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from devices.models import Register
from inventory.broadcasts import stock_group_name
from sales import access, selectors
from sales.broadcasts import customer_display_event, customer_display_group_name
from sales.models import Cart

# A register that exists but is not this user's: refused (4403), unlike an unknown one (4404).
REFUSED = object()


def _record_websocket_refusal(scope, user, code: str) -> None:
    client = scope.get("client") or [None]
    access.record_refusal(user=user, register_code=code, what=f"websocket {scope['path']}"[:200], ip=client[0])


class RegisterConsumer(AsyncJsonWebsocketConsumer):
    """Live feed for one open checkout page: stock and catalogue changes of the register's store.

    Sends the page JSON: ``{"type": "stock.updated", "levels": [{"product", "on_hand"}]}``,
    ``{"type": "catalog.updated", "products": [{"id", "sku", "barcode", "name", "price",
    "tax_code", "tax_rate", "active"}]}`` (numbers as strings), and ``{"type": "catalog.changed"}``
    after a bulk change, when the page fetches the catalogue deltas since its cursor.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        code = self.scope["url_route"]["kwargs"]["code"]
        store_id = await self._store_id(code, user)
        if store_id is None:
            await self.close(code=4404)
            return
        if store_id is REFUSED:
            await self.close(code=4403)
            return
        self.group_name = stock_group_name(store_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if group_name := getattr(self, "group_name", None):
            await self.channel_layer.group_discard(group_name, self.channel_name)

    async def stock_updated(self, event):
        await self.send_json({"type": "stock.updated", "levels": event["levels"]})

    async def catalog_updated(self, event):
        await self.send_json({"type": "catalog.updated", "products": event["products"]})

    async def catalog_changed(self, event):
        await self.send_json({"type": "catalog.changed"})

    @database_sync_to_async
    def _store_id(self, code, user):
        register = Register.objects.filter(code=code, active=True).first()
        if register is None:
            return None
        if not access.may_work_at(user, register):
            _record_websocket_refusal(self.scope, user, code)
            return REFUSED
        return register.store_id


class CustomerDisplayConsumer(AsyncJsonWebsocketConsumer):
    """The customer display of one register (``/ws/registers/<code>/display/``): the sale as it changes.

    Sends ``display.updated`` events (``sales/broadcasts.py``): the current sale on connecting (a
    display that reconnects misses nothing), then each change after its commit. Needs a logged-in
    user who may sell, as the checkout does.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        register_id = await self._register_id(self.scope["url_route"]["kwargs"]["code"], user)
        if register_id is None:
            await self.close(code=4403)
            return
        self.group_name = customer_display_group_name(register_id)
        # Joined before reading the sale: a change in between is sent, not lost.
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        current = await self._current_sale(register_id)
        await self.accept()
        await self.send_json(current)

    async def disconnect(self, code):
        if group_name := getattr(self, "group_name", None):
            await self.channel_layer.group_discard(group_name, self.channel_name)

    async def display_updated(self, event):
        await self.send_json(event["display"])

    @database_sync_to_async
    def _register_id(self, code, user) -> int | None:
        register = selectors.active_registers().filter(code=code).first()
        if register is None or not access.may_work_at(user, register):
            _record_websocket_refusal(self.scope, user, code)
            return None
        return register.pk

    @database_sync_to_async
    def _current_sale(self, register_id: int) -> dict:
        cart, _ = Cart.objects.select_related("register__store").get_or_create(register_id=register_id)
        return customer_display_event(selectors.checkout_state(cart=cart))
