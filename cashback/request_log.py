"""Request ids, the access log and what the log may never carry (issue 32, 27).

Each request gets an id: the proxy's X-Request-ID when it sends a sane one,
else a new one. It is on every log line written while the request runs
(RequestIdFilter), in the response's X-Request-ID header and on the 500 page as
the reference a person quotes to support. The access log is one line per
request from this middleware, not gunicorn's: it names the matched route
pattern ("payouts/account-objection/<str:token>/"), never the path, so freeze
links, enrolment and password-reset tokens stay out of the logs; a path that
matched nothing has its long segments redacted.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

access_logger = logging.getLogger("cashback.access")
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# A segment this long in a path that matched no route may be a token.
TOKEN_LIKE_SEGMENT = re.compile(r"^[^/]{16,}$")


def current_request_id() -> str:
    return request_id_var.get()


def redacted_path(request: HttpRequest) -> str:
    """The route pattern when the path matched one, else the path with every
    long segment replaced; never the query string."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route
    segments = request.path.split("/")
    return "/".join(
        "[redacted]" if TOKEN_LIKE_SEGMENT.match(segment) else segment
        for segment in segments
    )


def signed_in_user_id(request: HttpRequest) -> int | None:
    """The user's id if this request already loaded the user (never a query of
    its own: /healthz touches nothing); never the e-mail address."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class RequestIdMiddleware:
    """First in MIDDLEWARE: the request id for everything after it, and the
    access log line once the response is ready."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if SANE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            access_logger.info(
                "%s %s %s",
                request.method,
                redacted_path(request),
                response.status_code,
                extra={
                    "method": request.method,
                    "route": redacted_path(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": signed_in_user_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (or "-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class RedactRequestPathFilter(logging.Filter):
    """django.request's "Not Found: /path" and "Internal Server Error: /path"
    lines, with the path redacted as the access log does."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            record.args = tuple(
                redacted_path(request) if arg == request.path else arg
                for arg in record.args
            )
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: UTC "timestamp", "level", "logger", "message",
    "request_id" and the event's own fields. Django's `request` attribute is
    left out: its text is the full path, tokens included."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)
