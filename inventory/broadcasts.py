"""Push stock changes to the registers of a store. Called only after commit."""

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
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    event = {
        "type": "stock.updated",
        "store": store_id,
        "levels": [{"product": product_id, "on_hand": str(on_hand)} for product_id, on_hand in balances.items()],
    }
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            async_to_sync(channel_layer.group_send)(stock_group_name(store_id), event)
        else:
            # Committed from code running inside an event loop: async_to_sync would refuse.
            task = loop.create_task(channel_layer.group_send(stock_group_name(store_id), event))
            _pending_sends.add(task)
            task.add_done_callback(_pending_sends.discard)
    except Exception:
        # The sale is committed; a lost push is repaired by the registers' delta fetch.
        logger.exception("Could not broadcast stock levels for store %s", store_id)
