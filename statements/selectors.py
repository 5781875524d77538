"""Reads of statements and VAT documents: a reseller's always scoped to the
company and to what the reader may see; finance's period export and the
program's liability."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, ExtractYear
from django.shortcuts import get_object_or_404
from django.utils import timezone

from claims.models import Claim, seen_by_q
from payouts.bank.models import BatchPayment
from payouts.models import Payout, PayoutEvent
from resellers.models import Reseller, User

from .models import PaymentStatement, Purpose, VatDocument


def _seen(viewer: User | None) -> Q:
    return seen_by_q(viewer, via="payout__claim__") if viewer is not None else Q()


def statements_for_reseller(
    *, reseller: Reseller, viewer: User, year: int | None = None
) -> QuerySet[PaymentStatement]:
    """The company's statements `viewer` may read, newest first, each with its
    VAT documents (one query for the page's statements, one for documents)."""
    statements = PaymentStatement.objects.filter(Q(reseller=reseller) & _seen(viewer))
    if year is not None:
        statements = statements.filter(execution_date__year=year)
    return (
        statements.defer("content")
        .prefetch_related(
            Prefetch(
                "vat_documents",
                queryset=VatDocument.objects.defer("content").order_by("pk"),
            )
        )
        .order_by("-execution_date", "-pk")
    )


def statement_years(*, reseller: Reseller, viewer: User) -> list[int]:
    """The years the company has statements in, newest first."""
    return list(
        PaymentStatement.objects.filter(Q(reseller=reseller) & _seen(viewer))
        .annotate(year=ExtractYear("execution_date"))
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


@dataclass
class YearTotal:
    currency: str
    payments: int = 0
    paid: Decimal = Decimal("0.00")
    taxable: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")


CENT = Decimal("0.01")


def _cents(amount) -> Decimal:
    # SQLite gives a compound query's sums without their two decimals.
    return Decimal(amount).quantize(CENT)


def yearly_summary(*, reseller: Reseller, viewer: User, year: int) -> list[YearTotal]:
    """Per currency, for the company's books: the payments of `year`, what was
    paid, and the taxable amount and VAT of their documents (corrections
    included, so a returned payment nets to nothing). One statement: the
    statements' and the documents' sums as one `UNION ALL` (issue 33)."""
    none = Cast(Value(None), DecimalField(max_digits=14, decimal_places=2))
    paid = (
        PaymentStatement.objects.filter(
            Q(reseller=reseller) & _seen(viewer), execution_date__year=year
        )
        .order_by()
        .values("currency")
        .annotate(payments=Count("pk"), paid=Sum("amount"), taxable=none, vat=none)
    )
    documents = (
        VatDocument.objects.filter(
            Q(reseller=reseller) & _seen(viewer), statement__execution_date__year=year
        )
        .order_by()
        .values("currency")
        .annotate(
            payments=Value(None, output_field=IntegerField()),
            paid=none,
            taxable=Sum("taxable_amount"),
            vat=Sum("vat_amount"),
        )
    )
    totals: dict[str, YearTotal] = {}
    for row in sorted(paid.union(documents, all=True), key=lambda r: r["currency"]):
        total = totals.setdefault(row["currency"], YearTotal(row["currency"]))
        if row["payments"] is not None:  # the statements' row
            total.payments, total.paid = row["payments"], _cents(row["paid"])
        else:
            total.taxable, total.vat = _cents(row["taxable"]), _cents(row["vat"])
    return list(totals.values())


def statement_get(
    *, reseller: Reseller | None, viewer: User | None, statement_id: int
) -> PaymentStatement:
    """One statement: of the company (another's is a 404), or any for staff
    (`reseller` None, the view has checked the permission)."""
    statements = PaymentStatement.objects.filter(_seen(viewer))
    if reseller is not None:
        statements = statements.filter(reseller=reseller)
    return get_object_or_404(statements, pk=statement_id)


def vat_document_get(
    *, reseller: Reseller | None, viewer: User | None, document_id: int
) -> VatDocument:
    """One VAT document, scoped as `statement_get`."""
    documents = VatDocument.objects.select_related("statement").filter(_seen(viewer))
    if reseller is not None:
        documents = documents.filter(reseller=reseller)
    return get_object_or_404(documents, pk=document_id)


def statements_of_claim(*, claim: Claim) -> QuerySet[PaymentStatement]:
    """The statements of a claim's payout (its timeline links them)."""
    return PaymentStatement.objects.filter(payout__claim=claim).order_by("pk")


# Finance ----------------------------------------------------------------------

EXPORT_HEADERS = [
    "number",
    "kind",
    "purpose",
    "corrects",
    "issue_date",
    "execution_date",
    "payment_id",
    "batch",
    "company",
    "org_number",
    "vat_number",
    "country",
    "currency",
    "vat_category",
    "vat_rate",
    "taxable_amount",
    "vat_amount",
    "total_amount",
]


def period_documents(*, start: dt.date, end: dt.date) -> QuerySet[VatDocument]:
    """The VAT documents of payments the bank booked from `start` to `end`
    (both included), corrections among them, in number order."""
    return (
        VatDocument.objects.filter(
            statement__execution_date__gte=start, statement__execution_date__lte=end
        )
        .select_related("statement", "batch", "reseller", "corrects")
        .order_by("currency", "series_id", "sequence")
    )


def period_export_rows(*, start: dt.date, end: dt.date) -> Iterator[tuple]:
    """One row per document and VAT rate (EXPORT_HEADERS), in chunks."""
    for document in period_documents(start=start, end=end).iterator(chunk_size=2000):
        content = document.content
        company = document.reseller
        for row in content["vat"]:
            yield (
                document.number,
                document.kind,
                document.purpose,
                document.corrects.number if document.corrects else "",
                document.issue_date,
                document.statement.execution_date,
                document.statement.payment_id,
                document.batch.message_id,
                company.legal_name,
                company.org_number,
                company.vat_number,
                company.country.code,
                document.currency,
                row["category"],
                Decimal(row["rate"]),
                Decimal(row["taxable"]),
                Decimal(row["vat"]),
                Decimal(row["taxable"]) + Decimal(row["vat"]),
            )


@dataclass
class PeriodTotal:
    """One currency's totals of a period: what the documents say and what the
    batches paid. `reconciles` when the issued documents add up to the
    batches' booked payments."""

    currency: str
    documents: int = 0
    issued_total: Decimal = Decimal("0.00")
    corrected_total: Decimal = Decimal("0.00")
    taxable: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    batches_paid: Decimal = Decimal("0.00")
    batches: list[str] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.issued_total == self.batches_paid


def period_totals(*, start: dt.date, end: dt.date) -> list[PeriodTotal]:
    """Per currency: the documents' totals and the paid batches' sums for the
    payments booked in the period (issued and returned later alike)."""
    totals: dict[str, PeriodTotal] = {}
    documents = (
        VatDocument.objects.filter(
            statement__execution_date__gte=start, statement__execution_date__lte=end
        )
        .values("currency", "purpose")
        .annotate(
            count=Count("pk"),
            total=Sum("total_amount"),
            taxable=Sum("taxable_amount"),
            vat=Sum("vat_amount"),
        )
        .order_by("currency", "purpose")
    )
    for row in documents:
        total = totals.setdefault(row["currency"], PeriodTotal(row["currency"]))
        total.documents += row["count"]
        total.taxable += row["taxable"]
        total.vat += row["vat"]
        if row["purpose"] == Purpose.ISSUE:
            total.issued_total += row["total"]
        else:
            total.corrected_total += row["total"]
    booked = defaultdict(lambda: [Decimal("0.00"), set()])
    lines = BatchPayment.objects.filter(
        answer__in=[BatchPayment.Answer.BOOKED, BatchPayment.Answer.RETURNED],
        payout__statements__batch=F("batch"),
        payout__statements__execution_date__gte=start,
        payout__statements__execution_date__lte=end,
    ).values_list("currency", "amount", "batch__message_id")
    for currency, amount, batch in lines:
        booked[currency][0] += amount
        booked[currency][1].add(batch)
    for currency, (amount, batches) in booked.items():
        total = totals.setdefault(currency, PeriodTotal(currency))
        total.batches_paid = amount
        total.batches = sorted(batches)
    return sorted(totals.values(), key=lambda total: total.currency)


@dataclass
class Liability:
    offer_id: int
    offer: str
    currency: str
    claims: int
    amount: Decimal


def program_liability(*, at: dt.date) -> list[Liability]:
    """Approved but unpaid rewards per offer and currency at the end of `at`:
    payouts opened by then whose state then (their last event by then) was
    neither paid, forfeited nor cancelled. A payout paid and returned later
    counts again from its return. One query."""
    end = timezone.make_aware(dt.datetime.combine(at + dt.timedelta(days=1), dt.time()))
    state_then = Subquery(
        PayoutEvent.objects.filter(payout=OuterRef("pk"), created_at__lt=end)
        .order_by("-created_at", "-pk")
        .values("to_status")[:1]
    )
    rows = (
        Payout.objects.filter(created_at__lt=end)
        .annotate(state_then=state_then)
        .exclude(
            state_then__in=[
                Payout.Status.PAID,
                Payout.Status.FORFEITED,
                Payout.Status.CANCELLED,
            ]
        )
        .values("offer_id", "offer__title_en", "currency")
        .annotate(claims=Count("pk"), amount=Sum("amount"))
        .order_by("offer__title_en", "currency")
    )
    return [
        Liability(
            row["offer_id"],
            row["offer__title_en"],
            row["currency"],
            row["claims"],
            row["amount"],
        )
        for row in rows
    ]
