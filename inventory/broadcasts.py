"""Push stock changes to the registers of a store. Called only after commit."""

import logging
from decimal import Decimal

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


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
        async_to_sync(channel_layer.group_send)(stock_group_name(store_id), event)
    except Exception:
        # The sale is committed; a lost push is repaired by the registers' delta fetch.
        logger.exception("Could not broadcast stock levels for store %s", store_id)
