"""The reseller's offer pages (R4-R8): what is listed, what a page says, in
which language, and a fixed number of queries whatever the data size."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from offers.models import Offer
from offers.services import terms_publish
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory, ProductFactory
from tests.resellers.factories import (
    ProgramMembershipFactory,
    ResellerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DEMO_DAY = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
LIST_URL = reverse("offers:list")


@pytest.fixture(autouse=True)
def demo_day():
    with time_machine.travel(DEMO_DAY, tick=False):
        yield


@pytest.fixture
def reseller():
    return ResellerFactory(country="SE")


@pytest.fixture
def reseller_client(client, reseller):
    client.force_login(UserFactory(reseller=reseller))
    return client


def listed_titles(response) -> list[str]:
    return [card.offer.title_en for card in response.context["cards"]]


# Access (R4) -----


@pytest.mark.parametrize("name", ["list", "detail"])
def test_visitors_are_sent_to_log_in(client, name):
    """Offers are for signed-in resellers only; visitors go to the log-in page."""
    offer = OfferFactory()
    url = LIST_URL if name == "list" else offer.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_another_territorys_offer_is_not_found(reseller_client):
    """A Swedish reseller cannot open a German offer by its address."""
    offer = OfferFactory(territories=["DE", "AT"])
    assert reseller_client.get(offer.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("status", [Offer.Status.DRAFT, Offer.Status.ARCHIVED])
def test_an_unpublished_offer_is_not_found(reseller_client, status):
    """Drafts and archived offers are not shown, even by address."""
    offer = OfferFactory(status=status)
    assert reseller_client.get(offer.get_absolute_url()).status_code == 404


def test_a_code_inside_another_territory_code_does_not_match(reseller_client):
    """The territory list is matched by whole codes: "SE" is not in "ES,EE"."""
    OfferFactory(territories=["ES", "EE"], title_en="Iberia and Estonia")
    OfferFactory(territories=["NO", "SE", "DK"], title_en="Middle of the list")
    response = reseller_client.get(LIST_URL)
    assert listed_titles(response) == ["Middle of the list"]


# The list -----


def test_the_list_shows_open_and_coming_offers_soonest_deadline_first(
    reseller_client,
):
    """Open and coming offers of the territory, by last claim day; no others."""
    OfferFactory(title_en="Later", claim_closes_on=dt.date(2027, 3, 31))
    OfferFactory(title_en="Sooner", claim_closes_on=dt.date(2026, 12, 1))
    OfferFactory(
        title_en="Coming",
        sale_starts_on=dt.date(2026, 12, 1),
        sale_ends_on=dt.date(2027, 1, 31),
        claim_opens_on=dt.date(2027, 1, 1),
        claim_closes_on=dt.date(2027, 2, 28),
        calculation_date=dt.date(2027, 3, 31),
    )
    OfferFactory(title_en="Closes today", claim_closes_on=dt.date(2026, 11, 26))
    OfferFactory(title_en="Closed", claim_closes_on=dt.date(2026, 11, 25))
    OfferFactory(title_en="Draft", status=Offer.Status.DRAFT)
    OfferFactory(title_en="German", territories=["DE"])
    response = reseller_client.get(LIST_URL)
    assert response.status_code == 200
    assert listed_titles(response) == ["Closes today", "Sooner", "Coming", "Later"]
    content = response.content.decode()
    assert "Claims open on 1 January 2027." in content
    assert "Last day for claims: 26 November 2026" in content


def test_an_offer_leaves_the_list_at_midnight_in_stockholm(client, reseller):
    """At 23:30 UTC on its last day the offer is closed: it is already tomorrow."""
    OfferFactory(title_en="Last day", claim_closes_on=dt.date(2026, 11, 26))
    user = UserFactory(reseller=reseller)
    with time_machine.travel(dt.datetime(2026, 11, 26, 22, 59, tzinfo=dt.UTC)):
        # Signed in again: the session from noon has timed out after an idle hour.
        client.force_login(user)
        assert listed_titles(client.get(LIST_URL)) == ["Last day"]
    with time_machine.travel(dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.UTC)):
        assert listed_titles(client.get(LIST_URL)) == []
        closed = client.get(LIST_URL, {"show": "closed"})
        assert listed_titles(closed) == ["Last day"]


def test_each_offer_shows_its_reward_and_the_companys_state(reseller_client, reseller):
    """Reward in one line; eligible, claim filed with status, or why not."""
    OfferFactory(
        title_en="Percent",
        reward_basis=Offer.RewardBasis.PERCENT_OF_REVENUE,
        reward_value=Decimal("10"),
    )
    claimed = OfferFactory(
        title_en="Claimed",
        reward_basis=Offer.RewardBasis.AMOUNT_PER_NEW_CUSTOMER,
        reward_value=Decimal("500"),
        reward_currency="SEK",
        reward_cap=Decimal("50000"),
    )
    ClaimFactory(offer=claimed, reseller=reseller, reference="CB-2026-000777")
    OfferFactory(
        title_en="MRI excluded",
        reward_basis=Offer.RewardBasis.AMOUNT_PER_SEAT,
        reward_value=Decimal("20"),
        reward_currency="EUR",
        excluded_program="MRI",
        excluded_from=dt.date(2026, 7, 1),
        excluded_until=dt.date(2026, 12, 31),
    )
    ProgramMembershipFactory(
        reseller=reseller, program="MRI", start_date=dt.date(2026, 1, 1)
    )
    response = reseller_client.get(LIST_URL)
    cards = {card.offer.title_en: card for card in response.context["cards"]}
    assert cards["Percent"].can_claim
    assert cards["Claimed"].claim_filed
    assert not cards["MRI excluded"].can_claim
    content = response.content.decode()
    assert "10% of eligible revenue" in content
    assert (
        "SEK\xa0500.00 per net new customer, at most SEK\xa050,000.00 per company"
        in content
    )
    assert "EUR\xa020.00 per seat" in content
    assert "CB-2026-000777" in content
    assert "Submitted" in content
    assert "Your company was a member of MRI" in content
    assert "Eligible" in content


def test_the_list_is_paginated(reseller_client):
    """Ten offers a page; the rest on the next."""
    for day in range(12):
        OfferFactory(claim_closes_on=dt.date(2027, 1, 1) + dt.timedelta(days=day))
    first = reseller_client.get(LIST_URL)
    second = reseller_client.get(LIST_URL, {"page": 2})
    assert len(first.context["cards"]) == 10
    assert len(second.context["cards"]) == 2
    assert "Page 2 of 2" in second.content.decode()


def make_catalogue(reseller, *, offers: int, products: int, claims: int):
    made = []
    for index in range(offers):
        offer = OfferFactory(
            claim_mode=Offer.ClaimMode.ONE_PER_SALE,
            claim_closes_on=dt.date(2027, 1, 1) + dt.timedelta(days=index),
        )
        offer.products.set(ProductFactory() for _ in range(products))
        made.append(offer)
        for _ in range(claims):
            ClaimFactory(offer=offer, reseller=reseller, claim_mode=offer.claim_mode)
    ProgramMembershipFactory(reseller=reseller, program="MRI")
    return made


def test_the_list_runs_a_fixed_number_of_queries(
    reseller_client, reseller, django_assert_num_queries
):
    """Same query count for 1 offer as for 8 offers with more products and claims."""
    make_catalogue(reseller, offers=1, products=1, claims=1)
    reseller_client.get(LIST_URL)  # warm the session
    with django_assert_num_queries(QUERIES_LIST):
        reseller_client.get(LIST_URL)
    make_catalogue(reseller, offers=7, products=4, claims=3)
    with django_assert_num_queries(QUERIES_LIST):
        response = reseller_client.get(LIST_URL)
    assert len(response.context["cards"]) == 8


# The detail page -----


def test_the_page_states_every_criterion_and_the_current_terms(reseller_client):
    """Criteria in plain words, dates in the reader's format, the latest terms."""
    offer = OfferFactory(
        title_en="10@5 Cloud Open Promotion",
        sale_starts_on=dt.date(2026, 7, 1),
        sale_ends_on=dt.date(2026, 12, 31),
        min_seats_per_agreement=5,
        min_net_new_customers=2,
        excluded_program="MRI",
        excluded_from=dt.date(2015, 7, 1),
        excluded_until=dt.date(2015, 12, 31),
        territories=["SE", "NO"],
    )
    offer.products.add(ProductFactory(name="Cloud Suite E5"))
    terms = terms_publish(
        offer=offer, text_en="Second version text.", text_sv="Andra.", actor=None
    )
    content = reseller_client.get(offer.get_absolute_url()).content.decode()
    for text in [
        "Sales made from 1 July 2026 to 31 December 2026, both days included.",
        "Cloud Suite E5",
        "All licence types",
        "All customer segments",
        "At least 5 seats per agreement.",
        "At least 2 net new customers.",
        "Norway, Sweden",
        "members of MRI at any time in the period 1 July 2015 – 31 December 2015",
        "One claim per company, covering all its eligible sales.",
        "Claims can be filed from 1 September 2026 to 31 January 2027",
        "10% of eligible revenue",
        "within 60 days of the calculation date 28 February 2027",
        "Second version text.",
        f"Version {terms.version},",
    ]:
        assert text in content, text
    assert "You accept that the vendor checks every claim." not in content


def test_the_button_shows_when_a_claim_can_be_filed(reseller_client):
    """An eligible company sees "File a claim" linking to the claim form."""
    offer = OfferFactory()
    content = reseller_client.get(offer.get_absolute_url()).content.decode()
    assert f'href="{offer.get_absolute_url()}claim/"' in content
    assert "File a claim" in content


def test_no_button_after_a_claim_in_one_claim_mode(reseller_client, reseller):
    """With its one claim filed, the company is told why it cannot file another."""
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_RESELLER)
    claim = ClaimFactory(offer=offer, reseller=reseller)
    response = reseller_client.get(offer.get_absolute_url())
    content = response.content.decode()
    assert "File a claim" not in content
    assert "You cannot file a claim now" in content
    assert f"Your company has already filed {claim.reference}" in content
    outcomes = response.context["card"].eligibility.outcomes
    assert [o.code for o in outcomes] == [
        "reseller_status",
        "territory",
        "excluded_program",
        "claim_window",
        "existing_claim",
    ]


def test_a_closed_offer_says_claims_are_closed(reseller_client):
    """After the window the page stays readable but offers no button."""
    offer = OfferFactory(
        claim_opens_on=dt.date(2015, 7, 1),
        claim_closes_on=dt.date(2015, 12, 14),
        sale_starts_on=dt.date(2015, 7, 1),
        sale_ends_on=dt.date(2015, 12, 31),
        calculation_date=dt.date(2016, 1, 31),
    )
    content = reseller_client.get(offer.get_absolute_url()).content.decode()
    assert "Claims closed after 14 December 2015." in content
    assert "File a claim" not in content


def test_the_detail_runs_a_fixed_number_of_queries(
    reseller_client, reseller, django_assert_num_queries
):
    """Same count with one product and claim as with many of each."""
    small, large = make_catalogue(reseller, offers=2, products=1, claims=1)
    large.products.add(*(ProductFactory() for _ in range(5)))
    for _ in range(4):
        ClaimFactory(offer=large, reseller=reseller, claim_mode=large.claim_mode)
    terms_publish(offer=large, text_en="v2", text_sv="v2", actor=None)
    reseller_client.get(small.get_absolute_url())
    with django_assert_num_queries(QUERIES_DETAIL):
        reseller_client.get(small.get_absolute_url())
    with django_assert_num_queries(QUERIES_DETAIL):
        reseller_client.get(large.get_absolute_url())


# Language -----


def test_a_swedish_reader_sees_swedish_titles_and_dates(client, reseller):
    """In Swedish the title, the terms and the dates are Swedish."""
    client.force_login(UserFactory(reseller=reseller, preferred_language="sv"))
    offer = OfferFactory(title_sv="Molnkampanj för Sverige", title_en="Cloud for SE")
    listing = client.get(LIST_URL).content.decode()
    page = client.get(offer.get_absolute_url()).content.decode()
    assert "Molnkampanj för Sverige" in listing
    assert "Cloud for SE" not in listing
    assert "31 januari 2027" in listing
    assert "Molnkampanj för Sverige" in page
    assert "1 september 2026" in page
    assert "Du godkänner att leverantören granskar varje anspråk." in page
    assert "10\xa0% " in page


# Session, then the user with the company and the verified flag in one query
# (PortalAuthenticationBackend); then the page's own reads.
QUERIES_LIST = 2 + 4  # the page with its total (cashback.paging), products,
# memberships, claims
QUERIES_DETAIL = 2 + 6  # the offer with its current terms and return period,
# products, licence types, segments, memberships, claims
