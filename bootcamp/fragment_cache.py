"""The cache behind `{% cache %}`: Redis, but a page still renders while Redis is down."""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError


class ForgivingRedisCache(RedisCache):
    """Reads miss and writes are dropped while Redis is unavailable (the tag only reads and
    writes), so the fragment is rendered instead of the page failing."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError:
            return default

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError:
            pass
