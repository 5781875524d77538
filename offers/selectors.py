"""Reads of the offer catalogue for one reseller, in a fixed number of queries.

A reseller sees only published offers of its own territory; any other slug is
a 404. Claims are read through the reverse accessor `reseller.claims` because
offers cannot import the claims app (dependencies point one way); the accessor
carries the claims app's queryset methods, so which claim still counts is
decided there (`still_counts`), not here; so is which of them a member not yet
approved by a company admin may see (`seen`, R20): the one-claim rule counts
every claim of the company, the card lists only those.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils import timezone

from cashback.clock import program_today
from cashback.links import path_of
from cashback.paging import page_with_total
from resellers.models import Reseller, User

from .eligibility import Eligibility, offer_eligibility
from .models import Offer, ReturnPeriod, Terms

OFFERS_PER_PAGE = 10
# What the offer page shows of its current terms.
TERMS_FIELDS = ("id", "version", "text_en", "text_sv", "published_at")


@dataclass
class OfferCard:
    """An offer as one reseller sees it: eligibility and its own claims on it."""

    offer: Offer
    eligibility: Eligibility
    today: dt.date
    claims: list["OfferClaim"] = field(default_factory=list)

    @property
    def can_claim(self) -> bool:
        """A claim can be filed now (the page shows the button)."""
        return self.eligibility.is_eligible

    @property
    def opens_later(self) -> bool:
        """The window is still to open: the offer is coming, not refused."""
        return self.today < self.offer.claim_opens_on

    @property
    def claim_filed(self) -> bool:
        """The only thing between the reseller and a claim is the one it filed."""
        return [o.code for o in self.eligibility.failures] == ["existing_claim"]

    @property
    def reasons_not(self) -> list[str]:
        """Why a claim cannot be filed now, one reason per failed criterion."""
        return [str(outcome.reason) for outcome in self.eligibility.failures]


def _in_territory(country_code: str) -> Q:
    """Offers whose territory list names the country.

    The list is stored as comma-separated codes; matching whole codes keeps a
    code from matching inside another one.
    """
    return (
        Q(territories=country_code)
        | Q(territories__startswith=f"{country_code},")
        | Q(territories__endswith=f",{country_code}")
        | Q(territories__contains=f",{country_code},")
    )


def offers_visible(*, reseller: Reseller) -> QuerySet[Offer]:
    """Published offers of the reseller's territory, whatever their window."""
    return Offer.objects.filter(
        _in_territory(reseller.country.code), status=Offer.Status.PUBLISHED
    )


@dataclass(frozen=True)
class OfferClaim:
    """One of the company's claims on an offer, as the offer's card lists it."""

    reference: str
    url: str
    status: str
    created_at: dt.datetime
    still_counts: bool
    seen: bool  # whether the viewer may read it (`ClaimQuerySet.with_seen_by`)


def _claims_by_offer(
    *, reseller: Reseller, viewer: User, offers: list[Offer]
) -> dict[int, list[OfferClaim]]:
    """The company's claims on `offers`, newest first, as plain rows with
    their link and status words ready: a company may hold dozens of claims on
    one offer, and each cost a claim object, a `reverse` and a status lookup."""
    claims_by_offer: dict[int, list[OfferClaim]] = defaultdict(list)
    if not offers:
        return claims_by_offer
    claims = reseller.claims
    labels = {value: str(label) for value, label in claims.model.Status.choices}
    rows = (
        claims.filter(offer_id__in=[offer.pk for offer in offers])
        .with_still_counts()
        .with_seen_by(viewer)
        .order_by("-created_at", "-pk")
        .values_list(
            "offer_id", "reference", "status", "created_at", "still_counts", "seen"
        )
    )
    try:
        url = path_of("claims:detail", "reference")
    except NoReverseMatch:  # while the claims app serves no claim page
        url = lambda reference: ""  # noqa: E731
    for offer_id, reference, status, created_at, still_counts, seen in rows:
        claims_by_offer[offer_id].append(
            OfferClaim(
                reference=reference,
                url=url(reference),
                status=labels.get(status, status),
                created_at=created_at,
                still_counts=still_counts,
                seen=seen,
            )
        )
    return claims_by_offer


def _existing_reference(claims: list[OfferClaim]) -> str | None:
    return next((c.reference for c in claims if c.still_counts), None)


def _cards(
    *, reseller: Reseller, viewer: User, offers: list[Offer], today: dt.date
) -> list[OfferCard]:
    memberships = list(reseller.memberships.all())
    claims_by_offer = _claims_by_offer(reseller=reseller, viewer=viewer, offers=offers)
    cards = []
    for offer in offers:
        claims = claims_by_offer.get(offer.pk, [])
        eligibility = offer_eligibility(
            offer=offer,
            reseller=reseller,
            memberships=memberships,
            existing_claim_reference=_existing_reference(claims),
            today=today,
        )
        cards.append(
            OfferCard(
                offer=offer,
                eligibility=eligibility,
                today=today,
                claims=[claim for claim in claims if claim.seen],
            )
        )
    return cards


def offer_list_page(
    *,
    reseller: Reseller,
    viewer: User,
    page_number: str | int | None = 1,
    closed: bool = False,
    today: dt.date | None = None,
) -> tuple[Page, list[OfferCard]]:
    """One page of offers with the reseller's state for each.

    Open or coming offers (the last claim day is today or later in Stockholm),
    soonest deadline first; with `closed`, the closed ones, latest first.
    Five queries whatever the number of offers, products and claims: count,
    page, products, memberships, claims.
    """
    today = today or program_today()
    offers = offers_visible(reseller=reseller).prefetch_related(
        Prefetch("products", to_attr="product_list")
    )
    if closed:
        offers = offers.filter(claim_closes_on__lt=today).order_by(
            "-claim_closes_on", "-pk"
        )
    else:
        offers = offers.filter(claim_closes_on__gte=today).order_by(
            "claim_closes_on", "claim_opens_on", "pk"
        )
    page = page_with_total(offers, OFFERS_PER_PAGE, page_number)
    return page, _cards(
        reseller=reseller, viewer=viewer, offers=list(page.object_list), today=today
    )


@dataclass
class OfferDetail:
    """What the offer page shows besides the card: terms and return period."""

    card: OfferCard
    terms: Terms | None
    return_period_days: int


def offer_detail(
    *, reseller: Reseller, viewer: User, slug: str, today: dt.date | None = None
) -> OfferDetail:
    """One offer with its criteria, current terms and the reseller's state.

    Raises Http404 for a slug that is unknown, unpublished or outside the
    reseller's territory.
    """
    today = today or program_today()
    country = str(reseller.country.code)
    # The current terms (`Offer.current_terms`) and the country's return
    # period (`Offer.return_period_days_for`) come with the offer's row.
    current = Terms.objects.filter(
        offer=OuterRef("pk"), published_at__lte=timezone.now()
    ).order_by("-version")[:1]
    offer = (
        offers_visible(reseller=reseller)
        .filter(slug=slug)
        .annotate(
            **{
                f"current_terms_{name}": Subquery(current.values(name))
                for name in TERMS_FIELDS
            },
            country_return_days=Subquery(
                ReturnPeriod.objects.filter(offer=OuterRef("pk"), country=country)
                .order_by("pk")
                .values("days")[:1]
            ),
        )
        .prefetch_related(
            Prefetch("products", to_attr="product_list"),
            Prefetch("licence_types", to_attr="licence_type_list"),
            Prefetch("segments", to_attr="segment_list"),
        )
        .first()
    )
    if offer is None:
        raise Http404("No such offer for this reseller.")
    terms = None
    if offer.current_terms_id is not None:
        terms = Terms(
            offer=offer,
            **{name: getattr(offer, f"current_terms_{name}") for name in TERMS_FIELDS},
        )
    days = offer.country_return_days
    (card,) = _cards(reseller=reseller, viewer=viewer, offers=[offer], today=today)
    return OfferDetail(
        card=card,
        terms=terms,
        return_period_days=offer.return_period_days if days is None else days,
    )
