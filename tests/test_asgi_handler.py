"""HTTP through the ASGI application: the whole request in one hop to a reused worker thread."""

import threading

import asgiref.sync
import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core.signals import request_finished, request_started

from retailpos.asgi import application
from retailpos.asgi_handler import REQUEST_THREADS

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
    # Stock Django in async mode hops per middleware method and per signal (about a dozen, ~4 ms of
    # CPU per request): here signals, middleware and view are one call on a worker thread.
    assert thread_hops == ["SyncMiddlewareASGIHandler._respond"]


def test_requests_reuse_worker_threads_and_finish_there():
    """No new thread per request: the pool's threads serve them all. request_finished (the database
    connection goes back to the pool) runs on the request's own thread, before the answer is sent."""
    threads = []

    def started(**kwargs):
        threads.append(("started", threading.get_ident()))

    def finished(**kwargs):
        threads.append(("finished", threading.get_ident()))

    requests = REQUEST_THREADS + 8
    request_started.connect(started)
    request_finished.connect(finished)
    try:
        for _ in range(requests):
            assert get("/login/")["status"] == 200
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)

    assert [event for event, _ in threads] == ["started", "finished"] * requests
    assert all(threads[i][1] == threads[i + 1][1] for i in range(0, len(threads), 2))  # each on one thread
    # Usually one thread; under load an idle worker may not have said so before the next request
    # arrives and the pool starts another, but never more than its size.
    assert len({ident for _, ident in threads}) <= REQUEST_THREADS < requests
    assert threading.get_ident() not in {ident for _, ident in threads}


def test_static_files_are_still_served_by_whitenoise():
    start = async_to_sync(response_start)("/static/css/pos.css")

    assert start["status"] == 200
    assert dict(start["headers"])[b"Content-Type"].startswith(b"text/css")
