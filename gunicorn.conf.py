"""gunicorn's settings for the portal, read from the working directory by the
image, docker compose and the benchmark (issue 20).

Threaded workers (gthread), not sync ones: a sync worker serves one socket from
accept to close, so a handful of clients that open a connection and send
nothing held every worker until the 30 s timeout and the portal stopped
answering. A gthread worker hands a socket to a thread only once it has
data (idle and keep-alive sockets wait in the worker's poller), and it has
many threads; a thread that waits on PostgreSQL releases the GIL. A client
that trickles its headers still holds one thread while it reads, and the
sockets are not spread evenly: with 16 threads a worker that accepted 16 of
the benchmark's 25 trickling sockets left every request it took next waiting
(2 of 3 runs, 2026-11-30); with 64 threads none did in 3 of 3. A buffering
proxy or load balancer in front (which production has for TLS) removes even
that; these threads are the portal's own defence when there is none.
Threads share the process's database pool (DATABASE_POOL_MAX), so more
threads do not mean more PostgreSQL connections.

Stopping (issue 32): on SIGTERM the node first drains: /readyz answers 503
(its drain file exists, cashback.health.node_is_draining) while it keeps
serving for GUNICORN_DRAIN_SECONDS, so the load balancer takes it out of
rotation; then gunicorn stops as usual, giving requests in flight
`graceful_timeout` seconds to finish. A second SIGTERM stops at once.
The access log is Django's (cashback.request_log: route, not path, so no
token in it; request id, duration, user id); gunicorn's own is off unless
GUNICORN_ACCESS_LOG names a file.
"""

import logging
import multiprocessing
import os
import signal
import tempfile
import threading
from pathlib import Path

# All interfaces: the container's port is what compose publishes.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 64))
# A worker silent this long is restarted; idle keep-alive sockets close after
# `keepalive` seconds.
timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# Requests in flight when the workers are told to stop get this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
drain_seconds = float(os.environ.get("GUNICORN_DRAIN_SECONDS", 10))
DRAIN_FILE_ENV = "CASHBACK_DRAIN_FILE"  # read by cashback.health


def on_starting(server) -> None:
    """This node's drain file, named before the workers are forked so they
    inherit the name; a stale one from an earlier run is removed."""
    path = os.environ.get(DRAIN_FILE_ENV) or str(
        Path(tempfile.gettempdir()) / f"cashback-drain-{os.getpid()}"
    )
    os.environ[DRAIN_FILE_ENV] = path
    Path(path).unlink(missing_ok=True)


def when_ready(server) -> None:
    stop = server.handle_term
    draining = threading.Event()

    def handle_term() -> None:
        if draining.is_set() or drain_seconds <= 0:
            stop()
            return
        draining.set()
        Path(os.environ[DRAIN_FILE_ENV]).touch()
        logging.getLogger("gunicorn.error").info(
            "Draining: /readyz answers 503 for %ss, then the workers stop",
            drain_seconds,
        )
        timer = threading.Timer(drain_seconds, os.kill, [os.getpid(), signal.SIGTERM])
        timer.daemon = True
        timer.start()

    server.handle_term = handle_term


def on_exit(server) -> None:
    if os.environ.get(DRAIN_FILE_ENV):
        Path(os.environ[DRAIN_FILE_ENV]).unlink(missing_ok=True)
