"""Two ASGI server processes sharing PostgreSQL and Redis, as a chain runs them."""

import asyncio
import json
import time
import uuid

import pytest
from websockets.asyncio.client import connect

from tests.conftest import PASSWORD
from tests.servers import Browser, asgi_server, free_port, requires_postgres_and_redis, server_environment

pytestmark = [requires_postgres_and_redis, pytest.mark.django_db(transaction=True)]


def test_a_sale_on_one_server_process_reaches_a_register_connected_to_another_within_a_second(
    register, cashier, product, tmp_path
):
    port_a, port_b = free_port(), free_port()
    env = server_environment(SECRET_KEY="two-processes-" + uuid.uuid4().hex, REDIS_PREFIX=f"test-{uuid.uuid4().hex}")

    with (
        asgi_server(port_a, env, log_path=tmp_path / "a.log"),
        asgi_server(port_b, env, log_path=tmp_path / "b.log"),
    ):
        browser = Browser(f"http://127.0.0.1:{port_a}")
        browser.log_in(cashier.username, PASSWORD)

        async def scenario():
            async with connect(
                f"ws://127.0.0.1:{port_b}/ws/registers/{register.code}/",
                origin=f"http://127.0.0.1:{port_b}",
                additional_headers={"Cookie": f"sessionid={browser.cookie('sessionid')}"},
                open_timeout=5,
                close_timeout=2,
            ) as websocket:
                received = asyncio.create_task(websocket.recv())
                status, sale = await asyncio.to_thread(
                    browser.post_json,
                    "/api/v1/sales/",
                    {
                        "id": str(uuid.uuid4()),
                        "register": register.code,
                        "lines": [{"sku": product.sku, "quantity": "2"}],
                        "payments": [{"method": "cash", "amount": "5.00"}],
                    },
                )
                committed = time.monotonic()  # the answer comes after the commit
                assert status == 201, sale
                message = json.loads(await asyncio.wait_for(received, timeout=1.0))
                return message, time.monotonic() - committed

        message, latency = asyncio.run(scenario())

    assert message == {"type": "stock.updated", "levels": [{"product": product.pk, "on_hand": "48.000"}]}
    assert latency < 1.0
