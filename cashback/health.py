"""Liveness and readiness: /healthz touches nothing, /readyz checks every service.

/readyz reports each dependency (database, cache, broker, storage, bank folder)
with how long it took to answer, and answers 503 only for what this node cannot
serve without: the database (REQUIRED), or a drain under way (the node was told
to stop: a load balancer must stop sending it requests before its workers go).
Redis (cache and broker), the file storage and the bank's folder being down
makes the node "degraded" with 200: log-ins and most pages still work (the
cache falls back to the database, e-mail waits in the outbox, an upload says
"try again later"), and every node shares those services, so taking all nodes
out of the load balancer at once would turn a partial outage into a full one.
"""

import logging
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
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
    if backend.startswith(("django_redis", "cashback.cache")):
        # The cache hides Redis errors so pages keep working; ask Redis itself.
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


def check_storage() -> None:
    """The private file storage (invoice copies) answers: on S3 a HEAD request,
    bounded by the storage timeouts (cashback/storage.py)."""
    storages["private"].exists("readyz-probe")


def check_bank_folder() -> None:
    """The bank's inbound folder answers (an SFTP log-in when it is remote); a
    local folder is created with its first file, so it is always ready."""
    storage = storages["bank_inbound"]
    if isinstance(storage, FileSystemStorage):
        return
    storage.listdir("")


# What this node cannot serve without: /readyz is 503 when one is down.
REQUIRED = ("database",)
DRAIN_FILE_ENV = "CASHBACK_DRAIN_FILE"


def node_is_draining() -> bool:
    """gunicorn (gunicorn.conf.py) creates this node's drain file on SIGTERM and
    keeps serving for a while, so the load balancer sees 503 and moves away."""
    path = os.environ.get(DRAIN_FILE_ENV, "")
    return bool(path) and os.path.exists(path)


def readiness_checks() -> dict[str, Callable[[], None] | None]:
    """Each service by name; None where it is not configured."""
    uses_broker = settings.CELERY_BROKER_URL != "memory://"
    return {
        "database": check_database,
        "cache": check_cache,
        "broker": check_broker if uses_broker else None,
        "storage": check_storage,
        "bank_folder": check_bank_folder,
    }


def run_readiness_checks(
    latencies: dict[str, float] | None = None,
) -> dict[str, str]:
    """Each service's state; `latencies` (when given) gets each one's
    milliseconds."""
    results: dict[str, str] = {}
    for name, check in readiness_checks().items():
        if check is None:
            results[name] = "not configured"
            continue
        started = time.perf_counter()
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
        finally:
            if latencies is not None:
                latencies[name] = round((time.perf_counter() - started) * 1000, 1)
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
    """503 while draining or when a REQUIRED service is down; "degraded" (200)
    when another one is; every check's state and milliseconds in the body."""
    if node_is_draining():
        return JsonResponse(
            {"status": "draining", "down": [], "checks": {}}, status=503
        )
    latencies: dict[str, float] = {}
    results = run_readiness_checks(latencies)
    down = sorted(name for name, state in results.items() if state == "down")
    unavailable = any(name in REQUIRED for name in down)
    status = "unavailable" if unavailable else ("degraded" if down else "ok")
    body = {
        "status": status,
        "down": down,
        "required": list(REQUIRED),
        "checks": results,
        "latency_ms": latencies,
    }
    return JsonResponse(body, status=503 if unavailable else 200)
