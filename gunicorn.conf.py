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
"""

import multiprocessing
import os

# All interfaces: the container's port is what compose publishes.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 64))
# A worker silent this long is restarted; idle keep-alive sockets close after
# `keepalive` seconds.
timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
