"""The demo catalogue: the seed's 10@5 offer (closed) and two open ones."""

import datetime as dt

import pytest
import time_machine

from offers import demo
from offers.eligibility import offer_eligibility
from offers.models import CustomerSegment, LicenceType, Offer, Product, Terms
from offers.selectors import offer_list_page
from tests.resellers.factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_seed_is_idempotent():
    """Running the seed twice creates the same rows once."""
    assert demo.seed() > 0
    counts = [
        m.objects.count() for m in (Product, LicenceType, CustomerSegment, Offer, Terms)
    ]
    assert demo.seed() == 0
    assert [
        m.objects.count() for m in (Product, LicenceType, CustomerSegment, Offer, Terms)
    ] == counts
    assert set(LicenceType.objects.values_list("name", flat=True)) >= {
        "Open License",
        "Open Value",
        "Open Value Subscription",
    }
    assert CustomerSegment.objects.count() == 4


def test_the_seeds_offer_has_the_seeds_dates_and_shows_closed():
    """10@5: claims before 15 December 2015, MRI excluded for H2 2015, closed now."""
    demo.seed()
    offer = Offer.objects.get(slug="10at5-cloud-open")
    assert offer.title_en == "10@5 Cloud Open Promotion"
    assert offer.status == Offer.Status.PUBLISHED
    assert offer.claim_closes_on == dt.date(2015, 12, 14)
    assert offer.calculation_date == dt.date(2016, 1, 31)
    assert offer.payment_term_days == 60
    assert offer.bank_details_term_days == 5
    assert offer.max_reminders == 3
    assert (offer.excluded_program, offer.excluded_from, offer.excluded_until) == (
        "MRI",
        dt.date(2015, 7, 1),
        dt.date(2015, 12, 31),
    )
    assert offer.claim_mode == Offer.ClaimMode.ONE_PER_RESELLER
    assert {t.version for t in offer.terms.all()} == {1}
    result = offer_eligibility(
        offer=offer,
        reseller=ResellerFactory(country="SE"),
        memberships=[],
        existing_claim_reference=None,
        today=dt.date(2026, 11, 26),
    )
    assert result.outcome("claim_window").passed is False


@time_machine.travel(dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC), tick=False)
def test_two_offers_are_open_on_the_demo_day_with_different_rules():
    """A Swedish reseller sees two open offers: modes, rewards, territories differ."""
    demo.seed()
    swede = UserFactory(reseller__country="SE")
    _page, cards = offer_list_page(reseller=swede.reseller, viewer=swede)
    offers = [card.offer for card in cards]
    assert len(offers) == 2
    assert all(card.can_claim for card in cards)
    assert {o.claim_mode for o in offers} == set(Offer.ClaimMode.values)
    assert len({o.reward_basis for o in offers}) == 2
    assert len({tuple(sorted(c.code for c in o.territories)) for o in offers}) == 2
    german_user = UserFactory(reseller__country="DE")
    _page, german = offer_list_page(reseller=german_user.reseller, viewer=german_user)
    assert [card.offer.slug for card in german] == ["open-value-seat-rebate"]
