"""Suite-wide fixtures and the rules for tests that need real services.

Tests marked `postgres`, `redis` or `worker` are skipped with a stated reason
when the service is not configured; under CI=true a skipped test fails the run,
so CI always runs the whole suite.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.services import CeleryWorker, MockBank, OidcProvider, RedisServer

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def uses_redis() -> bool:
    return bool(settings.REDIS_URL)


SERVICE_REASONS = {
    "postgres": (uses_postgres, "needs PostgreSQL: set DATABASE_URL=postgres://..."),
    "redis": (uses_redis, "needs Redis: set REDIS_URL=redis://..."),
    "worker": (
        lambda: uses_postgres() and uses_redis(),
        "needs a Celery worker on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
    ),
    "bank": (
        lambda: MockBank.executable() is not None,
        "needs mock-bank (a test dependency): pip install -e '.[dev]'",
    ),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, (available, reason) in SERVICE_REASONS.items():
            if item.get_closest_marker(marker) and not available():
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_sessionfinish(session, exitstatus):
    """Under CI a skipped test is a failure: the suite must run whole."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"CI=true and {len(skipped)} test(s) were skipped: failing the run.",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Private files too (invoice copies, statements' PDFs): never var/private.
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _bank_folders(settings, tmp_path):
    """The bank's folders in the test's own directory: a released batch's file
    is written after commit, never into the project's var/bank/."""
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            name: {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path / "bank" / folder},
            }
            for name, folder in (
                ("bank_outbound", "outbound"),
                ("bank_inbound", "inbound"),
            )
        },
    }


@pytest.fixture(autouse=True)
def _english_between_tests():
    """Each test starts in English, whatever language the last one left active.

    The language middleware activates a user's language on the thread; the test
    client runs requests on the test's own thread, so a Swedish request would
    otherwise leak into the next test of the same worker.
    """
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")  # only this process's prefix, never FLUSHDB
    else:
        cache.clear()
    yield


def database_url_for_current_test_database() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[str]:
    """A real Celery worker process on Redis, reading and writing the test database.

    Yields the name of a queue only this worker consumes, so parallel test
    processes do not take each other's tasks.
    """
    from cashback.celery import app

    worker = CeleryWorker(
        database_url=database_url_for_current_test_database(),
        broker_url=settings.REDIS_URL,
    )
    worker.start()
    app.conf.task_always_eager = False
    try:
        yield worker.queue
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        worker.stop()


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, free to stop and start."""
    if not RedisServer.available():
        pytest.skip("needs redis-server on the PATH")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's superuser, with the TOTP authenticator admin requires."""
    from allauth.mfa.models import Authenticator

    user = django_user_model.objects.create_superuser(
        email="admin@vendor.example", password="password"
    )
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "test"}
    )
    return user


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """A real OpenID Connect provider process, shared by the session's tests."""
    provider = OidcProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def microsoft_provider(oidc_provider, settings) -> OidcProvider:
    """Sign-in with Microsoft configured against the test provider (issue 19).

    The settings are those `MICROSOFT_*` gives in production, with the test
    provider's address as the authority.
    """
    from cashback.settings.base import csp_allowing_authority, microsoft_app

    openid_connect = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **openid_connect,
            "APPS": [
                microsoft_app(
                    client_id="portal-test-client",
                    secret="portal-test-secret",
                    authority=oidc_provider.url,
                )
            ],
        }
    }
    settings.SECURE_CSP = csp_allowing_authority(settings.SECURE_CSP, oidc_provider.url)
    return oidc_provider


def record_second_factor(client, user) -> None:
    """Record in `client`'s session that `user` typed their TOTP code, as
    allauth's MFA stage does at log-in (cashback.security)."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).first()
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": 0.0, "email": user.email},
        {"method": "mfa", "at": 0.0, "id": authenticator.pk, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture(autouse=True)
def _staff_log_in_with_their_second_factor(monkeypatch):
    """`client.force_login(staff)` stands for a full log-in: staff holding a
    TOTP authenticator get it recorded in the session, as typing the code
    would. Staff without one, and tests that remove the record, see what the
    middleware does without it (tests/security/test_staff_access.py)."""
    from django.test import Client

    from cashback.security import user_has_totp

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff and user_has_totp(user):
            record_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
