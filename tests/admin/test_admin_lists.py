"""Admin lists staff use (issue 28): the country filter, the reconciliation rows."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from claims.admin.filters import CountryFilter
from payouts.models import PaymentBatch
from payouts.services import batch_create, batch_release
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import ResellerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_the_country_filter_lists_each_country_once(rf):
    """Resellers are ordered by name; that ordering must not repeat a country in
    the DISTINCT (it listed Sweden once per company)."""
    for name in ("Alfa AB", "Beta AB", "Gamma AB"):
        ResellerFactory(legal_name=name, country="SE")
    ResellerFactory(legal_name="Delta Oy", country="FI", org_number="1572860-0")
    codes = [
        code
        for code, _name in CountryFilter(rf.get("/"), {}, None, None).lookup_choices
    ]
    assert sorted(codes) == sorted(set(codes))
    assert codes.count("SE") == 1


def test_a_reconciliation_row_opens_its_batch(client):
    payout = scheduled_payout()
    builder, releaser = StaffUserFactory(), StaffUserFactory()
    for user in (builder, releaser):
        user.groups.add(Group.objects.get(name="Operators"))
    batch = batch_create(
        currency=payout.payout_currency, payouts=[payout], operator=builder
    )
    batch_release(batch=batch, operator=releaser)
    client.force_login(releaser)
    html = client.get(
        reverse("admin:payouts_batchreconciliation_changelist")
    ).content.decode()
    assert reverse("admin:payouts_paymentbatch_change", args=[batch.pk]) in html
    assert PaymentBatch.objects.get().message_id in html


def test_a_reward_explanation_never_shows_an_exponent():
    """A per-seat reward of 20 EUR read "2E+1 EUR" (Decimal.normalize)."""
    from decimal import Decimal

    from claims.validation import claim_report
    from offers.models import Offer
    from tests.claims.factories import ClaimFactory

    claim = ClaimFactory(
        offer__reward_basis=Offer.RewardBasis.AMOUNT_PER_SEAT,
        offer__reward_value=Decimal("20.00"),
        offer__reward_currency="EUR",
    )
    explanation = claim_report(claim).reward_explanation
    assert "E+" not in explanation
    assert "EUR" in explanation and "20" in explanation
