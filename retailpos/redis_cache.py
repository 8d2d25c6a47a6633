"""Django's Redis cache with one connection pool, and one client, per process."""

import threading

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


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


class ReusedClientCacheClient(RedisCacheClient):
    """Django builds a new ``redis.Redis`` client for every cache call; one per pool will do (it is
    thread-safe: each command takes a connection from the pool)."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = getattr(pool, "django_cache_client", None)
        if client is None:
            client = pool.django_cache_client = self._client(connection_pool=pool)
        return client


class ProcessRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientCacheClient
        self._options = {"pool_class": ProcessConnectionPool, **self._options}
