"""Reads a reseller triggers: always scoped to the asking company (a foreign
reference is a 404), each in a fixed number of queries."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import (
    CharField,
    Exists,
    Model,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from offers.models import Offer, Terms
from resellers.models import ProgramMembership, Reseller, User

from .models import (
    Claim,
    ClaimAgreement,
    ClaimEvent,
    InvoiceDocument,
    OpenAgreement,
)


def offer_to_claim(*, slug: str) -> Offer:
    """A published offer by slug, or 404."""
    return get_object_or_404(Offer, slug=slug, status=Offer.Status.PUBLISHED)


def offer_for_filing(
    *,
    reseller: Reseller,
    slug: str | None = None,
    pk: int | None = None,
    terms_text: bool = False,
    draw_reference: bool = False,
) -> Offer:
    """The offer a company files on (by slug: published, or 404; by pk: any
    status, for the filing to refuse), read in one statement with what the
    claim form and the filing need besides it (issue 33: they ran 25
    statements between them):

    - `filing_terms`: the current terms version (R8) as a `Terms` without its
      texts, unless `terms_text`, or None;
    - `filing_existing_reference`: the company's claim that still counts on a
      one-claim offer (R7, `claim_existing_reference`'s rule), or None;
    - `filing_memberships`: the company's program memberships (R5), as
      unsaved rows (on PostgreSQL in the same statement, elsewhere a second);
    - `filing_reference_number`: with `draw_reference`, on PostgreSQL, the
      next number of the claims' reference sequence (a refused filing leaves
      a gap, as before).
    """
    offers = Offer.objects.all()
    if slug is not None:
        offers = offers.filter(slug=slug, status=Offer.Status.PUBLISHED)
    else:
        offers = offers.filter(pk=pk)
    current = Terms.objects.filter(
        offer=OuterRef("pk"), published_at__lte=timezone.now()
    ).order_by("-version")
    fields = ["id", "version"]
    if terms_text:
        fields += ["text_en", "text_sv"]
    annotations = {
        "filing_terms_row": Subquery(
            current.values(row=JSONObject(**{name: name for name in fields}))[:1]
        ),
        "filing_existing_reference": Subquery(
            Claim.objects.filter(
                reseller=reseller,
                offer=OuterRef("pk"),
                claim_mode=Offer.ClaimMode.ONE_PER_RESELLER,
            )
            .counting()
            .order_by("created_at")
            .values("reference")[:1],
            output_field=CharField(),
        ),
    }
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        from django.contrib.postgres.expressions import ArraySubquery

        annotations["filing_membership_rows"] = ArraySubquery(
            ProgramMembership.objects.filter(reseller=reseller)
            .order_by("pk")
            .values(
                row=JSONObject(
                    program="program", start_date="start_date", end_date="end_date"
                )
            )
        )
        if draw_reference:
            annotations["filing_reference_number"] = RawSQL(
                "nextval('claims_claim_reference_seq')", []
            )
    offer = offers.annotate(**annotations).first()
    if offer is None:
        raise Http404("No such offer to claim.")
    row = offer.filing_terms_row
    offer.filing_terms = (
        None
        if row is None
        else Terms(
            offer=offer,
            id=row["id"],
            version=row["version"],
            text_en=row.get("text_en", ""),
            text_sv=row.get("text_sv", ""),
        )
    )
    if postgresql:
        offer.filing_memberships = [
            ProgramMembership(
                reseller=reseller,
                program=item["program"],
                start_date=dt.date.fromisoformat(item["start_date"]),
                end_date=item["end_date"] and dt.date.fromisoformat(item["end_date"]),
            )
            for item in offer.filing_membership_rows
        ]
    else:
        offer.filing_memberships = list(reseller.memberships.all())
        offer.filing_reference_number = None
    if not draw_reference:
        offer.filing_reference_number = None
    if offer.claim_mode != Offer.ClaimMode.ONE_PER_RESELLER:
        offer.filing_existing_reference = None
    return offer


def claims_of_reseller(*, reseller: Reseller, viewer: User) -> QuerySet[Claim]:
    """The company's claims `viewer` may read (`ClaimQuerySet.seen_by`), newest
    first, with their offer."""
    return (
        Claim.objects.filter(reseller=reseller)
        .seen_by(viewer)
        .select_related("offer")
        .order_by("-created_at", "-pk")
    )


def claim_list_values(claims: QuerySet[Claim]) -> QuerySet:
    """What the claim list shows of each of `claims` (from `claims_of_reseller`,
    in its order), as plain rows: building claim and offer objects (and
    decoding each claim's validation report) was most of the list's time."""
    return claims.values_list(
        "reference",
        "status",
        "disputed_at",
        "created_at",
        f"offer__{Offer.title_field()}",
        # The payout app's reverse accessor: an approved claim's next step
        # follows its payout (the portal's `claim_next_step` filter).
        "payout__status",
        named=True,
    )


def claim_of_reseller(
    *,
    reseller: Reseller,
    viewer: User,
    reference: str,
    with_offer_and_terms: bool = False,
    with_payout: bool = False,
) -> Claim:
    """One claim of the company that `viewer` may read, or 404 (a colleague's
    claim for a member not yet approved, `ClaimQuerySet.seen_by`).

    Without the validation report (a JSON document per agreement that no
    reseller page shows). `with_offer_and_terms` joins the offer and the terms
    in the same query, without their long texts (the claim's page shows the
    title and the version). `with_payout` joins its payout, if any, in the
    same query (for `claim_payout_read`)."""
    queryset = (
        Claim.objects.filter(reseller=reseller)
        .seen_by(viewer)
        .defer("validation_report")
    )
    if with_offer_and_terms:
        queryset = queryset.select_related("offer", "terms").defer(
            "offer__description_en",
            "offer__description_sv",
            "terms__text_en",
            "terms__text_sv",
        )
    if with_payout:
        queryset = queryset.select_related("payout")
    return get_object_or_404(queryset, reference=reference)


def claim_history_load(claim: Claim) -> Claim:
    """What a claim's page lists besides the claim: agreements (each with
    `in_ledger`, for `claim_unknown_numbers`), invoices and the timeline's
    events, in three queries."""
    prefetch_related_objects(
        [claim],
        Prefetch(
            "agreements",
            queryset=ClaimAgreement.objects.annotate(
                in_ledger=Exists(
                    OpenAgreement.objects.filter(
                        agreement_number=OuterRef("agreement_number")
                    )
                )
            ),
        ),
        "invoices",
        Prefetch(
            "events",
            queryset=ClaimEvent.objects.exclude(
                kind=ClaimEvent.Kind.VALIDATED
            ).select_related("actor"),
        ),
    )
    return claim


@dataclass(frozen=True)
class ClaimPayoutRead:
    """A claim's payout as the claim's page shows it: plain lists, so the
    template runs no query. Named through the claim's reverse relations (the
    payouts and statements apps sit above claims, which imports neither)."""

    payout: Model  # payouts.Payout
    events: list[Model]  # its PayoutEvents, oldest first
    statements: list[Model]  # its PaymentStatements; an approved claim's only


def claim_payout_read(claim: Claim) -> ClaimPayoutRead | None:
    """The claim's payout with its events and, once the claim is approved,
    its payment statements: one query each, none when the claim came with
    `with_payout` and has no payout yet."""
    try:
        payout = claim.payout  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    approved = claim.status == Claim.Status.APPROVED
    prefetch_related_objects([payout], "events", *(["statements"] if approved else []))
    return ClaimPayoutRead(
        payout=payout,
        events=list(payout.events.all()),
        statements=list(payout.statements.all()) if approved else [],
    )


def claim_unknown_numbers(claim: Claim) -> list[str]:
    """The claim's active agreement numbers the ledger does not hold, in the
    claim's order: the filer is told at once (issue 28). No query of its own
    when `claim_history_load` brought the agreements with `in_ledger`."""
    agreements = [a for a in claim.agreements.all() if a.is_active]
    if all(hasattr(a, "in_ledger") for a in agreements):
        return [a.agreement_number for a in agreements if not a.in_ledger]
    numbers = [a.agreement_number for a in agreements]
    known = set(
        OpenAgreement.objects.filter(agreement_number__in=numbers).values_list(
            "agreement_number", flat=True
        )
    )
    return [number for number in numbers if number not in known]


def invoice_of_reseller(
    *,
    reseller: Reseller | None,
    reference: str,
    invoice_id: int,
    viewer: User | None = None,
) -> InvoiceDocument:
    """An invoice copy of the company's claim that `viewer` may read (any
    claim's when reseller is None, for staff), or 404."""
    queryset = InvoiceDocument.objects.filter(claim__reference=reference)
    if reseller is not None:
        claims = Claim.objects.filter(reseller=reseller).seen_by(viewer)
        queryset = queryset.filter(claim__in=claims)
    return get_object_or_404(queryset, pk=invoice_id)
