"""Each reseller page's SQL statements on the demo data, against the floor
(issue 33): a page runs the floor's statements (the session, then the user
with the company, role and verified flag) plus at most two of its own.

The counts are exact, so a page that gains a statement fails here; where a
page is over the budget, docs/performance.md ("Statement budget") says why
and what would bring it down.
"""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim
from offers.models import Offer
from payouts.models import Payout
from resellers.models import User
from statements.models import PaymentStatement

pytestmark = pytest.mark.django_db

DEMO_DAY = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
FLOOR = "/bench/floor/"

# A company admin (Anna) on every page.
ADMIN_PAGES = {
    "floor": 2,
    "dashboard": 8,
    "offers": 6,
    "offer": 8,
    "claims": 3,
    "claim": 6,
    "payouts": 4,
    "company": 4,
    "statements": 7,
    "statement": 4,
}
# An approved member (Erik) giving bank details for a payout.
MEMBER_PAGES = {"bank details": 4}
# A member no company admin has approved yet: the pages that name the admins.
WAITING_PAGES = {"dashboard": 6, "claims": 3, "payouts": 3}


def statements(client, url: str) -> int:
    """The statements of a second view of `url` (the first warms the session)."""
    client.get(url, secure=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    assert response.status_code == 200, url
    return len(queries)


@pytest.fixture
def demo(settings):
    # The benchmark's URLs: the portal's plus its floor view.
    settings.ROOT_URLCONF = "bench.urls"
    with time_machine.travel(DEMO_DAY, tick=False):
        call_command("seed_demo", stdout=io.StringIO())


def test_each_reseller_page_runs_its_counted_statements(client, demo):
    """The floor, then every reseller page as a company admin, the bank
    details as an approved member, and the pages a waiting member reads:
    each at its exact count (one demo load for all, it takes a while)."""
    anna = User.objects.get(email="anna@nordlicens.se")
    erik = User.objects.get(email="erik@nordlicens.se")
    company = anna.reseller
    # Claims seeded at one frozen moment tie on created_at: the pk decides, and
    # the claim is on an offer the company can open (the demo also holds
    # claims on an archived offer, a 404 on its page).
    claim = (
        Claim.objects.filter(reseller=company, offer__status=Offer.Status.PUBLISHED)
        .order_by("created_at", "pk")
        .first()
    )
    payout = Payout.objects.filter(
        reseller=company, status=Payout.Status.AWAITING_BANK_DETAILS
    ).first()
    statement = PaymentStatement.objects.filter(reseller=company).first()
    urls = {
        "floor": FLOOR,
        "dashboard": "/dashboard/",
        "offers": "/offers/",
        "offer": claim.offer.get_absolute_url(),
        "claims": "/claims/",
        "claim": claim.get_absolute_url(),
        "payouts": "/payouts/",
        "bank details": f"/payouts/{payout.pk}/bank-details/",
        "company": "/company/",
        "statements": "/statements/",
        "statement": f"/statements/{statement.pk}/",
    }

    client.force_login(anna)
    assert {name: statements(client, urls[name]) for name in ADMIN_PAGES} == (
        ADMIN_PAGES
    )
    client.force_login(erik)
    assert {name: statements(client, urls[name]) for name in MEMBER_PAGES} == (
        MEMBER_PAGES
    )
    User.objects.filter(pk=erik.pk).update(member_approved_at=None)
    assert {name: statements(client, urls[name]) for name in WAITING_PAGES} == (
        WAITING_PAGES
    )
