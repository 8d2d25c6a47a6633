"""Stock pushes from a server process: the changes of a few milliseconds travel together."""

import asyncio
from decimal import Decimal as D

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from inventory.broadcasts import broadcast_stock_levels, stock_group_name

STORE = 987654  # a group no other test uses


def test_changes_committed_in_one_window_reach_the_registers_as_one_push_with_the_latest_balances():
    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(stock_group_name(STORE), channel)
        try:

            def three_sales_commit():  # on a request thread of the server, as after commit
                broadcast_stock_levels(store_id=STORE, balances={1: D("5"), 2: D("9")})
                broadcast_stock_levels(store_id=STORE, balances={1: D("4")})
                broadcast_stock_levels(store_id=STORE, balances={3: D("-1")})

            await sync_to_async(three_sales_commit, thread_sensitive=False)()
            first = await asyncio.wait_for(layer.receive(channel), 2)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(layer.receive(channel), 0.3)

            await sync_to_async(broadcast_stock_levels, thread_sensitive=False)(store_id=STORE, balances={2: D("8")})
            later = await asyncio.wait_for(layer.receive(channel), 2)
            return first, later
        finally:
            await layer.group_discard(stock_group_name(STORE), channel)

    first, later = async_to_sync(scenario)()

    assert first["type"] == "stock.updated"
    assert {level["product"]: level["on_hand"] for level in first["levels"]} == {1: "4", 2: "9", 3: "-1"}
    assert later["levels"] == [{"product": 2, "on_hand": "8"}]
