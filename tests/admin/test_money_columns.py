"""Money in the admin reads by the reader's language (issue 28): "2 500,00 kr" in
Swedish, "SEK 2,500.00" in English, never "2500.00" beside a currency column or
"2E+1 EUR", in the lists and on the change pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payouts.services import batch_create
from tests.claims.factories import OpenAgreementFactory
from tests.payouts.factories import PayoutFactory
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def read(client, url: str, language: str) -> str:
    client.cookies["cashback_language"] = language
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def staff_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def assert_money_only(html: str, expected: str, bare: list[str]) -> None:
    assert expected.replace(" ", NBSP) in html
    for text in bare:
        assert text not in html, text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", "2 500,00 kr"), ("en", "SEK 2,500.00")],
)
def test_payout_list_and_page_show_money_by_language(staff_client, language, expected):
    payout = PayoutFactory(
        amount=Decimal("2500.00"),
        payout_amount=Decimal("2.5E+3"),
        payout_currency="SEK",
    )
    bare = ["2500.00", "2500,00", "2E+1", "2.5E+3"]
    for url in (
        reverse("admin:payouts_payout_changelist"),
        reverse("admin:payouts_payout_change", args=[payout.pk]),
    ):
        assert_money_only(read(staff_client, url, language), expected, bare)


def test_ledger_rows_show_revenue_as_money_in_swedish(staff_client):
    row = OpenAgreementFactory(revenue=Decimal("2E+1"), currency="EUR")
    for url in (
        reverse("admin:claims_openagreement_changelist"),
        reverse("admin:claims_openagreement_change", args=[row.pk]),
    ):
        assert_money_only(read(staff_client, url, "sv"), "20,00 €", ["2E+1", "20.00"])


def test_a_batch_shows_its_total_and_payouts_as_money_in_swedish(staff_client):
    payout = scheduled_payout()  # SEK 1,000
    batch = batch_create(
        currency="SEK", payouts=[payout], operator=StaffUserFactory(is_superuser=True)
    )
    bare = ["1000.00", "1000,00"]
    html = read(staff_client, reverse("admin:payouts_paymentbatch_changelist"), "sv")
    assert_money_only(html, "1 000,00 kr", bare)
    html = read(
        staff_client,
        reverse("admin:payouts_paymentbatch_change", args=[batch.pk]),
        "sv",
    )
    assert_money_only(html, "1 000,00 kr", bare)
