"""The cache's Redis connections: one pool and client per process, however many request contexts use it."""

import os
import threading

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the cache is Redis only with REDIS_URL")


def test_request_contexts_share_one_pool_and_reuse_its_connections():
    pools, clients = [], []

    def connections(pool):
        return len(pool._available_connections) + len(pool._in_use_connections)

    before = connections(caches["default"]._cache._get_connection_pool(write=True))

    def request():
        # Each thread (under ASGI: each request context) gets a cache object of its own.
        cache = caches["default"]
        cache.set("pool-test", "x")
        assert cache.get("pool-test") == "x"
        pools.append(cache._cache._get_connection_pool(write=True))
        clients.append(cache._cache.get_client(write=True))

    for _ in range(5):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()

    assert len({id(pool) for pool in pools}) == 1
    assert len({id(client) for client in clients}) == 1
    # Five sequential "requests" need one connection at most, not five.
    assert connections(pools[0]) == max(before, 1)
