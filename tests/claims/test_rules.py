"""One home per rule: the claim and offer rules other apps call."""

import datetime as dt

import pytest
from django.utils import timezone

from cashback.clock import program_day_start, program_today
from claims.models import DISPUTE_WINDOW, Claim
from offers.models import ReturnPeriod
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory, TermsFactory

pytestmark = pytest.mark.django_db
S = Claim.Status


def test_only_a_withdrawn_claim_stops_counting():
    """counting() and still_counts agree: withdrawn no, rejected still yes."""
    offer = OfferFactory()
    withdrawn = ClaimFactory(offer=offer, status=S.WITHDRAWN)
    rejected = ClaimFactory(offer=offer, status=S.REJECTED)
    submitted = ClaimFactory(offer=offer, status=S.SUBMITTED)
    counting = set(Claim.objects.counting())
    assert counting == {rejected, submitted}
    flags = {c.pk: c.still_counts for c in Claim.objects.with_still_counts()}
    assert flags == {withdrawn.pk: False, rejected.pk: True, submitted.pk: True}
    # Other apps reach the rule through the reverse accessor.
    assert list(submitted.reseller.claims.counting()) == [submitted]


def test_claims_that_may_be_paid_exclude_rejected_and_withdrawn():
    offer = OfferFactory()
    ClaimFactory(offer=offer, status=S.WITHDRAWN)
    ClaimFactory(offer=offer, status=S.REJECTED)
    approved = ClaimFactory(offer=offer, status=S.APPROVED)
    assert list(Claim.objects.may_be_paid()) == [approved]


def test_the_dispute_window_is_one_rule_for_a_claim_and_a_queryset():
    """A rejection is disputable until the end of the 30th whole day after the
    day of the decision (program's time zone), once."""
    now = timezone.now()
    recent = ClaimFactory(status=S.REJECTED, decided_at=now - dt.timedelta(days=29))
    old = ClaimFactory(status=S.REJECTED, decided_at=now - dt.timedelta(days=31))
    ClaimFactory(
        status=S.REJECTED, decided_at=now, disputed_at=now
    )  # disputed once already
    assert recent.dispute_last_day == program_today(recent.decided_at) + DISPUTE_WINDOW
    assert recent.dispute_until == program_day_start(
        recent.dispute_last_day + dt.timedelta(days=1)
    )
    assert list(Claim.objects.disputable(now)) == [recent]
    assert old.dispute_until < now


@pytest.mark.parametrize(
    ("now", "disputable"),
    [
        # Decided 1 March 23:30 in Stockholm (22:30 UTC): the last day is
        # 31 March, whatever the hour of the decision.
        (dt.datetime(2026, 3, 31, 21, 59, tzinfo=dt.UTC), True),  # 23:59 local
        (dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC), False),  # 1 April 00:00
    ],
)
def test_the_dispute_cut_off_is_a_whole_day_in_the_programs_time_zone(now, disputable):
    """The window ends at midnight in Stockholm at the end of its last day,
    for the claim, the queryset and the service check alike."""
    from claims.services import claim_can_dispute

    decided = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
    claim = ClaimFactory(status=S.REJECTED, decided_at=decided)
    assert claim.dispute_last_day == dt.date(2026, 3, 31)
    assert claim_can_dispute(claim, now) is disputable
    assert (claim in Claim.objects.disputable(now)) is disputable
    assert (claim in Claim.objects.finally_rejected(now)) is not disputable


def test_the_current_terms_are_the_newest_published_version():
    """A version published for later is not yet what a claim accepts."""
    offer = OfferFactory(with_terms=False)
    published = TermsFactory(offer=offer, version=1)
    TermsFactory(
        offer=offer, version=2, published_at=timezone.now() + dt.timedelta(days=1)
    )
    assert offer.current_terms() == published


def test_the_return_period_of_a_country_overrides_the_default():
    offer = OfferFactory(return_period_days=30)
    ReturnPeriod.objects.create(offer=offer, country="NO", days=45)
    assert offer.return_period_days_for("NO") == 45
    assert offer.return_period_days_for("SE") == 30


def test_the_payout_currencies_fall_back_to_the_reward_currency():
    assert OfferFactory.build(
        payout_currencies=["EUR"]
    ).payout_currencies_offered() == ["EUR"]
    offer = OfferFactory.build(payout_currencies=[], reward_currency="NOK")
    assert offer.payout_currencies_offered() == ["NOK"]
