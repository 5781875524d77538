"""Every state a claim or a payout can reach renders on every reseller page
that shows it (issue 28: a reversed approval's cancelled payout made the whole
payouts page answer 500).

The states come from the transition tables, so a state added there is tried
here without anyone remembering to add it.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from claims.models import Claim
from claims.services import TRANSITIONS as CLAIM_TRANSITIONS
from payouts.models import Payout
from payouts.services.transitions import TRANSITIONS as PAYOUT_TRANSITIONS
from tests.claims.factories import ClaimFactory
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db


def _claim_states() -> list[str]:
    named = set().union(*CLAIM_TRANSITIONS.values())
    assert named <= set(Claim.Status.values)
    return sorted(named | set(Claim.Status.values))


def _payout_states() -> list[str]:
    named = set(PAYOUT_TRANSITIONS).union(*PAYOUT_TRANSITIONS.values())
    assert named == set(Payout.Status.values), "a state is missing from the table"
    return sorted(named)


def _pages(claim: Claim) -> dict[str, str]:
    return {
        "dashboard": reverse("dashboard"),
        "claims list": reverse("claims:list"),
        "claim page": reverse("claims:detail", kwargs={"reference": claim.reference}),
        "payouts page": reverse("payouts:list"),
        "offer list": reverse("offers:list"),
        "offer page": reverse("offers:detail", kwargs={"slug": claim.offer.slug}),
    }


@pytest.fixture
def admin():
    return UserFactory(is_company_admin=True)


@pytest.mark.parametrize("state", _claim_states())
def test_every_claim_state_renders_on_every_page(client, admin, state):
    """Dashboard, claims list, claim page, payouts and offer cards answer 200
    and name the claim's state where they list the claim."""
    claim = ClaimFactory(reseller=admin.reseller, submitted_by=admin, status=state)
    client.force_login(admin)
    with translation.override("en"):
        label = str(Claim.Status(state).label)
    for name, url in _pages(claim).items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, (name, state)
        if name != "payouts page":
            assert label in response.content.decode(), (name, state)


@pytest.mark.parametrize("state", _payout_states())
def test_every_payout_state_renders_on_every_page(client, admin, state):
    """Each payout state answers 200 on every page and is named in words on
    the dashboard, the payouts page and its claim's page."""
    claim_state = (
        Claim.Status.IN_REVIEW
        if state == Payout.Status.CANCELLED
        else Claim.Status.APPROVED
    )
    payout = PayoutFactory(
        claim__reseller=admin.reseller,
        claim__submitted_by=admin,
        claim__status=claim_state,
        status=state,
    )
    client.force_login(admin)
    with translation.override("en"):
        label = str(Payout.Status(state).label)
    for name, url in _pages(payout.claim).items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, (name, state)
        if name in ("dashboard", "payouts page", "claim page"):
            assert label in response.content.decode(), (name, state)
