"""Real service processes the tests start and stop: Redis servers and Celery workers.

Fault tests use their own Redis on a free port, so stopping it never disturbs
the Redis the rest of the suite (or another test process) is using.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from kombu import Connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throw-away redis-server on a free loopback port that keeps nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class CeleryWorker:
    """A real `celery worker` process reading the given database and broker."""

    def __init__(
        self,
        *,
        database_url: str,
        broker_url: str,
        concurrency: int = 1,
        env: dict[str, str] | None = None,
        queue: str | None = None,
    ):
        # A queue of its own unless told to take over another (dead) worker's.
        self.queue = queue or f"test-{uuid.uuid4().hex[:12]}"
        self.hostname = f"{self.queue}-{uuid.uuid4().hex[:6]}@localhost"
        self.database_url = database_url
        self.broker_url = broker_url
        self.concurrency = concurrency
        self.extra_env = env or {}
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="celery-worker-", suffix=".log", delete=False
        )
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        pool = (
            ["--pool=solo"]
            if self.concurrency == 1
            else ["--pool=prefork", f"--concurrency={self.concurrency}"]
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cashback.settings.test",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # Tasks the worker itself sends (an e-mail after a validation) come
            # back to its own queue rather than to one no test worker consumes.
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cashback",
                "worker",
                *pool,
                "-Q",
                self.queue,
                "-n",
                self.hostname,
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_ready(timeout)

    def wait_until_ready(self, timeout: float) -> None:
        from cashback.celery import app

        deadline = time.monotonic() + timeout
        with Connection(self.broker_url) as connection:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"Celery worker exited:\n{self.output()}")
                replies = app.control.ping(
                    destination=[self.hostname], timeout=0.5, connection=connection
                )
                if replies:
                    return
        raise RuntimeError(f"Celery worker did not answer within {timeout} s")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to finish or acknowledge anything."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@contextmanager
def broker(url: str):
    """Send this process's tasks to another broker for the duration."""
    from cashback.celery import app

    def reset_pools() -> None:
        # Celery caches a connection pool and a producer pool built on it.
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    reset_pools()
    app.conf.broker_url = url
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url = previous


@contextmanager
def default_queue(queue: str):
    """Send this process's tasks, eagerly run until now, to `queue` for the duration."""
    from cashback.celery import app

    previous = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_default_queue, app.conf.task_always_eager = previous


def wait_for(predicate, timeout: float = 30, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class OidcProvider:
    """A real OpenID Connect provider process (oidc-provider-mock) on a free port.

    Tests choose each user's claims with `user_set` (its `PUT /users/{sub}`)
    and then sign in as that user at its authorization form, as a person would.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="oidc-provider-", suffix=".log", delete=False
        )
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        import requests

        self.process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port)],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        discovery = f"{self.url}/.well-known/openid-configuration"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OIDC provider exited:\n{self.output()}")
            try:
                if requests.get(discovery, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"OIDC provider did not answer within {timeout} s")

    def user_set(self, sub: str, claims: dict) -> None:
        """Create or replace the user `sub` with exactly these claims."""
        import requests

        requests.put(
            f"{self.url}/users/{sub}", json=claims, timeout=5
        ).raise_for_status()

    def authorize(self, authorize_url: str, *, sub: str | None) -> str:
        """Submit the provider's authorization form as `sub` (None: deny).

        Returns where the provider sends the browser back to (the callback).
        """
        import requests

        form = {"sub": sub} if sub else {"action": "deny"}
        response = requests.post(
            authorize_url, data=form, timeout=5, allow_redirects=False
        )
        assert response.status_code == 302, response.text
        return response.headers["location"]

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class MockBank:
    """The mock-bank package (PyPI `mock-bank`) as a real process: a bank that
    no one here wrote.

    It takes pain.001 files dropped into `drop_dir` and writes its answers
    (pain.002, camt.054, camt.053, pacs.004) into `pickup_dir`, on a clock that
    only `advance` moves. Its control API (`/_mock/...`) creates accounts and
    sets the failure each account shows.
    """

    def __init__(self, *, drop_dir: Path, pickup_dir: Path, clock: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.drop_dir = drop_dir
        self.pickup_dir = pickup_dir
        self.clock = clock
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="mock-bank-", suffix=".log", delete=False
        )
        self.process: subprocess.Popen | None = None

    @staticmethod
    def executable() -> str | None:
        candidate = Path(sys.executable).with_name("mock-bank")
        return str(candidate) if candidate.exists() else shutil.which("mock-bank")

    def start(self, timeout: float = 20) -> None:
        self.drop_dir.mkdir(parents=True, exist_ok=True)
        self.pickup_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.executable() or "mock-bank",
                "--port",
                str(self.port),
                "--drop-dir",
                str(self.drop_dir),
                "--pickup-dir",
                str(self.pickup_dir),
                # Read a dropped file at the next scan, and scan only when asked,
                # so a test decides when the bank looks.
                "--drop-settle-ms",
                "0",
                "--drop-interval-ms",
                "3600000",
                "--clock",
                self.clock,
                "--quiet",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mock-bank exited:\n{self.output()}")
            try:
                if self.request("GET", "/_mock/health")["status"] == "ok":
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mock-bank did not answer within {timeout} s")

    def request(self, method: str, path: str, body: dict | None = None):
        """One call to the bank's HTTP API; the JSON answer (errors raise)."""
        import json
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def account_create(self, identifier: str, **fields) -> dict:
        return self.request("POST", "/_mock/accounts", {"id": identifier, **fields})

    def account_update(self, identifier: str, **fields) -> dict:
        return self.request("PATCH", f"/_mock/accounts/{identifier}", fields)

    def scan(self) -> dict:
        """Make the bank look in its drop folder now."""
        return self.request("POST", "/_mock/drop/scan")

    def advance(self, *, to: str) -> dict:
        """Move the bank's clock to midnight of `to` (YYYY-MM-DD)."""
        return self.request("POST", f"/_mock/advance?to={to}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class SftpServer:
    """A real SFTP server process (tests/sftp_server.py, asyncssh) on a free
    port, serving `root`, with its own host key and one client key."""

    def __init__(self, root: Path) -> None:
        import asyncssh

        self.root = root
        self.port = free_port()
        keys = root.parent / f"sftp-keys-{self.port}"
        keys.mkdir()
        self.host_key = keys / "host_key"
        self.client_key = keys / "client_key"
        for path in (self.host_key, self.client_key):
            key = asyncssh.generate_private_key("ssh-ed25519")
            key.write_private_key(str(path), format_name="openssh")
            key.write_public_key(f"{path}.pub")
        self.known_hosts = keys / "known_hosts"
        public = asyncssh.read_public_key(f"{self.host_key}.pub")
        self.known_hosts.write_text(
            f"[127.0.0.1]:{self.port} {public.export_public_key().decode()}"
        )
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.sftp_server",
                "--port",
                str(self.port),
                "--root",
                str(self.root),
                "--host-key",
                str(self.host_key),
                "--client-key",
                f"{self.client_key}.pub",
            ],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the SFTP server did not start: {line!r}")

    def storage_options(self, root_path: str = "") -> dict:
        """The OPTIONS of a BankSFTPStorage pointed at this server."""
        return {
            "host": "127.0.0.1",
            "params": {
                "port": self.port,
                "username": "vendor",
                "key_filename": str(self.client_key),
                "allow_agent": False,
                "look_for_keys": False,
                "timeout": 20,
            },
            "known_host_file": str(self.known_hosts),
            "root_path": root_path,
        }

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
