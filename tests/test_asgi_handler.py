"""HTTP through the ASGI application: the whole middleware chain, entered with one thread hop."""

import asgiref.sync
import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator

from retailpos.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def thread_hops(monkeypatch):
    """Counts sync→thread hops (``sync_to_async`` calls) made while serving."""
    hops = []
    original = asgiref.sync.SyncToAsync.__call__

    async def counting_call(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(asgiref.sync.SyncToAsync, "__call__", counting_call)
    return hops


def get(path: str):
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"testserver")])
    return async_to_sync(communicator.get_response)(timeout=10)


async def response_start(path: str) -> dict:
    """Status and headers only: a streamed file ends with a body message the communicator cannot join."""
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"testserver")])
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=10)
    await communicator.wait(timeout=10)
    return start


def test_a_page_passes_every_middleware_in_one_hop(thread_hops):
    response = get("/login/")

    assert response["status"] == 200
    headers = dict(response["headers"])
    # Set by the security, clickjacking and CSRF middleware, and by the session middleware's neighbours.
    assert headers[b"X-Frame-Options"] == b"DENY"
    assert headers[b"Referrer-Policy"] == b"same-origin"
    assert b"csrftoken=" in headers.get(b"Set-Cookie", b"")
    # Stock Django in async mode hops per middleware method (about a dozen, ~4 ms of CPU per request):
    # here the chain is one hop, plus the request_started/finished signal receivers.
    assert len(thread_hops) <= 4, thread_hops


def test_static_files_are_still_served_by_whitenoise():
    start = async_to_sync(response_start)("/static/css/pos.css")

    assert start["status"] == 200
    assert dict(start["headers"])[b"Content-Type"].startswith(b"text/css")
