"""Push stock and catalogue changes to the registers of a store. Called only after commit."""

import asyncio
import logging
from decimal import Decimal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)
_pending_sends: set = set()  # keeps scheduled sends alive until they finish


def stock_group_name(store_id: int) -> str:
    return f"stock.store-{store_id}"


def broadcast_stock_levels(*, store_id: int, balances: dict[int, Decimal]) -> None:
    event = {
        "type": "stock.updated",
        "store": store_id,
        "levels": [{"product": product_id, "on_hand": str(on_hand)} for product_id, on_hand in balances.items()],
    }
    _send_to_stores([store_id], event, what="stock levels")


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
