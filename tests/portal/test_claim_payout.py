"""An approved claim's next step follows its payout, and its page shows the
payout's events on the timeline and links to it (issue 28: every approved
claim said "Submit or confirm your bank details when we e-mail you", paid
and forfeited ones included)."""

from html import unescape

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from bench.render import outermost_render
from claims.models import Claim
from payouts.models import Payout, PayoutEvent
from payouts.presentation import payout_next_step
from payouts.services.transitions import TRANSITIONS
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import UserFactory
from tests.statements.conftest import pay, statement_of

pytestmark = pytest.mark.django_db

BANK_DETAILS_LATER = "Submit or confirm your bank details when we e-mail you."


@pytest.fixture
def admin():
    return UserFactory(is_company_admin=True)


def payout_in(admin, state):
    claim_state = (
        Claim.Status.IN_REVIEW
        if state == Payout.Status.CANCELLED
        else Claim.Status.APPROVED
    )
    return PayoutFactory(
        claim__reseller=admin.reseller,
        claim__submitted_by=admin,
        claim__status=claim_state,
        status=state,
    )


def test_every_payout_state_has_its_own_next_step():
    """No payout state falls back to the bank-details sentence but the one
    that waits for them."""
    with translation.override("en"):
        for state in TRANSITIONS:
            words = payout_next_step(state)
            assert words, state
            assert words != BANK_DETAILS_LATER


@pytest.mark.parametrize(
    "state", [s for s in TRANSITIONS if s != Payout.Status.CANCELLED]
)
def test_an_approved_claims_next_step_follows_its_payout(client, admin, state):
    """On the claims list and the claim page, in every payout state."""
    payout = payout_in(admin, state)
    client.force_login(admin)
    with translation.override("en"):
        words = payout_next_step(state)
    claim_url = reverse("claims:detail", kwargs={"reference": payout.claim.reference})
    for url in (reverse("claims:list"), claim_url):
        html = unescape(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
        assert BANK_DETAILS_LATER not in html, (url, state)
        assert words in html, (url, state)


def test_the_claim_page_links_to_its_payout_and_shows_its_events(
    client, admin, django_assert_max_num_queries
):
    payout = payout_in(admin, Payout.Status.PAID)
    PayoutEvent.objects.create(
        payout=payout,
        kind=PayoutEvent.Kind.NOTICE_SENT,
        from_status=Payout.Status.AWAITING_BANK_DETAILS,
        to_status=Payout.Status.AWAITING_BANK_DETAILS,
    )
    client.force_login(admin)
    url = reverse("claims:detail", kwargs={"reference": payout.claim.reference})
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    timeline = html.split("Timeline", 1)[1]
    assert "We e-mailed your company admins to submit or confirm" in timeline
    payout_link = reverse("payouts:list") + f"?claim={payout.claim.reference}"
    assert payout_link.replace("&", "&amp;") in html
    listed = client.get(payout_link, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert payout.claim.reference in listed


def test_the_payouts_page_filtered_by_claim_lists_only_that_payout(client, admin):
    first = payout_in(admin, Payout.Status.PAID)
    other = payout_in(admin, Payout.Status.READY)
    client.force_login(admin)
    html = client.get(
        reverse("payouts:list") + f"?claim={first.claim.reference}"
    ).content.decode()
    assert first.claim.reference in html
    assert other.claim.reference not in html


def test_the_claim_page_reads_its_payout_in_the_view(
    client, django_capture_on_commit_callbacks
):
    """Issue 33: a paid claim's payout, its events and its payment statement
    are read by the view, each list once, and no queryset reaches the
    template: rendering the page again runs no statement (the `claim_payout`
    tag ran one or two on every render)."""
    with django_capture_on_commit_callbacks(execute=True):
        (payout,) = pay()
    admin = payout.reseller.members.filter(is_company_admin=True).first()
    client.force_login(admin)
    url = payout.claim.get_absolute_url()
    client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # the session, warmed
    with outermost_render() as caught, CaptureQueriesContext(connection) as read:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    # Session, user, the claim with its offer, terms and payout, agreements,
    # invoices, the claim's events, the payout's events, its statements.
    assert len(read) == 8
    [page] = caught
    assert not [k for k, v in page.context.items() if isinstance(v, QuerySet)]
    with CaptureQueriesContext(connection) as rendering:
        again = page.template.render(page.context, page.request)
    assert len(rendering) == 0
    html = unescape(response.content.decode())
    statement = reverse("statements:detail", args=[statement_of(payout).pk])
    assert statement in html and statement in unescape(again)
    assert "Paid on" in html.split("Timeline", 1)[1]
