"""Demo helpers for claims: ledger rows for a company and a claim taken through
the review services to a given state. portal/demo.py composes them.

Create-only: rows are looked up by their natural keys, and a company that
already has a claim on an offer gets no second one and its claim is never
moved. Claims go through the services (the filing itself is written directly,
because the demo offers' claim windows need not be open on the day the demo is
loaded).
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from offers.models import CustomerSegment, LicenceType, Offer, Product
from resellers.models import Reseller, User

from . import services
from .models import Claim, ClaimAgreement, ClaimEvent, OpenAgreement


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


def demo_ledger_rows_ensure(
    offer: Offer, index: int, reseller: Reseller
) -> tuple[list[str], int]:
    """Three sales of the company for the offer, two eligible and one not, each
    created when its agreement number is missing and otherwise left as it is.
    Returns the agreement numbers and how many rows were created."""
    segment, licence, product = _criteria(offer)
    seats = max(offer.min_seats_per_agreement, 5)
    rows = [
        (f"4711{index:02d}{n:02d}", offer.sale_starts_on + dt.timedelta(days=n), True)
        for n in (1, 2)
    ] + [(f"4711{index:02d}99", offer.sale_starts_on - dt.timedelta(days=10), False)]
    created = 0
    for number, sale_date, new in rows:
        created += OpenAgreement.objects.get_or_create(
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
        )[1]
    return [number for number, _date, _new in rows], created


def demo_claim_ensure(
    *,
    reseller: Reseller,
    user: User,
    offer: Offer,
    numbers: list[str],
    state: str,
    reviewer: User,
) -> bool:
    """File the company's demo claim on the offer and take it through the review
    services to `state`, unless the company already has a claim on the offer:
    that one is left in whatever state people have put it. Returns whether a
    claim was created."""
    if Claim.objects.filter(reseller=reseller, offer=offer).exists():
        return False
    terms = offer.current_terms()
    if terms is None:
        return False
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
    return True
