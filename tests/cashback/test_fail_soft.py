"""Shared services that fail soft (R27): log-ins work with Redis down, and the
log-in rate limits keep holding through the database cache table."""

import logging

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.resellers.factories import UserFactory
from tests.services import RedisServer

pytestmark = [pytest.mark.django_db, pytest.mark.redis]
FACTORY_PASSWORD = "correct-horse-battery"  # UserFactory's


@pytest.fixture
def stopped_redis(settings):
    """A Redis of the test's own, used by the cache, then stopped (never the
    machine's Redis, which others share)."""
    if not RedisServer.available():
        pytest.skip("needs redis-server")
    server = RedisServer()
    server.start()
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "cashback.cache.FailSoftRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    caches["default"].set("before-the-outage", "kept in Redis")
    assert caches["default"].get("before-the-outage") == "kept in Redis"
    server.stop()
    yield server
    server.stop()


def test_a_log_in_succeeds_while_redis_is_stopped(client, stopped_redis, caplog):
    user = UserFactory()
    with caplog.at_level(logging.WARNING, logger="cashback.cache"):
        response = client.post(
            reverse("account_login"),
            {"login": user.email, "password": FACTORY_PASSWORD},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"] == str(user.pk)
    assert "using the database cache table" in caplog.text


def test_failed_log_ins_are_still_limited_while_redis_is_stopped(
    client, stopped_redis, settings
):
    """Falling back, not skipping: guessing passwords stays throttled."""
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    user = UserFactory()
    for _ in range(4):
        client.post(
            reverse("account_login"), {"login": user.email, "password": "wrong-guess"}
        )
    locked = client.post(
        reverse("account_login"), {"login": user.email, "password": FACTORY_PASSWORD}
    )
    assert "Too many failed login attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
