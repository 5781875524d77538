"""The benchmark's harness: its settings and scales, its own database and
Redis, the machine it ran on, and a child process for a measurement."""

import json
import os
import platform
import secrets
import shutil
import subprocess  # nosec B404 - runs our own gunicorn, wrk and psql
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# BENCH_DB names another database, so two checkouts can run side by side.
DB_NAME = os.environ.get("BENCH_DB", "cashback_benchmark")
PG = "postgres://postgres@127.0.0.1:5432"
# BENCH_REDIS likewise names another Redis database (it is flushed).
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
SCALES = {
    # runs: how many times each figure is measured (median, min, max).
    "small": {
        "runs": 3,
        "page_seconds": 4,
        "companies": 1_000,
        "burst_companies": 260,
        "slow_seconds": 8,
        "import_rows": 100_000,
        "admin_claims": 100_000,
        "sweep_payouts": 10_000,
        "pain_payouts": 10_000,
    },
    "full": {
        "runs": 3,
        "page_seconds": 8,
        "companies": 2_000,
        "burst_companies": 1_000,
        "slow_seconds": 16,
        "import_rows": 1_000_000,
        "admin_claims": 1_000_000,
        "sweep_payouts": 100_000,
        "pain_payouts": 10_000,
    },
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True)


def environment(static_root: str) -> None:
    """The production settings' variables, pointed at the benchmark's own stores."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=REDIS,
        CELERY_TASK_ALWAYS_EAGER="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        PORTAL_URL="https://cashback.example.com",
        FIELD_ENCRYPTION_KEYS="ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
        BANK_ACCOUNT_FINGERPRINT_KEY=secrets.token_urlsafe(32),
        DEFAULT_FROM_EMAIL="Cash Back <cashback@vendor.test>",
        DJANGO_SECURE_SSL_REDIRECT="false",
        BENCH_STATIC_ROOT=static_root,
    )


def preflight() -> None:
    """Say what is missing instead of failing half-way."""
    missing = []
    try:
        import psycopg

        psycopg.connect(f"{PG}/postgres", connect_timeout=3).close()
    except Exception as error:
        missing.append(
            f"PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth): {error}"
        )
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as error:
        missing.append(f"Redis on 127.0.0.1:6379: {error}")
    if not shutil.which("psql"):
        missing.append("psql (the PostgreSQL client) for the raw \\copy baseline")
    if missing:
        print("make bench needs:\n  " + "\n  ".join(missing), file=sys.stderr)
        raise SystemExit(2)


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def database_create() -> None:
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def database_drop() -> None:
    from django.db import connections

    connections.close_all()
    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def sql(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "postgresql": sql("SHOW server_version")[0][0],
        "python": platform.python_version(),
        "load_generator": "wrk" if shutil.which("wrk") else "python threads",
    }


def child(*args: str) -> dict:
    output = subprocess.run(  # nosec B603
        [sys.executable, "-m", "bench.child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
