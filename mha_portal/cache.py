"""A Redis cache that degrades to "no cache" while Redis is down, instead of failing the request."""

import logging

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    """Reads miss and writes are dropped while Redis cannot be reached; nothing on a user's path
    may depend on the cache being there."""

    def _safe(self, name, default, *args, **kwargs):
        try:
            return getattr(super(), name)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - redis-py raises several connection errors
            logger.warning("Cache unavailable (%s): %s", name, exc)
            return default

    def get(self, key, default=None, version=None):
        return self._safe("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._safe("get_many", {}, keys, version)

    def set(self, key, value, timeout=None, version=None):  # noqa: A003
        return self._safe("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._safe("add", False, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._safe("set_many", [], data, timeout, version)

    def delete(self, key, version=None):
        return self._safe("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._safe("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        return self._safe("incr", None, key, delta, version)

    def touch(self, key, timeout=None, version=None):
        return self._safe("touch", False, key, timeout, version)

    def has_key(self, key, version=None):
        return self._safe("has_key", False, key, version)

    def clear(self):
        return self._safe("clear", None)
