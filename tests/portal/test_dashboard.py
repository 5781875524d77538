"""The reseller's overview: what to do next first, then where things stand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from claims.models import Claim
from payouts.models import Payout
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
URL = reverse("dashboard")


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(client, user, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.force_login(user)
    return client


def page(client) -> str:
    return client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_bank_details_due_soon_lead_the_page(signed_in, user):
    """A payout awaiting bank details due in two days is the first, urgent task."""
    payout = PayoutFactory(
        claim__reseller=user.reseller,
        status=Payout.Status.AWAITING_BANK_DETAILS,
        bank_details_due_at=NOW + dt.timedelta(days=2),
    )
    ClaimFactory(reseller=user.reseller, status=Claim.Status.INFO_REQUESTED)
    html = page(signed_in)
    tasks = html.split("What to do next", 1)[1].split("Offers open for claims", 1)[0]
    first_bank = tasks.index(f"bank details for {payout.claim.reference}")
    first_invoice = tasks.index("Upload a copy of the customer invoice")
    assert "list-group-item-warning" in tasks
    assert reverse("payouts:bank_details", kwargs={"payout_id": payout.pk}) in tasks
    assert "2\xa0days" in tasks
    assert first_bank < first_invoice  # the one with a deadline comes first


def test_a_rejection_inside_the_dispute_window_is_a_task(signed_in, user):
    claim = ClaimFactory(
        reseller=user.reseller,
        status=Claim.Status.REJECTED,
        decided_at=NOW - dt.timedelta(days=3),
    )
    old = ClaimFactory(
        reseller=user.reseller,
        status=Claim.Status.REJECTED,
        decided_at=NOW - dt.timedelta(days=31),
    )
    html = page(signed_in)
    assert f"{claim.reference} was rejected" in html
    assert f"{old.reference} was rejected" not in html
    # Decided 23 November: the last day to dispute is 23 December, shown as
    # that day's end, not as midnight on the 24th.
    assert claim.dispute_last_day == dt.date(2026, 12, 23)
    assert "By 23 December 2026 23:59" in html
    assert "24 December 2026" not in html


def test_nothing_to_do_says_so(signed_in):
    assert "Nothing needs your attention right now." in page(signed_in)


def test_money_on_the_way_and_paid_per_currency(signed_in, user):
    PayoutFactory(
        claim__reseller=user.reseller,
        status=Payout.Status.SCHEDULED,
        amount=Decimal("1234.50"),
    )
    PayoutFactory(
        claim__reseller=user.reseller, status=Payout.Status.PAID, amount=Decimal("500")
    )
    PayoutFactory(status=Payout.Status.PAID, amount=Decimal("999"))  # another company
    html = page(signed_in)
    assert "SEK\xa01,234.50" in html
    assert "SEK\xa0500.00" in html
    assert "999" not in html


def test_another_companys_claims_never_show(signed_in, user):
    mine = ClaimFactory(reseller=user.reseller)
    theirs = ClaimFactory(status=Claim.Status.INFO_REQUESTED)
    html = page(signed_in)
    assert mine.reference in html
    assert theirs.reference not in html


def test_the_overview_runs_a_fixed_number_of_queries(
    signed_in, user, django_assert_num_queries
):
    """The same count with one claim and payout as with many."""
    OfferFactory()
    PayoutFactory(claim__reseller=user.reseller)
    signed_in.get(URL)
    with django_assert_num_queries(7) as few:
        signed_in.get(URL)
    for _ in range(6):
        PayoutFactory(
            claim__reseller=user.reseller,
            status=Payout.Status.AWAITING_BANK_DETAILS,
            bank_details_due_at=NOW + dt.timedelta(days=4),
        )
        ClaimFactory(reseller=user.reseller, status=Claim.Status.INFO_REQUESTED)
        OfferFactory()
    with django_assert_num_queries(len(few.captured_queries)):
        signed_in.get(URL)


def test_staff_land_in_admin_after_logging_in(client):
    """Staff without an authenticator yet (with one, allauth asks for the code)."""
    staff = StaffUserFactory(with_totp=False)
    response = client.post(
        reverse("account_login"),
        {"login": staff.email, "password": "correct-horse-battery"},
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_a_long_task_list_shows_the_first_few_and_links_to_the_rest(signed_in, user):
    """Thousands of waiting payouts do not make a page of thousands of rows."""
    from portal.dashboard import TASKS_PER_KIND

    payouts = [
        PayoutFactory(
            claim__reseller=user.reseller,
            status=Payout.Status.AWAITING_BANK_DETAILS,
            bank_details_due_at=NOW + dt.timedelta(days=4 + index),
        )
        for index in range(TASKS_PER_KIND + 2)
    ]
    html = page(signed_in)
    shown = [p for p in payouts if f"bank details for {p.claim.reference}" in html]
    assert shown == payouts[:TASKS_PER_KIND]  # the soonest due first
    assert "More payouts wait for bank details" in html
    assert reverse("payouts:list") in html
