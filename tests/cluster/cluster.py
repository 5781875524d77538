"""A whole deployment on one machine (issue 32): the release step, then two
gunicorn nodes, a Celery worker and two beats over one PostgreSQL database, a
Redis of its own, a real S3-compatible server (moto) and a real SFTP server
(asyncssh) as the bank's folder.

    make cluster            # DATABASE_URL names the PostgreSQL server to use

prints the nodes' addresses and the demo log-ins, and runs until Ctrl-C. The
tests in tests/cluster/ start the same cluster on a database of their own.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import boto3
import psycopg

from tests.services import RedisServer, SftpServer, free_port

ROOT = Path(__file__).resolve().parent.parent.parent
BUCKET = "cashback-cluster"
INHERITED_NOT = {"PYTEST_XDIST_WORKER", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def wait_until_answering(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return  # answering, if not happily
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Cluster:
    def __init__(self, *, server_url: str, database: str, workdir: Path) -> None:
        self.server_url = server_url
        self.database = database
        self.workdir = workdir
        parts = urlsplit(server_url)
        self.database_url = urlunsplit(parts._replace(path=f"/{database}"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.redis = RedisServer()
        self.sftp = SftpServer(workdir / "bank")
        self.s3_port = free_port()
        self.node_ports = {"a": free_port(), "b": free_port()}
        self.name = f"cluster-{uuid.uuid4().hex[:8]}"

    # The processes ------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        sftp = self.sftp.storage_options()
        return {
            # Not what the test process set for itself (the browser tests allow
            # async-unsafe calls, which the deploy check refuses).
            **{k: v for k, v in os.environ.items() if k not in INHERITED_NOT},
            "DJANGO_SETTINGS_MODULE": "cashback.settings.local",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "STATIC_ROOT": str(self.workdir / "static"),
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster",
            "STORAGE_CONNECT_TIMEOUT_SECONDS": "2",
            "STORAGE_READ_TIMEOUT_SECONDS": "3",
            "BANK_SFTP_HOST": "127.0.0.1",
            "BANK_SFTP_PORT": str(self.sftp.port),
            "BANK_SFTP_USER": "vendor",
            "BANK_SFTP_KEY_PATH": sftp["params"]["key_filename"],
            "BANK_SFTP_KNOWN_HOSTS": sftp["known_host_file"],
            "BANK_SFTP_OUTBOUND_DIR": "/outbound",
            "BANK_SFTP_INBOUND_DIR": "/inbound",
            "BEAT_LEASE_SECONDS": "10",
            "BEAT_LEASE_KEY": f"{self.name}:beat-lease",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "8",
            "GUNICORN_DRAIN_SECONDS": "5",
        }

    def spawn(self, name: str, command: list[str], **env: str) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.environment(), **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def url(self, node: str) -> str:
        return f"http://127.0.0.1:{self.node_ports[node]}"

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-4000:]

    def start(self, *, demo: bool = True) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for folder in ("inbound", "outbound"):
            (self.workdir / "bank" / folder).mkdir(parents=True, exist_ok=True)
        with psycopg.connect(self.server_url, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{self.database}"')
        self.redis.start()
        self.sftp.start()
        self.spawn(
            "s3",
            [
                str(Path(sys.executable).parent / "moto_server"),
                "-H",
                "127.0.0.1",
                "-p",
                str(self.s3_port),
            ],
        )
        wait_until_answering(f"http://127.0.0.1:{self.s3_port}/", timeout=60)
        self.s3().create_bucket(Bucket=BUCKET)
        self.manage("release", "-v", "0")
        if demo:
            self.manage("seed_demo")
        for node, port in self.node_ports.items():
            self.spawn(
                f"node-{node}",
                [sys.executable, "-m", "gunicorn", "cashback.wsgi:application"],
                GUNICORN_BIND=f"127.0.0.1:{port}",
                CASHBACK_DRAIN_FILE=str(self.workdir / f"drain-{node}"),
            )
        celery = [sys.executable, "-m", "celery", "-A", "cashback"]
        self.spawn(
            "worker",
            [*celery, "worker", "--pool=solo", "-l", "info"],
        )
        for number in (1, 2):
            self.spawn(f"beat-{number}", [*celery, "beat", "-l", "info", "--pidfile="])
        for node in self.node_ports:
            wait_until_answering(f"{self.url(node)}/healthz")

    def s3(self):
        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.s3_port}",
            region_name="us-east-1",
            aws_access_key_id="cluster",
            aws_secret_access_key="cluster",
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.sftp.stop()
        self.redis.stop()

    def drop_database(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def signal(self, name: str, number: int = signal.SIGTERM) -> None:
        self.processes[name].send_signal(number)


def server_url_from_environment() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("make cluster needs DATABASE_URL=postgres://... (PostgreSQL)")
    return re.sub(r"/[^/]*$", "/postgres", url)


def main() -> None:
    cluster = Cluster(
        server_url=server_url_from_environment(),
        database=os.environ.get("CLUSTER_DATABASE", "cashback_cluster"),
        workdir=Path(tempfile.mkdtemp(prefix="cashback-cluster-")),
    )
    print("Starting: release step, S3 (moto), SFTP (asyncssh), Redis, ...", flush=True)
    try:
        cluster.start()
        print(f"Node A: {cluster.url('a')}   Node B: {cluster.url('b')}")
        print(
            f"S3: http://127.0.0.1:{cluster.s3_port}  "
            f"SFTP: 127.0.0.1:{cluster.sftp.port}"
        )
        print(
            f"Logs: {cluster.workdir}/*.log   Demo log-ins: see README. Ctrl-C stops."
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
