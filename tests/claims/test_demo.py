"""The demo seed: ledger rows and claims in every state, idempotent."""

import pytest

from claims import demo
from claims.models import Claim, OpenAgreement
from resellers.demo import demo_reseller_ensure
from tests.offers.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_seed_covers_every_state_and_runs_twice():
    OfferFactory.create_batch(2)
    logins = demo.seed()
    assert ("Reseller admin, Nordlicens AB", "anna@nordlicens.se") in logins
    states = set(Claim.objects.values_list("status", flat=True))
    assert states == set(Claim.Status.values)
    counts = (Claim.objects.count(), OpenAgreement.objects.count())
    demo.seed()
    assert (Claim.objects.count(), OpenAgreement.objects.count()) == counts
    nordlicens = demo_reseller_ensure()
    assert {c.status for c in nordlicens.claims.all()} >= {
        Claim.Status.INFO_REQUESTED,
        Claim.Status.REJECTED,
    }
    demo_rows = OpenAgreement.objects.filter(reseller_org_number=nordlicens.org_number)
    assert demo_rows.filter(sale_date__lt="2026-07-01").exists()  # not eligible
    assert Claim.objects.exclude(validation_outcome="pending").count() == counts[0]


def test_seed_without_offers_creates_no_claims():
    demo.seed()
    assert not Claim.objects.exists()
