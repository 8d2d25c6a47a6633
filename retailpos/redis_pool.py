"""One Redis connection pool per process for Django's cache."""

import threading

import redis


class ProcessConnectionPool(redis.ConnectionPool):
    """``from_url`` hands out one pool per URL and options for the whole process.

    Django keeps a cache object per request context under ASGI, and each builds its own pool:
    without this, every request would open (and leave) a new Redis connection.
    """

    _pools: dict = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url, **kwargs):
        key = (url, tuple(sorted(kwargs.items(), key=lambda item: item[0])))
        with cls._lock:
            if (pool := cls._pools.get(key)) is None:
                pool = cls._pools[key] = super().from_url(url, **kwargs)
            return pool
