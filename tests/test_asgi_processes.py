"""Two ASGI server processes sharing PostgreSQL and Redis, as a chain runs them."""

import asyncio
import json
import time
import urllib.request
import uuid
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import pytest
from websockets.asyncio.client import connect

from tests.conftest import PASSWORD
from tests.servers import asgi_server, csrf_form_token, free_port, requires_postgres_and_redis, server_environment

pytestmark = [requires_postgres_and_redis, pytest.mark.django_db(transaction=True)]


class Browser:
    """A logged-in session against one server: cookies, CSRF token, JSON posts."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == name)

    def log_in(self, username: str, password: str) -> None:
        with self.opener.open(f"{self.base_url}/login/", timeout=5) as response:
            token = csrf_form_token(response.read().decode())
        form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token}).encode()
        with self.opener.open(f"{self.base_url}/login/", data=form, timeout=5) as response:
            assert response.status == 200 and "/login/" not in response.url, "login failed"

    def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")},
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, json.load(response)


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
