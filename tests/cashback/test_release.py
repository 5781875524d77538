"""The release step (R27): migrations run once, under a lock, never at web start;
the demo's accounts never reach production."""

import os
import re
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings

from tests.cashback.test_configuration import PRODUCTION_ENV, run_manage
from tests.conftest import ROOT


def admin_dsn() -> str:
    database = settings.DATABASES["default"]
    return (
        f"host={database['HOST'] or '127.0.0.1'} port={database['PORT'] or 5432} "
        f"user={database['USER']} dbname=postgres"
        + (f" password={database['PASSWORD']}" if database.get("PASSWORD") else "")
    )


@pytest.fixture
def fresh_database_url():
    """An empty database of its own, dropped afterwards."""
    database = settings.DATABASES["default"]
    name = f"release_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    yield (
        f"postgres://{database['USER']}{password}@{database['HOST'] or '127.0.0.1'}"
        f":{database['PORT'] or 5432}/{name}"
    )
    with psycopg.connect(admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_two_releases_at_once_on_a_fresh_database_both_succeed(
    fresh_database_url, tmp_path
):
    """The second release waits for the first one's lock, then finds nothing to
    migrate: no IntegrityError, both exit 0, the schema is complete."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DJANGO_SETTINGS_MODULE",
            "PYTEST_XDIST_WORKER",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    releases = [
        subprocess.Popen(
            [sys.executable, "manage.py", "release", "-v", "0"],
            cwd=ROOT,
            env={
                **environment,
                "DJANGO_SETTINGS_MODULE": "cashback.settings.test",
                "DATABASE_URL": fresh_database_url,
                "STATIC_ROOT": str(tmp_path / f"static-{number}"),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in (1, 2)
    ]
    outputs = [release.communicate(timeout=540) for release in releases]
    for release, (stdout, stderr) in zip(releases, outputs, strict=True):
        assert release.returncode == 0, stdout + stderr
        assert "Release step done." in stdout
    with psycopg.connect(
        fresh_database_url.replace("postgres://", "postgresql://")
    ) as db:
        unapplied = db.execute(
            "SELECT count(*) FROM django_migrations WHERE app = 'payouts'"
        ).fetchone()[0]
        cache_table = db.execute(
            "SELECT to_regclass('cashback_cache_fallback') IS NOT NULL"
        ).fetchone()[0]
    assert unapplied > 0
    assert cache_table
    assert (tmp_path / "static-1" / "admin").is_dir()


def test_web_start_never_migrates_nor_loads_the_demo():
    """The compose file migrates only in its one-shot release service, and no
    production service calls seed_demo."""
    compose = (ROOT / "docker-compose.yml").read_text()
    shared, services = compose.split("\nservices:\n", 1)
    # Each service: its "  name:" line and the more-indented lines under it.
    parts = re.split(r"^  ([a-z]+):\n", services, flags=re.MULTILINE)
    blocks = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert {"release", "web", "worker", "beat"} <= set(blocks)
    assert "seed_demo" not in compose
    assert "migrate" not in blocks["web"]
    assert "manage.py release" in blocks["release"]
    assert "release: {condition: service_completed_successfully}" in shared
    for service in ("web", "worker", "beat"):
        assert "<<: *app" in blocks[service], service
        assert "depends_on" not in blocks[service], service


def test_seed_demo_refuses_production_settings():
    """One clear line that names the reason, no traceback, nothing created."""
    result = run_manage(
        "seed_demo",
        DJANGO_SETTINGS_MODULE="cashback.settings.production",
        **PRODUCTION_ENV,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "seed_demo refuses to run under production settings" in result.stderr
