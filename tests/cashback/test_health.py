"""/healthz and /readyz, with the real services and with Redis unreachable."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def dead_redis_settings(settings):
    settings.REDIS_URL = UNREACHABLE_REDIS
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }


def test_healthz_answers_without_touching_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(queries) == 0


def test_readyz_is_ok_when_every_configured_service_answers(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"


@pytest.mark.redis
def test_readyz_checks_the_real_broker(client):
    body = client.get("/readyz").json()
    assert body["checks"]["broker"] == "ok"


def test_readyz_names_redis_when_it_is_down_and_stays_in_service(client, settings):
    """Redis is shared by every node: its outage makes each one "degraded" (200)
    so a load balancer keeps them all; the body names the cache and broker."""
    dead_redis_settings(settings)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["down"] == ["broker", "cache"]
    assert body["checks"]["database"] == "ok"
    assert body["required"] == ["database"]


def test_readyz_reports_every_dependency_with_its_latency(client):
    body = client.get("/readyz").json()
    assert set(body["checks"]) == {
        "database",
        "cache",
        "broker",
        "storage",
        "bank_folder",
    }
    assert body["checks"]["storage"] == "ok"
    assert body["checks"]["bank_folder"] == "ok"
    configured = {n for n, state in body["checks"].items() if state != "not configured"}
    assert set(body["latency_ms"]) == configured
    assert all(value >= 0 for value in body["latency_ms"].values())


def test_readyz_answers_503_while_the_node_drains(client, tmp_path, monkeypatch):
    """gunicorn creates the node's drain file on SIGTERM (gunicorn.conf.py)."""
    drain_file = tmp_path / "drain"
    monkeypatch.setenv("CASHBACK_DRAIN_FILE", str(drain_file))
    assert client.get("/readyz").status_code == 200
    drain_file.touch()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "draining"
    assert client.get("/healthz").status_code == 200


def test_pages_keep_working_while_redis_is_down(client, settings):
    dead_redis_settings(settings)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Get started with the Cash Back program" in response.content.decode()


def test_unreachable_redis_is_a_one_line_start_up_warning(settings):
    from cashback.checks import services_reachable

    dead_redis_settings(settings)
    warnings = services_reachable(None)
    assert [warning.id for warning in warnings] == ["cashback.W001", "cashback.W001"]
    assert all("\n" not in warning.msg for warning in warnings)
    assert "unreachable" in warnings[0].msg
