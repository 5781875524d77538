"""Liveness and readiness: /healthz touches nothing, /readyz checks every service."""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

logger = logging.getLogger(__name__)

SERVICE_TIMEOUT_SECONDS = 1.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.startswith("django_redis"):
        # The cache swallows Redis errors so pages keep working; ask Redis itself.
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
        return
    cache.set("readyz", "ok", 5)
    if cache.get("readyz") != "ok":
        raise RuntimeError("cache did not return what was stored")


def check_broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=SERVICE_TIMEOUT_SECONDS
    ) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=1)


def readiness_checks() -> dict[str, Callable[[], None] | None]:
    """Each service by name; None where it is not configured."""
    uses_broker = settings.CELERY_BROKER_URL != "memory://"
    return {
        "database": check_database,
        "cache": check_cache,
        "broker": check_broker if uses_broker else None,
    }


def run_readiness_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in readiness_checks().items():
        if check is None:
            results[name] = "not configured"
            continue
        try:
            check()
        except Exception as error:
            # /readyz is public: it names the part that is down, never the
            # error, whose text can hold hosts, users or passwords; the log
            # gets the error's type only, for the same reason.
            logger.warning("Readiness: %s is down (%s)", name, type(error).__name__)
            results[name] = "down"
        else:
            results[name] = "ok"
    return results


def redacted_url(url: str) -> str:
    """A service URL fit for a log line: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:" if parts.username else ":"
    return urlunsplit(parts._replace(netloc=f"{user}***@{netloc}"))


def unreachable_services() -> list[str]:
    """One line per configured Redis service that does not answer."""
    if not getattr(settings, "REDIS_URL", ""):
        return []
    messages = []
    for name in ("cache", "broker"):
        check = readiness_checks()[name]
        if check is None:
            continue
        try:
            check()
        except Exception as error:
            messages.append(
                f"Redis ({name}) at {redacted_url(settings.REDIS_URL)} is "
                f"unreachable: {type(error).__name__}. "
                "Pages keep working; e-mails wait in the outbox until it is back."
            )
    return messages


def warn_if_services_unreachable() -> None:
    for message in unreachable_services():
        logger.warning(message)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive; nothing else is touched."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database, the cache and (when configured) the broker answer."""
    results = run_readiness_checks()
    down = sorted(name for name, state in results.items() if state.startswith("down"))
    body = {"status": "unavailable" if down else "ok", "down": down, "checks": results}
    return JsonResponse(body, status=503 if down else 200)
