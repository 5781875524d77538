"""Account settings that protect users, and the hardening around them: e-mail
changes need re-authentication, rate limits per client behind the proxy, CSV
cells that cannot run formulas, a /readyz and logs without secrets, link
e-mails purged, history on the models that grant access or move money."""

import csv
import io
import logging
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from cashback.exports import csv_stream
from cashback.health import redacted_url, unreachable_services
from cashback.models import OutboxMessage, SecurityEvent
from cashback.outbox import outbox_links_purge
from resellers.models import ProgramMembership
from tests.claims.factories import ClaimFactory
from tests.payouts.conftest import FACTORY_PASSWORD
from tests.resellers.factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db
DANGEROUS_FIRST_CHARACTERS = ["=", "+", "-", "@", "\t", "\r"]


# Re-authentication and notices -------------------------------------------------


def test_adding_an_e_mail_address_needs_the_password_again(client, settings):
    """A session that has not re-authenticated recently is sent to type the
    password before an address is added; nothing is added until it does."""
    assert settings.ACCOUNT_REAUTHENTICATION_REQUIRED
    user = UserFactory(email="kim@reseller.example")
    client.force_login(user)
    data = {"action_add": "", "email": "kim.lind@reseller.example"}
    response = client.post(reverse("account_email"), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="kim.lind@reseller.example").exists()
    client.post(reverse("account_reauthenticate"), {"password": FACTORY_PASSWORD})
    client.post(reverse("account_email"), data)
    assert EmailAddress.objects.filter(email="kim.lind@reseller.example").exists()


def test_users_are_told_of_security_changes(client, settings):
    """With the notices on, a password change sends the user an e-mail."""
    assert settings.ACCOUNT_EMAIL_NOTIFICATIONS
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": FACTORY_PASSWORD})
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": FACTORY_PASSWORD,
            "password1": "a-new-long-passphrase-9",
            "password2": "a-new-long-passphrase-9",
        },
    )
    assert OutboxMessage.objects.filter(
        dedup_key__startswith="allauth:password_changed", recipients=[user.email]
    ).exists()


# The client's address behind the proxy ----------------------------------------


def test_failed_log_ins_behind_the_proxy_are_counted_per_client(client, settings):
    """Behind one trusted proxy, ten failures from one client lock that client
    out, not the next client coming through the same proxy."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    user = UserFactory()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def attempt(client_ip: str, password: str):
        return client.post(
            reverse("account_login"),
            {"login": user.email, "password": password},
            HTTP_X_FORWARDED_FOR=client_ip,
            **proxy,
        )

    for _ in range(4):
        attempt("203.0.113.7", "wrong-guess-1")
    # Locked out: even the right password is refused on the form.
    locked = attempt("203.0.113.7", FACTORY_PASSWORD)
    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    response = attempt("198.51.100.4", FACTORY_PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    failed = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_FAILED)
    assert set(failed.values_list("ip_address", flat=True)) == {"203.0.113.7"}


# CSV injection -----------------------------------------------------------------


def csv_cells(headers, rows) -> list[list[str]]:
    text = "".join(csv_stream(headers, rows)).removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("first", DANGEROUS_FIRST_CHARACTERS)
def test_a_cell_starting_a_formula_is_written_as_text(first):
    """Each dangerous first character gets a leading quote: the spreadsheet
    shows the text and runs nothing."""
    value = f'{first}HYPERLINK("http://evil.example","x")'
    rows = csv_cells(["name"], [(value,)])
    assert rows[1] == ["'" + value]


def test_numbers_and_ordinary_text_are_written_as_they_are():
    rows = csv_cells(["a", "b", "c"], [("Nordlicens AB", -12, "a=b")])
    assert rows[1] == ["Nordlicens AB", "-12", "a=b"]


def test_a_company_named_as_a_formula_is_neutralised_in_the_claims_export(
    admin_client,
):
    """The issue's case, end to end through the admin export."""
    ClaimFactory(reseller=ResellerFactory(legal_name='=HYPERLINK("http://x")'))
    response = admin_client.get(reverse("admin:claims_claim_export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1] == '\'=HYPERLINK("http://x")'


# /readyz and the logs -------------------------------------------------------------


def test_readyz_names_the_part_that_is_down_without_the_error(client, settings):
    secret_url = "redis://:hunter2-secret@127.0.0.1:1/0"
    settings.REDIS_URL = secret_url
    settings.CELERY_BROKER_URL = secret_url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": secret_url,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200  # degraded: Redis is not required
    assert body["checks"]["cache"] == "down"
    assert body["checks"]["broker"] == "down"
    assert "hunter2" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_the_redis_password_is_never_in_the_start_up_warning(settings, caplog):
    settings.REDIS_URL = "redis://:hunter2-secret@127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    with caplog.at_level(logging.DEBUG):
        messages = unreachable_services()
    assert messages
    assert all("hunter2" not in message for message in messages)
    assert "***@127.0.0.1:1" in messages[0]
    assert "hunter2" not in caplog.text


def test_redacted_url_keeps_urls_without_a_password():
    assert redacted_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert redacted_url("redis://u:p@h:1/0") == "redis://u:***@h:1/0"


# Link e-mails are not kept --------------------------------------------------------


def test_sent_link_e_mails_are_purged_after_the_retention_period(settings):
    old = timezone.now() - timedelta(days=settings.OUTBOX_LINK_RETENTION_DAYS + 1)
    recent = timezone.now() - timedelta(days=1)

    def message(key: str, sent_at):
        return OutboxMessage.objects.create(
            dedup_key=key,
            recipients=["a@b.example"],
            subject="s",
            text_body="t",
            sent_at=sent_at,
        )

    purged = [
        message("allauth:password_reset_key:1", old),
        message("allauth:email_confirmation_signup:2", old),
        message("staff:mfa_enrolment:3:abc", old),
    ]
    kept = [
        message("allauth:password_reset_key:4", recent),  # within retention
        message("allauth:email_confirmation:5", None),  # not sent yet
        message("claim:CB-2026-000001:approved", old),  # no link to sign in
    ]
    deleted = outbox_links_purge(
        older_than=timedelta(days=settings.OUTBOX_LINK_RETENTION_DAYS)
    )
    assert deleted == len(purged)
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {
        m.pk for m in kept
    }


# History ----------------------------------------------------------------------------


def test_users_memberships_batches_and_rates_keep_their_history():
    from payouts.models import ExchangeRate, PaymentBatch

    user = UserFactory()
    user.is_staff = True
    user.save()
    assert [h.is_staff for h in user.history.all()] == [True, False]
    assert not hasattr(user.history.first(), "password")
    membership = ProgramMembership.objects.create(
        reseller=ResellerFactory(), program="MRI", start_date="2015-07-01"
    )
    assert membership.history.count() == 1
    rate = ExchangeRate.objects.create(
        base_currency="EUR", quote_currency="SEK", rate_date="2026-11-26", rate="11.5"
    )
    assert rate.history.count() == 1
    batch = PaymentBatch.objects.create(
        currency="SEK", message_id="CB-H-1", created_by=StaffUserFactory()
    )
    assert batch.history.count() == 1
    assert not hasattr(batch.history.first(), "payment_file")
