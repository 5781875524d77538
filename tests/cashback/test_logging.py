"""Request ids, JSON log lines, the 500 page and what the log never carries
(issues 32 and 27)."""

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from cashback.request_log import (
    JsonLogFormatter,
    RedactRequestPathFilter,
    RequestIdFilter,
)
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.cashback.urls_failing"


def json_line(record: logging.LogRecord) -> dict:
    """The record as production's console handler writes it."""
    RequestIdFilter().filter(record)
    RedactRequestPathFilter().filter(record)
    line = JsonLogFormatter().format(record)
    assert "\n" not in line
    return json.loads(line)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Something went wrong"), ("sv", "Något gick fel")],
)
def test_the_500_page_is_branded_translated_and_quotes_the_logged_reference(
    failing_urls, caplog, language, words
):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/failing/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    page = response.content.decode()
    assert words in page
    assert "Cash Back" in page
    reference = response["X-Request-ID"]
    assert f'<code id="reference">{reference}</code>' in page
    [error] = [r for r in caplog.records if r.name == "django.request"]
    line = json_line(error)
    assert line["request_id"] == reference
    assert line["level"] == "ERROR"
    assert "RuntimeError" in line["exc_info"]
    assert line["timestamp"].endswith("+00:00")


def test_the_proxys_request_id_is_kept_and_a_bad_one_replaced(client):
    given = "4f9c2a7e0b8d4e51a1c3d5e7f9a0b2c4"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\n{}")["X-Request-ID"]
    assert replaced != "bad id\n{}"
    assert len(replaced) == 32


def test_the_access_log_has_the_route_duration_and_user_id_not_the_email(
    client, caplog
):
    user = UserFactory()
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="cashback.access"):
        client.get(reverse("dashboard"))
    [record] = [r for r in caplog.records if r.name == "cashback.access"]
    line = json_line(record)
    assert line["route"] == "/dashboard/"
    assert line["status"] == 200
    assert line["user_id"] == user.pk
    assert line["duration_ms"] >= 0
    assert user.email not in json.dumps(line)


@pytest.mark.parametrize(
    "path",
    [
        "/payouts/account-objection/c2VjcmV0LWZyZWV6ZS10b2tlbi0xMjM0NTY3ODkw/",
        "/accounts/password/reset/key/1z-secret-reset-token-abcdef123456/",
        "/accounts/staff-enrolment/secret-enrolment-token-abcdef123456/",
        "/no-such-page/secret-enrolment-token-abcdef123456/",
    ],
)
def test_tokens_in_links_never_reach_the_log(client, caplog, path):
    """Freeze links, password resets and enrolment links: the route pattern or a
    redacted path, whatever the answer (200, 302, 404)."""
    with caplog.at_level(logging.DEBUG):
        client.get(path)
    token = path.rstrip("/").rsplit("/", 1)[1]
    secret = token.split("-", 1)[1] if token.startswith("1z-") else token
    logged = "\n".join(
        json.dumps(json_line(record), default=str) for record in caplog.records
    )
    assert caplog.records
    assert secret not in logged
