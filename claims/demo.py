"""Demo data for claims: ledger rows for the demo reseller (some eligible, some
not), a reviewer, and claims in every state on the demo offers.

Idempotent: rows are looked up by their natural keys, and a company that
already has a claim on an offer gets no second one. Claims go through the
services (the filing itself is written directly, because the demo offers'
claim windows need not be open on the day the demo is loaded).
"""

import datetime as dt
from decimal import Decimal

from cleanco import basename
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from offers.models import CustomerSegment, LicenceType, Offer, Product
from resellers.demo import demo_reseller_ensure, demo_user_ensure
from resellers.identifiers import company_name_key
from resellers.models import Reseller, User

from . import services
from .models import Claim, ClaimAgreement, ClaimEvent, OpenAgreement

# Companies that only exist to hold claims in more states than one company
# can on a one-claim-per-company offer.
OTHER_COMPANIES = [
    ("Fjällsoft AB", "5566141239"),
    ("Skärgårdsdata AB", "5590123450"),
    ("Vänerlicens AB", "5566778816"),
]
# One target state per (company, offer) pair, in order.
# Nordlicens (the first company) takes indexes 0, 4 and 8: an invoice request,
# a rejection it can dispute, and a claim in review.
STATES = [
    Claim.Status.INFO_REQUESTED,
    Claim.Status.IN_REVIEW,
    Claim.Status.SUBMITTED,
    Claim.Status.APPROVED,
    Claim.Status.REJECTED,
    Claim.Status.DISPUTED,
    Claim.Status.WITHDRAWN,
]


def _company(legal_name: str, org_number: str) -> Reseller:
    reseller = Reseller.objects.filter(country="SE", org_number=org_number).first()
    if reseller is None:
        reseller = Reseller.objects.create(
            legal_name=legal_name,
            normalized_name=company_name_key(legal_name),
            country="SE",
            org_number=org_number,
            street_address="Drottninggatan 1",
            postal_code="111 51",
            city="Stockholm",
            preferred_currency="SEK",
            preferred_language="sv",
        )
    return reseller


def _criteria(offer: Offer) -> tuple[CustomerSegment, LicenceType, Product]:
    """An eligible segment, licence type and product of the offer (or any)."""
    segment = (
        offer.segments.first()
        or CustomerSegment.objects.get_or_create(
            code="COMMERCIAL", defaults={"name": "Commercial"}
        )[0]
    )
    licence = (
        offer.licence_types.first()
        or LicenceType.objects.get_or_create(
            code="OPEN_LICENSE", defaults={"name": "Open License"}
        )[0]
    )
    product = (
        offer.products.first()
        or Product.objects.get_or_create(
            sku="DEMO-CLOUD-SUITE",
            defaults={"name": "Cloud Suite", "deployment": Product.Deployment.CLOUD},
        )[0]
    )
    return segment, licence, product


def _ledger_rows(offer: Offer, index: int, reseller: Reseller) -> list[str]:
    """Three sales of the company for the offer: two eligible, one not."""
    segment, licence, product = _criteria(offer)
    seats = max(offer.min_seats_per_agreement, 5)
    rows = [
        (f"4711{index:02d}{n:02d}", offer.sale_starts_on + dt.timedelta(days=n), True)
        for n in (1, 2)
    ] + [(f"4711{index:02d}99", offer.sale_starts_on - dt.timedelta(days=10), False)]
    for number, sale_date, new in rows:
        OpenAgreement.objects.update_or_create(
            agreement_number=number,
            defaults={
                "reseller_org_number": reseller.org_number,
                "reseller_name": reseller.legal_name,
                "customer_id": f"DEMO-{number}",
                "customer_segment": segment,
                "licence_type": licence,
                "product": product,
                "seats": seats,
                "revenue": Decimal("12500.00"),
                "currency": offer.reward_currency or "SEK",
                "sale_date": sale_date,
                "new_customer": new,
            },
        )
    return [number for number, _date, _new in rows]


def _claim(
    reseller: Reseller, user: User, offer: Offer, numbers: list[str], state: str
) -> None:
    if Claim.objects.filter(reseller=reseller, offer=offer).exists():
        return
    terms = offer.current_terms()
    if terms is None:
        return
    with transaction.atomic():
        now = timezone.now()
        claim = Claim.objects.create(
            reference=services.claim_reference_next(year=now.year),
            reseller=reseller,
            offer=offer,
            claim_mode=offer.claim_mode,
            submitted_by=user,
            terms=terms,
            terms_accepted_at=now,
            terms_accepted_ip="127.0.0.1",
            reward_currency=offer.reward_currency,
        )
        taken = set(
            ClaimAgreement.objects.filter(
                offer=offer, agreement_number__in=numbers, is_active=True
            ).values_list("agreement_number", flat=True)
        )
        ClaimAgreement.objects.bulk_create(
            ClaimAgreement(claim=claim, offer=offer, agreement_number=number)
            for number in numbers
            if number not in taken
        )
        ClaimEvent.objects.create(
            claim=claim, kind=ClaimEvent.Kind.FILED, to_status=claim.status, actor=user
        )
    services.claim_validate(claim_id=claim.pk)
    reviewer = User.objects.get(email="reviewer@vendor.example")
    S = Claim.Status
    if state == S.IN_REVIEW:
        services.claim_start_review(claim=claim, actor=reviewer)
    elif state == S.INFO_REQUESTED:
        services.claim_request_invoice(
            claim=claim,
            actor=reviewer,
            message="Please upload the customer invoice for the first agreement.",
        )
    elif state == S.APPROVED:
        services.claim_approve(claim=claim, actor=reviewer)
    elif state in {S.REJECTED, S.DISPUTED}:
        services.claim_reject(
            claim=claim,
            actor=reviewer,
            reason_code="outside_sale_period",
        )
        if state == S.DISPUTED:
            services.claim_dispute(
                claim=claim, user=user, comment="The invoice date is inside the period."
            )
    elif state == S.WITHDRAWN:
        services.claim_withdraw(claim=claim, user=user)


def seed() -> list[tuple[str, str]]:
    """Create the demo rows once; returns the log-ins to print as (role, e-mail)."""
    reviewer = demo_user_ensure(
        email="reviewer@vendor.example",
        is_staff=True,
        first_name="Rut",
        last_name="Reviewer",
    )
    # The group comes with migrations; a flushed test database has none, and
    # the review services check the permission, so the demo grants it too.
    group, _created = Group.objects.get_or_create(name="Reviewers")
    group.permissions.add(
        Permission.objects.get(
            codename="review_claim", content_type__app_label="claims"
        )
    )
    reviewer.groups.add(group)
    demo = demo_reseller_ensure()
    anna = demo_user_ensure(
        email="anna@nordlicens.se",
        reseller=demo,
        is_company_admin=True,
        first_name="Anna",
        last_name="Berg",
    )
    demo_user_ensure(
        email="erik@nordlicens.se", reseller=demo, first_name="Erik", last_name="Lund"
    )
    companies = [(demo, anna)]
    for legal_name, org_number in OTHER_COMPANIES:
        company = _company(legal_name, org_number)
        domain = basename(legal_name).split()[0].casefold()
        domain = domain.replace("ä", "a").replace("å", "a").replace("ö", "o")
        user = demo_user_ensure(
            email=f"demo@{domain}.example", reseller=company, first_name="Demo"
        )
        companies.append((company, user))

    offers = list(
        Offer.objects.filter(status=Offer.Status.PUBLISHED).order_by("pk")[:3]
    )
    pairs = [(company, offer) for offer in offers for company in companies]
    for index, ((company, user), offer) in enumerate(pairs):
        numbers = _ledger_rows(offer, index, company)
        _claim(company, user, offer, numbers, STATES[index % len(STATES)])
    return [
        ("Reviewer (admin, Reviewers group)", "reviewer@vendor.example"),
        ("Reseller admin, Nordlicens AB", "anna@nordlicens.se"),
        ("Reseller user, Nordlicens AB", "erik@nordlicens.se"),
    ]
