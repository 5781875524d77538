"""The Redis cache, falling back to a cache table in PostgreSQL while Redis is down.

Why a fallback and not skipping: allauth's rate limits (failed log-ins, password
resets) take a lock with `cache.add`; a cache that swallows Redis errors answers
"not added" and every log-in is refused with 429. Skipping the limits while
Redis is down would instead open the log-in form to password guessing exactly
when someone may have knocked Redis over. The database is shared by every web
node, so the limits keep holding across nodes, only slower; a warning says so
in the log, at most once a minute per process.

After a failure the cache goes straight to the fallback for a few seconds
(instead of waiting for a socket timeout on every call), then tries Redis again.
"""

import logging
import time
from typing import Any

from django.core.cache import caches
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger("cashback.cache")

FALLBACK_ALIAS = "fallback"
RETRY_REDIS_AFTER_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
REDIS_FAILURES = (ConnectionInterrupted, RedisError, OSError)


class FailSoftRedisCache(RedisCache):
    """django-redis, with every call served by the "fallback" cache when Redis
    does not answer."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        options["IGNORE_EXCEPTIONS"] = False  # this class decides what to do
        super().__init__(server, {**params, "OPTIONS": options})
        self._redis_down_until = 0.0
        self._warned_at = -WARN_EVERY_SECONDS

    def _fail_soft(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._redis_down_until:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_FAILURES as error:
                self._redis_failed(error)
        return getattr(caches[FALLBACK_ALIAS], name)(*args, **kwargs)

    def _redis_failed(self, error: Exception) -> None:
        now = time.monotonic()
        self._redis_down_until = now + RETRY_REDIS_AFTER_SECONDS
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Redis cache unreachable (%s): using the database cache table; "
                "log-in rate limits keep holding.",
                type(error).__name__,
            )

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("get_many", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("delete_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("incr", *args, **kwargs)

    def decr(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("decr", *args, **kwargs)

    def get_or_set(self, *args: Any, **kwargs: Any) -> Any:
        return self._fail_soft("get_or_set", *args, **kwargs)
