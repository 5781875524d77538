"""Eligibility (R5-R7): each criterion at its boundaries, in the Stockholm zone."""

import datetime as dt

import pytest
import time_machine

from cashback.clock import program_today
from offers.eligibility import (
    offer_eligibility,
    offers_eligibility,
    periods_overlap,
    sale_outcomes,
)
from offers.models import Offer
from tests.claims.factories import ClaimFactory, OpenAgreementFactory
from tests.offers.factories import OfferFactory, ProductFactory
from tests.resellers.factories import ProgramMembershipFactory, ResellerFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def eligibility(offer, reseller, *, memberships=(), existing=None, today=None):
    return offer_eligibility(
        offer=offer,
        reseller=reseller,
        memberships=list(memberships),
        existing_claim_reference=existing,
        today=today,
    )


# Program day -----


def test_program_today_turns_at_midnight_in_stockholm_not_utc():
    """At 23:30 UTC on 31 January it is already 1 February in Stockholm (UTC+1)."""
    assert program_today(utc(2026, 1, 31, 22, 59, 59)) == dt.date(2026, 1, 31)
    assert program_today(utc(2026, 1, 31, 23, 30)) == dt.date(2026, 2, 1)


def test_program_today_follows_summer_time():
    """In summer Stockholm is UTC+2: 22:00 UTC on 30 June is already 1 July."""
    assert program_today(utc(2026, 6, 30, 21, 59)) == dt.date(2026, 6, 30)
    assert program_today(utc(2026, 6, 30, 22, 0)) == dt.date(2026, 7, 1)


# Claim window (R6) -----


@pytest.fixture
def january_offer():
    """Claims from 1 to 31 January 2026, both days included."""
    return OfferFactory(
        claim_opens_on=dt.date(2026, 1, 1),
        claim_closes_on=dt.date(2026, 1, 31),
        sale_starts_on=dt.date(2025, 10, 1),
        sale_ends_on=dt.date(2025, 12, 31),
        calculation_date=dt.date(2026, 2, 28),
    )


@pytest.mark.parametrize(
    ("moment", "passed"),
    [
        (utc(2025, 12, 31, 22, 59, 59), False),  # 23:59:59 on 31 Dec in Stockholm
        (utc(2025, 12, 31, 23, 0, 0), True),  # midnight 1 Jan in Stockholm
        (utc(2026, 1, 31, 22, 59, 59), True),  # last second of the last day
        (utc(2026, 1, 31, 23, 30, 0), False),  # still 31 Jan in UTC, 1 Feb here
    ],
)
def test_claim_window_counts_whole_days_in_stockholm(january_offer, moment, passed):
    """The first and last claim days are whole Stockholm days, not UTC days."""
    reseller = ResellerFactory()
    with time_machine.travel(moment, tick=False):
        result = eligibility(january_offer, reseller)
    assert result.outcome("claim_window").passed is passed
    assert result.is_eligible is passed


def test_claim_window_reason_names_the_dates(january_offer):
    """Before the window the reason gives the opening day, after it the last day."""
    reseller = ResellerFactory()
    before = eligibility(january_offer, reseller, today=dt.date(2025, 12, 31))
    after = eligibility(january_offer, reseller, today=dt.date(2026, 2, 1))
    assert "Claims open on" in str(before.outcome("claim_window").reason)
    assert "1 January 2026" in str(before.outcome("claim_window").reason)
    assert "Claims closed after" in str(after.outcome("claim_window").reason)
    assert "31 January 2026" in str(after.outcome("claim_window").reason)


# Territory (R18) -----


def test_territory_includes_listed_countries_only():
    """A Swedish company qualifies for a Nordic offer; a German one does not."""
    offer = OfferFactory(territories=["SE", "NO"])
    swedish = eligibility(offer, ResellerFactory(country="SE"))
    german = eligibility(offer, ResellerFactory(country="DE"))
    assert swedish.outcome("territory").passed is True
    assert german.outcome("territory").passed is False
    assert "Germany" in str(german.outcome("territory").reason)
    assert not german.is_eligible


# Excluded program (R5, MRI) -----------------------------------------------------


@pytest.fixture
def mri_offer():
    return OfferFactory(
        excluded_program="MRI",
        excluded_from=dt.date(2015, 7, 1),
        excluded_until=dt.date(2015, 12, 31),
    )


@pytest.mark.parametrize(
    ("start", "end", "passed"),
    [
        (dt.date(2015, 1, 1), dt.date(2015, 6, 30), True),  # ends the day before
        (dt.date(2015, 1, 1), dt.date(2015, 7, 1), False),  # ends on the first day
        (dt.date(2015, 12, 31), None, False),  # starts on the last day
        (dt.date(2016, 1, 1), None, True),  # starts the day after
        (dt.date(2014, 1, 1), None, False),  # open-ended, began before
        (dt.date(2015, 8, 1), dt.date(2015, 8, 31), False),  # inside the period
    ],
)
def test_excluded_program_overlap_edges(mri_offer, start, end, passed):
    """A membership sharing even one day with the excluded period disqualifies."""
    membership = ProgramMembershipFactory(program="MRI", start_date=start, end_date=end)
    result = eligibility(mri_offer, membership.reseller, memberships=[membership])
    assert result.outcome("excluded_program").passed is passed


def test_excluded_program_reason_gives_both_periods(mri_offer):
    """The reason names the program, the membership and the excluded period."""
    membership = ProgramMembershipFactory(
        program="MRI", start_date=dt.date(2015, 3, 1), end_date=dt.date(2015, 9, 30)
    )
    reason = str(
        eligibility(mri_offer, membership.reseller, memberships=[membership])
        .outcome("excluded_program")
        .reason
    )
    assert "MRI" in reason
    assert "1 March 2015" in reason
    assert "1 July 2015" in reason
    assert "31 December 2015" in reason


def test_other_programs_and_case_of_the_name(mri_offer):
    """Only the excluded program counts, whatever the case it was imported in."""
    other = ProgramMembershipFactory(
        program="GOLD", start_date=dt.date(2015, 1, 1), end_date=None
    )
    lower = ProgramMembershipFactory(
        program="mri", start_date=dt.date(2015, 1, 1), end_date=None
    )
    assert eligibility(mri_offer, other.reseller, memberships=[other]).is_eligible
    result = eligibility(mri_offer, lower.reseller, memberships=[lower])
    assert result.outcome("excluded_program").passed is False


def test_program_excluded_without_a_period_excludes_any_member():
    """No dates on the excluded program: membership at any time disqualifies."""
    offer = OfferFactory(excluded_program="MRI")
    membership = ProgramMembershipFactory(
        program="MRI", start_date=dt.date(2001, 1, 1), end_date=dt.date(2001, 2, 1)
    )
    result = eligibility(offer, membership.reseller, memberships=[membership])
    assert result.outcome("excluded_program").passed is False


def test_no_excluded_program_passes():
    """An offer without an excluded program ignores memberships."""
    offer = OfferFactory(excluded_program="")
    membership = ProgramMembershipFactory(program="MRI", start_date=dt.date(2026, 1, 1))
    result = eligibility(offer, membership.reseller, memberships=[membership])
    assert result.outcome("excluded_program").passed is True


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((dt.date(2020, 1, 1), dt.date(2020, 1, 31)), (dt.date(2020, 1, 31), None), 1),
        ((dt.date(2020, 1, 1), dt.date(2020, 1, 31)), (dt.date(2020, 2, 1), None), 0),
        ((None, dt.date(2020, 1, 31)), (None, dt.date(2019, 1, 1)), 1),
        ((dt.date(2020, 1, 1), None), (None, dt.date(2019, 12, 31)), 0),
    ],
)
def test_periods_overlap_is_closed_and_open_ended(a, b, overlap):
    """Both ends are included; a missing end is unbounded."""
    assert periods_overlap(*a, *b) is bool(overlap)


# One claim per company (R7), company and offer status ------------------------------


def test_an_existing_claim_blocks_a_second_in_one_claim_mode():
    """In one-claim mode a filed claim is the reason no second can be filed."""
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_RESELLER)
    claim = ClaimFactory(offer=offer)
    result = offers_eligibility(
        offers=[offer], reseller=claim.reseller, today=dt.date(2026, 11, 26)
    )[offer.pk]
    outcome = result.outcome("existing_claim")
    assert outcome.passed is False
    assert claim.reference in str(outcome.reason)
    assert not result.is_eligible


def test_a_withdrawn_claim_does_not_block():
    """A withdrawn claim no longer counts: the company can file again."""
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_RESELLER)
    claim = ClaimFactory(offer=offer, status="withdrawn")
    result = offers_eligibility(
        offers=[offer], reseller=claim.reseller, today=dt.date(2026, 11, 26)
    )[offer.pk]
    assert result.outcome("existing_claim").passed is True
    assert result.is_eligible


def test_claims_do_not_block_in_one_per_sale_mode():
    """With one claim per sale, earlier claims never stop the next one."""
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)
    claim = ClaimFactory(offer=offer, claim_mode=Offer.ClaimMode.ONE_PER_SALE)
    result = offers_eligibility(
        offers=[offer], reseller=claim.reseller, today=dt.date(2026, 11, 26)
    )[offer.pk]
    assert result.outcome("existing_claim").passed is True


def test_another_companys_claim_does_not_block():
    """Only the company's own claim counts."""
    offer = OfferFactory()
    ClaimFactory(offer=offer)
    reseller = ResellerFactory()
    result = offers_eligibility(
        offers=[offer], reseller=reseller, today=dt.date(2026, 11, 26)
    )[offer.pk]
    assert result.is_eligible


def test_a_held_company_cannot_claim():
    """A company whose registration is held for review is not eligible yet."""
    result = eligibility(
        OfferFactory(), ResellerFactory(status="held"), today=dt.date(2026, 11, 26)
    )
    assert result.outcome("reseller_status").passed is False
    assert not result.is_eligible


@pytest.mark.parametrize("status", [Offer.Status.DRAFT, Offer.Status.ARCHIVED])
def test_an_unpublished_offer_takes_no_claims(status):
    """A draft or archived offer fails on its status, so no form lets a claim in."""
    result = eligibility(
        OfferFactory(status=status), ResellerFactory(), today=dt.date(2026, 11, 26)
    )
    assert result.outcome("offer_status").passed is False
    assert not result.is_eligible


def test_batch_eligibility_runs_two_queries_whatever_the_offers(
    django_assert_num_queries,
):
    """Memberships and claims are read once for any number of offers."""
    reseller = ResellerFactory()
    offers = [OfferFactory() for _ in range(2)]
    with django_assert_num_queries(2):
        offers_eligibility(offers=offers, reseller=reseller)
    offers += [OfferFactory() for _ in range(6)]
    for offer in offers[:4]:
        ClaimFactory(offer=offer, reseller=reseller)
    with django_assert_num_queries(2):
        result = offers_eligibility(offers=offers, reseller=reseller)
    assert sum(not e.is_eligible for e in result.values()) == 4


# Sales (R5) -----


@pytest.fixture
def sale_offer():
    return OfferFactory(
        sale_starts_on=dt.date(2026, 7, 1),
        sale_ends_on=dt.date(2026, 12, 31),
        min_seats_per_agreement=5,
    )


def outcomes_by_code(offer, sale, **sets):
    sets = {"product_ids": set(), "licence_type_ids": set(), "segment_ids": set()} | (
        sets
    )
    return {o.code: o for o in sale_outcomes(offer=offer, sale=sale, **sets)}


@pytest.mark.parametrize(
    ("sale_date", "passed"),
    [
        (dt.date(2026, 6, 30), False),
        (dt.date(2026, 7, 1), True),
        (dt.date(2026, 12, 31), True),
        (dt.date(2027, 1, 1), False),
    ],
)
def test_sale_date_inside_the_sale_period_both_ends_included(
    sale_offer, sale_date, passed
):
    """The first and last days of the sale period count; the days around do not."""
    sale = OpenAgreementFactory.build(sale_date=sale_date, seats=5)
    assert outcomes_by_code(sale_offer, sale)["sale_date"].passed is passed


@pytest.mark.parametrize(("seats", "passed"), [(4, False), (5, True), (6, True)])
def test_seats_at_the_minimum_count(sale_offer, seats, passed):
    """An agreement with exactly the minimum number of seats qualifies."""
    sale = OpenAgreementFactory.build(sale_date=dt.date(2026, 8, 1), seats=seats)
    outcome = outcomes_by_code(sale_offer, sale)["seats"]
    assert outcome.passed is passed
    assert "the minimum is 5" in str(outcome.reason)


def test_products_licence_types_and_segments_must_be_among_the_offers():
    """A sale of a product outside the offer's list fails; an empty list means any."""
    offer = OfferFactory()
    listed, other = ProductFactory(), ProductFactory()
    sale = OpenAgreementFactory(product=other, sale_date=dt.date(2026, 8, 1))
    outcomes = outcomes_by_code(
        offer,
        sale,
        product_ids={listed.pk},
        licence_type_ids={sale.licence_type_id},
    )
    assert outcomes["product"].passed is False
    assert outcomes["licence_type"].passed is True
    assert outcomes["segment"].passed is True  # no segment listed: any
    outcomes = outcomes_by_code(offer, sale, segment_ids={sale.customer_segment_id + 1})
    assert outcomes["segment"].passed is False
