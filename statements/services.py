"""Every write of the statements app (R25).

- `payment_documents_issue`: the statement and VAT document of a payment the
  bank booked, once (a retried task finds them and issues nothing);
- `payment_documents_correct`: a paid transfer the bank returned is reversed
  by a correction document that names the earlier one;
- `self_billing_agreement_accept` / `_withdraw`: a company admin's answer;
- `on_payout_paid` / `on_payout_returned`: the payouts app's signals, which
  schedule the work after the bank's file is committed.

Each function is one transaction. The payment's line of its batch
(BatchPayment) is locked while its documents are written, so two runs for one
payment queue up; the number series row is locked while a document takes its
number, so two payments never take one number and none is skipped.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cashback.clock import program_today
from cashback.outbox import outbox_email_enqueue
from cashback.tasks_util import enqueue_after_commit
from offers.models import Offer
from payouts.bank.models import BatchPayment
from payouts.models import PayoutEvent
from resellers.models import Reseller, User
from resellers.selectors import recipients_by_language

from .content import statement_content, vat_content
from .errors import StatementError
from .models import (
    NumberSeries,
    PaymentStatement,
    Purpose,
    SelfBillingAgreement,
    VatDocument,
)
from .rendering import pdf_render, statement_context, vat_document_context
from .vat import vat_treatment

logger = logging.getLogger(__name__)

Kind = Offer.VatDocumentKind
ISSUED_TEMPLATE = "emails/statement_issued"
CORRECTED_TEMPLATE = "emails/statement_corrected"
PREFIXES = {
    Kind.CREDIT_NOTE: "CN-",
    Kind.SETTLEMENT_NOTE: "SN-",
    Kind.SELF_BILLED_INVOICE: "SB{seller}-",
}


# Signals ----------------------------------------------------------------------


def on_payout_paid(sender, *, payout, batch_id: int, booked_on: dt.date, **kwargs):
    """The bank booked a payment: its documents once the booking is committed."""
    from .tasks import issue_payment_documents

    enqueue_after_commit(
        issue_payment_documents, payout.pk, batch_id, booked_on.isoformat()
    )


def on_payout_returned(sender, *, payout, batch_id: int, reason: str, **kwargs):
    """A paid transfer came back: its documents are corrected after commit."""
    from .tasks import correct_payment_documents

    enqueue_after_commit(correct_payment_documents, payout.pk, batch_id, reason)


# Self-billing -------------------------------------------------------------------


def self_billing_in_force(*, reseller: Reseller) -> SelfBillingAgreement | None:
    """The company's self-billing agreement in force, if any, with who
    accepted it (the statements page names them)."""
    return (
        SelfBillingAgreement.objects.filter(
            reseller=reseller, withdrawn_at__isnull=True
        )
        .select_related("accepted_by")
        .first()
    )


def _admin_of(user: User, reseller: Reseller) -> None:
    if not (user.reseller_id == reseller.pk and user.is_company_admin):
        raise StatementError(
            _("Only a company admin can answer for the company on self-billing."),
            code=StatementError.Code.NOT_COMPANY_ADMIN,
        )


def self_billing_agreement_accept(
    *, reseller: Reseller, user: User, ip: str | None
) -> SelfBillingAgreement:
    """A company admin accepts that the vendor issues the company's invoices
    for its rewards (self-billing, ML 17 kap. 15 §): recorded with who and when."""
    _admin_of(user, reseller)
    with transaction.atomic():
        Reseller.objects.select_for_update().get(pk=reseller.pk)
        if self_billing_in_force(reseller=reseller):
            raise StatementError(
                _("The company has already accepted self-billing."),
                code=StatementError.Code.ALREADY_ACCEPTED,
            )
        return SelfBillingAgreement.objects.create(
            reseller=reseller,
            accepted_by=user,
            accepted_at=timezone.now(),
            accepted_ip=ip,
        )


def self_billing_agreement_withdraw(
    *, reseller: Reseller, user: User
) -> SelfBillingAgreement:
    """A company admin ends self-billing: later payments get credit notes."""
    _admin_of(user, reseller)
    with transaction.atomic():
        Reseller.objects.select_for_update().get(pk=reseller.pk)
        agreement = self_billing_in_force(reseller=reseller)
        if agreement is None:
            raise StatementError(
                _("The company has no self-billing agreement to withdraw."),
                code=StatementError.Code.NOT_ACCEPTED,
            )
        SelfBillingAgreement.objects.filter(pk=agreement.pk).update(
            withdrawn_by=user, withdrawn_at=timezone.now()
        )
        agreement.refresh_from_db()
        return agreement


def document_kind_for(*, offer: Offer, reseller: Reseller) -> str:
    """The kind of VAT document a payment carries (R25): the offer's, except
    that a self-billed invoice needs the company's agreement in force; without
    it the vendor amends its own sale with a credit note."""
    kind = offer.vat_document_kind
    if kind == Kind.SELF_BILLED_INVOICE and not self_billing_in_force(
        reseller=reseller
    ):
        return Kind.CREDIT_NOTE
    return kind


# Numbers ------------------------------------------------------------------------


def series_number_take(*, kind: str, reseller: Reseller) -> tuple[NumberSeries, int]:
    """The next number of the series of `kind` (per seller for self-billing),
    its row locked until the caller's transaction ends."""
    if kind == Kind.SELF_BILLED_INVOICE:
        key = f"{kind}:{reseller.pk}"
        prefix = PREFIXES[kind].format(seller=reseller.pk)
    else:
        key, prefix = str(kind), PREFIXES[kind]
    # The first document of a series creates its row; a racing first waits.
    NumberSeries.objects.bulk_create(
        [NumberSeries(key=key, prefix=prefix)], ignore_conflicts=True
    )
    series = NumberSeries.objects.select_for_update().get(key=key)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return series, series.last_number


# Issuing ------------------------------------------------------------------------


def _line_lock(payout_id: int, batch_id: int) -> BatchPayment:
    return (
        BatchPayment.objects.select_for_update(of=("self",))
        .select_related(
            "batch",
            "payout__claim",
            "payout__offer",
            "payout__reseller",
            "payout__bank_account",
            "payout__converted_with",
        )
        .get(payout_id=payout_id, batch_id=batch_id)
    )


def _booked_on(line: BatchPayment) -> dt.date:
    """The bank's booking date of a payment (its PAID event), today if lost."""
    event = (
        PayoutEvent.objects.filter(
            payout_id=line.payout_id,
            kind=PayoutEvent.Kind.PAID,
            bank_date__isnull=False,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return event.bank_date if event else program_today()


def _vat_document_write(
    *,
    statement: PaymentStatement,
    kind: str,
    purpose: str,
    series: NumberSeries,
    sequence: int,
    content: dict[str, Any],
    corrects: VatDocument | None = None,
) -> VatDocument:
    language = statement.language
    with translation.override(language):
        context = vat_document_context(content)
    pdf = pdf_render(context=context, language=language, title=content["number"])
    return VatDocument.objects.create(
        reseller_id=statement.reseller_id,
        payout_id=statement.payout_id,
        batch_id=statement.batch_id,
        statement=statement,
        kind=kind,
        purpose=purpose,
        series=series,
        number=content["number"],
        sequence=sequence,
        issue_date=dt.date.fromisoformat(content["issue_date"]),
        currency=content["currency"],
        taxable_amount=content["taxable_total"],
        vat_amount=content["vat_total"],
        total_amount=content["total"],
        corrects=corrects,
        language=language,
        content=content,
        pdf=ContentFile(pdf, name=f"{content['number']}.pdf"),
        issued_at=timezone.now(),
    )


def _treatment(kind: str, content: dict[str, Any], self_billed: bool):
    vendor, company = content["vendor"], content["company"]
    supplier, customer = (company, vendor) if self_billed else (vendor, company)
    return vat_treatment(
        kind=kind,
        supplier_country=supplier["country"],
        customer_country=customer["country"],
    )


def _kind_label(kind: str) -> str:
    return str(Kind(kind).label)


def payment_documents_issue(
    *, payout_id: int, batch_id: int, booked_on: dt.date | None = None
) -> PaymentStatement:
    """The statement and VAT document of a payout paid in a batch, issued once
    and e-mailed to the company's admins with the PDFs attached (R25).

    Called again for the same payment (a retried task, the sweep) it returns
    what was issued and writes nothing.
    """
    with transaction.atomic():
        line = _line_lock(payout_id, batch_id)
        existing = PaymentStatement.objects.filter(
            payout_id=payout_id, batch_id=batch_id
        ).first()
        if existing is not None:
            return existing
        if line.answer not in (
            BatchPayment.Answer.BOOKED,
            BatchPayment.Answer.RETURNED,
        ):
            raise StatementError(
                _("The bank has not booked this payment."),
                code=StatementError.Code.NOT_PAID,
            )
        payout = line.payout
        reseller = payout.reseller
        language = reseller.preferred_language or "en"
        booked_on = booked_on or _booked_on(line)
        with translation.override(language):
            content = statement_content(payout=payout, line=line, booked_on=booked_on)
            pdf = pdf_render(
                context=statement_context(content),
                language=language,
                title=content["payment_id"],
            )
        statement = PaymentStatement.objects.create(
            reseller=reseller,
            payout=payout,
            batch_id=batch_id,
            payment_id=content["payment_id"],
            execution_date=booked_on,
            currency=content["currency"],
            amount=content["amount"],
            issued_at=timezone.now(),
            language=language,
            content=content,
            pdf=ContentFile(pdf, name=f"statement-{content['payment_id']}.pdf"),
        )
        kind = document_kind_for(offer=payout.offer, reseller=reseller)
        self_billed = kind == Kind.SELF_BILLED_INVOICE
        treatment = _treatment(kind, content, self_billed)
        series, sequence = series_number_take(kind=kind, reseller=reseller)
        with translation.override(language):
            vat = vat_content(
                kind=kind,
                kind_label=_kind_label(kind),
                number=f"{series.prefix}{sequence:06d}",
                issue_date=program_today(),
                statement=content,
                treatment=treatment,
                self_billed=self_billed,
                sale_period=(payout.offer.sale_starts_on, payout.offer.sale_ends_on),
            )
        document = _vat_document_write(
            statement=statement,
            kind=kind,
            purpose=Purpose.ISSUE,
            series=series,
            sequence=sequence,
            content=vat,
        )
        _documents_send(statement, [document], template=ISSUED_TEMPLATE)
    return statement


def payment_documents_correct(
    *, payout_id: int, batch_id: int, reason: str
) -> VatDocument:
    """A paid transfer the bank returned: a correction of its VAT document
    with the amounts reversed, naming the earlier one; the earlier one is left
    as it was. Once per payment (a retried task returns the correction)."""
    with transaction.atomic():
        _line_lock(payout_id, batch_id)
        existing = VatDocument.objects.filter(
            payout_id=payout_id, batch_id=batch_id, purpose=Purpose.CORRECTION
        ).first()
        if existing is not None:
            return existing
        original = VatDocument.objects.filter(
            payout_id=payout_id, batch_id=batch_id, purpose=Purpose.ISSUE
        ).first()
        if original is None:
            # The return was read before the issue task ran: issue, then correct.
            payment_documents_issue(payout_id=payout_id, batch_id=batch_id)
            original = VatDocument.objects.get(
                payout_id=payout_id, batch_id=batch_id, purpose=Purpose.ISSUE
            )
        statement = original.statement
        payout = statement.payout
        self_billed = original.kind == Kind.SELF_BILLED_INVOICE
        treatment = _treatment(original.kind, statement.content, self_billed)
        series, sequence = series_number_take(
            kind=original.kind, reseller=payout.reseller
        )
        with translation.override(statement.language):
            content = vat_content(
                kind=original.kind,
                kind_label=_("Correction of %(kind)s")
                % {"kind": original.content["kind_label"]},
                number=f"{series.prefix}{sequence:06d}",
                issue_date=program_today(),
                statement=statement.content,
                treatment=treatment,
                self_billed=self_billed,
                sign=-1,
                corrects={
                    "number": original.number,
                    "issue_date": original.issue_date.isoformat(),
                },
                correction_reason=_("The bank returned the payment (%(reason)s).")
                % {"reason": reason},
                sale_period=tuple(
                    dt.date.fromisoformat(day)
                    for day in original.content["sale_period"]
                ),
            )
        document = _vat_document_write(
            statement=statement,
            kind=original.kind,
            purpose=Purpose.CORRECTION,
            series=series,
            sequence=sequence,
            content=content,
            corrects=original,
        )
        _documents_send(statement, [document], template=CORRECTED_TEMPLATE)
    return document


def _documents_send(
    statement: PaymentStatement, documents: list[VatDocument], *, template: str
) -> None:
    """The documents to the company's admins, PDFs attached, in the company's
    language, through the outbox (after commit, once per document)."""
    groups = recipients_by_language(
        reseller_ids=[statement.reseller_id], admins_only=True
    )
    emails = [
        email for group in groups[statement.reseller_id].values() for email in group
    ]
    if not emails:
        logger.warning("No company admin to send statement %s to", statement.pk)
        return
    storage = "private"
    attachments = [
        {
            "storage": storage,
            "name": item.pdf.name,
            "filename": filename,
            "mimetype": "application/pdf",
        }
        for item, filename in [
            *(
                [(statement, f"statement-{statement.payment_id}.pdf")]
                if template == ISSUED_TEMPLATE
                else []
            ),
            *((document, f"{document.number}.pdf") for document in documents),
        ]
    ]
    with translation.override(statement.language):
        contexts = [vat_document_context(document.content) for document in documents]
    outbox_email_enqueue(
        dedup_key=f"statements:{template}:{documents[-1].pk}",
        recipients=emails,
        template=template,
        context={
            "statement": statement_context(statement.content),
            "documents": contexts,
            "company": statement.content["company"]["name"],
            "payment_id": statement.payment_id,
            "numbers": ", ".join(document.number for document in documents),
            "list_link": settings.PORTAL_URL.rstrip("/") + reverse("statements:list"),
            "support_email": settings.SUPPORT_EMAIL,
        },
        language=statement.language,
        attachments=attachments,
    )


def payment_documents_issue_missing(*, limit: int = 200) -> int:
    """Issue the documents of booked payments that have none (a lost enqueue,
    a worker down): the periodic job's sweep. Returns how many it issued."""
    issued_already = PaymentStatement.objects.filter(
        payout_id=OuterRef("payout_id"), batch_id=OuterRef("batch_id")
    )
    missing = (
        BatchPayment.objects.filter(answer=BatchPayment.Answer.BOOKED)
        .exclude(Exists(issued_already))
        .order_by("pk")
        .values_list("payout_id", "batch_id")[:limit]
    )
    issued = 0
    for payout_id, batch_id in missing:
        payment_documents_issue(payout_id=payout_id, batch_id=batch_id)
        issued += 1
    return issued
