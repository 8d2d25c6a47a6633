"""Push stock and catalogue changes to the registers of a store. Called only after commit."""

import asyncio
import logging
from decimal import Decimal

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)
_pending_sends: set = set()  # keeps scheduled sends alive until they finish

# How long a server process gathers stock changes before pushing them, per store.
STOCK_PUSH_WINDOW_SECONDS = 0.02


def stock_group_name(store_id: int) -> str:
    return f"stock.store-{store_id}"


def broadcast_stock_levels(*, store_id: int, balances: dict[int, Decimal]) -> None:
    """Push new balances to the store's registers: from a server, gathered with those of other sales
    committed in the next few milliseconds (``StockPushes``); elsewhere at once."""
    loop = _server_loop()
    if loop is not None:
        loop.call_soon_threadsafe(StockPushes.of(loop).add, store_id, balances)
    else:
        _send_to_stores([store_id], _stock_event(store_id, balances), what="stock levels")


def _stock_event(store_id: int, balances: dict[int, Decimal]) -> dict:
    return {
        "type": "stock.updated",
        "store": store_id,
        "levels": [{"product": product_id, "on_hand": str(on_hand)} for product_id, on_hand in balances.items()],
    }


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the ASGI server whose request thread (or loop) this is, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    # Set by asgiref on the threads it runs sync code on for a loop (what async_to_sync uses too).
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


class StockPushes:
    """A server process's stock changes waiting to be pushed, by store, for a few milliseconds.

    A busy checkout commits many sales a second; each pushed on its own costs a channel-layer
    round trip per sale (about a millisecond of the sale's CPU). Gathered, one ``stock.updated``
    carries the latest balance of every product changed in the window, for each store. Only the
    event loop touches it (``call_soon_threadsafe``), so it needs no lock.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.waiting: dict[int, dict[int, Decimal]] = {}

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> "StockPushes":
        if (pushes := getattr(loop, "retailpos_stock_pushes", None)) is None:
            pushes = loop.retailpos_stock_pushes = cls(loop)
        return pushes

    def add(self, store_id: int, balances: dict[int, Decimal]) -> None:
        if (waiting := self.waiting.get(store_id)) is not None:
            waiting.update(balances)  # committed later: the newer balance
            return
        self.waiting[store_id] = dict(balances)
        self.loop.call_later(STOCK_PUSH_WINDOW_SECONDS, self._push, store_id)

    def _push(self, store_id: int) -> None:
        balances = self.waiting.pop(store_id)
        _send_to_stores([store_id], _stock_event(store_id, balances), what="stock levels")


def broadcast_products_updated(*, products_by_store: dict[int, list[dict]]) -> None:
    """Send each store's registers the register-facing fields of changed products (``catalog.updated``)."""
    for store_id, products in products_by_store.items():
        _send_to_stores([store_id], {"type": "catalog.updated", "products": products}, what="product changes")


def broadcast_catalog_changed(*, store_ids: list[int]) -> None:
    """Tell the stores' registers that much of the catalogue changed: fetch deltas (``catalog.changed``)."""
    _send_to_stores(store_ids, {"type": "catalog.changed"}, what="a catalogue change")


def _send_to_stores(store_ids: list[int], event: dict, *, what: str) -> None:
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            async_to_sync(_send)(channel_layer, store_ids, event)
        else:
            # Committed from code running inside an event loop: async_to_sync would refuse.
            task = loop.create_task(_send(channel_layer, store_ids, event))
            _pending_sends.add(task)
            task.add_done_callback(_pending_sends.discard)
    except Exception:
        # The change is committed; a lost push is repaired by the registers' delta fetch.
        logger.exception("Could not broadcast %s to stores %s", what, store_ids)


async def _send(channel_layer, store_ids: list[int], event: dict) -> None:
    for store_id in store_ids:
        await channel_layer.group_send(stock_group_name(store_id), event)
