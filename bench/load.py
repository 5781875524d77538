"""The benchmark's server and load generator, shared by every load line: one
gunicorn as in production, and wrk (or threads of Python without it) with
either one session for every request or the next user's for each."""

import contextlib
import json
import os
import shutil
import socket
import subprocess  # nosec B404 - runs our own gunicorn and wrk
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

from .errors import exception_kind, status_kind, wrk_kinds
from .harness import log
from .stats import percentile

ROOT = Path(__file__).resolve().parent.parent
# Concurrent connections of every load run.
USERS = 20
# How long a new gunicorn may take to answer /readyz: importing Django in
# 2 x cores + 1 workers took over 30 s on the shared 2 cores (issue 33).
READY_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    port: int
    pid: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def gunicorn(worker_class: str = "") -> Iterator[Server]:
    """The production set-up (gunicorn.conf.py: 2 x cores + 1 threaded
    workers) on a free port, stopped on leaving; `worker_class="sync"` runs
    the sync workers served before."""
    port = free_port()
    extra = ["--worker-class", worker_class, "--threads", "1"] if worker_class else []
    process = subprocess.Popen(  # nosec B603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "cashback.wsgi:application",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, "GUNICORN_ACCESS_LOG": "/dev/null"},
    )
    try:
        ready(port, process)
        yield Server(port=port, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def ready(port: int, process: subprocess.Popen) -> None:
    """Wait until gunicorn answers /readyz (its database and Redis answer
    too), at most READY_SECONDS, and say how long it took."""
    started = time.monotonic()
    log(f"  gunicorn: waiting for /readyz, at most {READY_SECONDS} s")
    while True:
        try:
            with urllib.request.urlopen(  # nosec B310
                f"http://127.0.0.1:{port}/readyz", timeout=5
            ) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} before ready")
        if time.monotonic() - started > READY_SECONDS:
            raise SystemExit(f"gunicorn was not ready within {READY_SECONDS} s")
        time.sleep(0.5)
    log(f"  gunicorn: ready after {time.monotonic() - started:.1f} s")


def load(
    url: str, seconds: int, *, cookie: str = "", users: Path | None = None
) -> dict:
    """`seconds` of USERS connections against `url` with one session
    (`cookie`), or from the base `url`, each request from the next user of the
    `users` file ("cookie<TAB>path" lines, bench/rotate.lua): requests, req/s,
    p50/p95 ms and errors (socket errors, timeouts over 2 s, status >= 400),
    with `error_kinds` counting them by kind (bench/errors.py)."""
    if shutil.which("wrk"):
        return _wrk(url, seconds, cookie, users)
    if users is None:
        path = urlsplit(url).path
        return _python(url, seconds, lambda: (cookie, path))
    lines = [line.split("\t") for line in users.read_text().splitlines()]
    turn = iter(range(10**9))
    return _python(url, seconds, lambda: lines[next(turn) % len(lines)])


def _wrk(url: str, seconds: int, cookie: str, users: Path | None) -> dict:
    script = "rotate.lua" if users is not None else "report.lua"
    headers = [] if users is not None else ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(  # nosec B603 B607
        [
            "wrk",
            "-t2",
            f"-c{USERS}",
            f"-d{seconds}s",
            "--timeout",
            "2s",
            "-s",
            str(ROOT / "bench" / script),
            *headers,
            "-H",
            "X-Forwarded-Proto: https",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_USERS": str(users or "")},
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[6:])
    result["error_kinds"] = wrk_kinds(result.pop("wrk_errors"), result.pop("statuses"))
    return result


def _python(url: str, seconds: int, next_user: Callable[[], tuple]) -> dict:
    """Without wrk: USERS threads, each one keep-alive connection, sharing the
    cores with the server."""
    parts = urlsplit(url)
    lock = threading.Lock()
    latencies: list[float] = []
    kinds: Counter[str] = Counter()
    stop = time.monotonic() + seconds

    def client() -> None:
        connection = HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine = []
        while time.monotonic() < stop:
            with lock:
                cookie, path = next_user()
            started = time.perf_counter()
            try:
                connection.request(
                    "GET",
                    path,
                    headers={"Cookie": cookie, "X-Forwarded-Proto": "https"},
                )
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    with lock:
                        kinds[status_kind(response.status)] += 1
            except OSError as error:
                with lock:
                    kinds[exception_kind(error)] += 1
                connection = HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "errors": sum(kinds.values()),
        "error_kinds": dict(sorted(kinds.items())),
    }
