"""Money and dates read one way per language, the same in the portal, the admin
and the e-mails (issue 28): "2 500,00 kr" and "15 januari 2027" in Swedish,
"SEK 2,500.00" and "15 January 2027" in English."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cashback.models import OutboxMessage
from payouts.services import notice_dedup_keys
from tests.payouts.conftest import approve
from tests.payouts.factories import approved_claim
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

NBSP = "\xa0"
APPROVED = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)
MONEY = {"en": "SEK 2,500.00", "sv": "2 500,00 kr"}
BARE_MONEY = ["2500.00", "2500,00", "2 500 SEK", "2500 SEK"]


@pytest.fixture
def payout(time_machine):
    time_machine.move_to(APPROVED, tick=False)
    claim = approved_claim(reward_amount=Decimal("2500.00"))
    UserFactory(reseller=claim.reseller, preferred_language="sv", is_company_admin=True)
    return approve(claim)


def release_date(payout, language: str) -> str:
    months = {
        "en": ["January", "February", "March", "April", "May", "June", "July"],
        "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli"],
    }
    day = payout.release_date
    return f"{day.day} {months[language][day.month - 1]} {day.year}"


def read(client, url: str, language: str) -> str:
    client.cookies["cashback_language"] = language
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    return response.content.decode().replace("&nbsp;", NBSP)


def assert_reads(text: str, language: str, date: str) -> None:
    assert MONEY[language].replace(" ", NBSP) in text
    assert date in text
    for bare in BARE_MONEY:
        assert bare not in text, bare


def test_the_notice_e_mail_in_each_language(payout):
    """Each admin's notice, text and HTML, in their language's money and date."""
    messages = OutboxMessage.objects.filter(dedup_key__in=notice_dedup_keys(payout))
    dates = {"en": "15 January 2027 23:59 CET", "sv": "15 januari 2027 23:59 CET"}
    for language in ("en", "sv"):
        message = messages.get(dedup_key__endswith=f":{language}")
        for body in (message.text_body, message.html_body):
            assert_reads(body, language, dates[language])


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_payouts_page_in_each_language(payout, client, language):
    client.force_login(payout.claim.submitted_by)
    html = read(client, reverse("payouts:list"), language)
    assert_reads(html, language, release_date(payout, language))


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_admin_payout_list_and_page_in_each_language(payout, client, language):
    client.force_login(StaffUserFactory(is_superuser=True))
    for url in (
        reverse("admin:payouts_payout_changelist"),
        reverse("admin:payouts_payout_change", args=[payout.pk]),
    ):
        assert_reads(
            read(client, url, language), language, release_date(payout, language)
        )
