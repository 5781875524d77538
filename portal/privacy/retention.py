"""The retention job (R26): deletes what the register says has been kept long
enough, one step per time-bound retention in the register. Each step counts
first and, unless it is a dry run, deletes in its own transaction; files go
after the commit, so a rolled-back step never loses a file its row still
names. Each deletion is recorded as a kind and a count, never the content.
Running it twice deletes nothing the second time."""

import datetime as dt
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Coalesce
from django.utils import timezone

from cashback.clock import program_day_start, program_today
from cashback.models import SecurityEvent
from claims.models import AgreementImport, Claim, InvoiceDocument
from payouts.models import BankAccount, OutboundBankFile, PaymentBatch, Payout
from resellers.models import Reseller, User
from statements.models import PaymentStatement, VatDocument

from .models import DataExport, RetentionDeletion
from .register import Retention

logger = logging.getLogger(__name__)


def accounting_cutoff(now: dt.datetime) -> dt.datetime:
    """Records whose financial year ended before this moment have been kept
    until the end of the PRIVACY_ACCOUNTING_YEARS-th year after it: the start
    of the program's 1 January, PRIVACY_ACCOUNTING_YEARS years back. (The
    financial year is the calendar year.)"""
    year = program_today(now).year - settings.PRIVACY_ACCOUNTING_YEARS
    return program_day_start(dt.date(year, 1, 1))


def _files_delete_after_commit(storage_name: str, names: list[str]) -> None:
    def delete() -> None:
        storage = storages[storage_name]
        for name in names:
            try:
                storage.delete(name)
            except Exception:  # a missing file is already what we want
                logger.warning("Could not delete %s from %s", name, storage_name)

    if names:
        transaction.on_commit(delete)


def _locked(model, rows) -> list[tuple[int, str]]:
    """Lock the rows `rows` finds (by id: PostgreSQL locks no outer join), then
    read them again under the lock, so a claim reopened meanwhile keeps its
    files; (id, file name) of each."""
    ids = list(rows.values_list("pk", flat=True))
    list(model.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
    return list(rows.filter(pk__in=ids).values_list("pk", "file"))


def _invoice_copies(now: dt.datetime, dry_run: bool) -> int:
    """Invoice copies of claims whose payment (or decision) is past retention,
    never of a claim still undecided or disputed, or whose payout is open."""
    rows = (
        InvoiceDocument.objects.annotate(
            counted_from=Coalesce(
                "claim__payout__paid_at", "claim__decided_at", "uploaded_at"
            )
        )
        .filter(counted_from__lt=accounting_cutoff(now))
        .exclude(claim__in=Claim.objects.undecided())
        .exclude(claim__payout__in=Payout.objects.open())
    )
    if dry_run:
        return rows.count()
    with transaction.atomic():
        found = _locked(InvoiceDocument, rows)
        InvoiceDocument.objects.filter(pk__in=[pk for pk, _ in found]).delete()
        _files_delete_after_commit("private", [name for _, name in found if name])
    return len(found)


def _ledger_uploads(now: dt.datetime, dry_run: bool) -> int:
    """Ledger files uploaded before the cutoff (the ledger rows they loaded
    stay: claims are checked against them)."""
    rows = AgreementImport.objects.filter(
        created_at__lt=accounting_cutoff(now)
    ).exclude(
        status__in=[AgreementImport.Status.PENDING, AgreementImport.Status.RUNNING]
    )
    if dry_run:
        return rows.count()
    with transaction.atomic():
        found = _locked(AgreementImport, rows)
        AgreementImport.objects.filter(pk__in=[pk for pk, _ in found]).delete()
        _files_delete_after_commit("private", [name for _, name in found if name])
    return len(found)


def _statement_payouts(now: dt.datetime):
    """Payouts whose statements and VAT documents are all past retention: the
    latest of them (a correction counts in its own year) dated before the
    cutoff's year, and the payout neither open nor its claim undecided."""
    cutoff = program_today(accounting_cutoff(now))
    later = Payout.objects.filter(
        Q(statements__execution_date__gte=cutoff)
        | Q(vat_documents__issue_date__gte=cutoff)
    )
    return (
        Payout.objects.filter(statements__isnull=False)
        .exclude(pk__in=later.values("pk"))
        .exclude(pk__in=Payout.objects.open().values("pk"))
        .exclude(claim__in=Claim.objects.undecided())
        .values("pk")
    )


def _statement_documents(now: dt.datetime, dry_run: bool) -> int:
    """Payment statements and their VAT documents past retention, rows and
    PDFs. The documents refuse any UPDATE (statements migration 0002), so the
    rows go whole; the number series keep their last number, so no number is
    ever given twice. Corrections go before the documents they name."""
    payouts = _statement_payouts(now)
    statements = PaymentStatement.objects.filter(payout__in=payouts)
    documents = VatDocument.objects.filter(payout__in=payouts)
    if dry_run:
        return statements.count() + documents.count()
    with transaction.atomic():
        ids = list(payouts.values_list("pk", flat=True))
        list(Payout.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
        payouts = _statement_payouts(now).filter(pk__in=ids)
        statements = PaymentStatement.objects.filter(payout__in=payouts)
        documents = VatDocument.objects.filter(payout__in=payouts)
        found = list(documents.values_list("pk", "pdf"))
        found += list(statements.values_list("pk", "pdf"))
        remaining = {pk for pk, _ in documents.values_list("pk", "pdf")}
        while remaining:
            named = set(
                VatDocument.objects.filter(corrects__in=remaining).values_list(
                    "corrects", flat=True
                )
            )
            unnamed = remaining - named
            if not unnamed:  # named by a document kept: keep them too
                break
            VatDocument.objects.filter(pk__in=unnamed).delete()
            remaining &= named
        statements.delete()
        _files_delete_after_commit("private", [name for _, name in found if name])
    return len(found)


def _bank_files(now: dt.datetime, dry_run: bool) -> int:
    """The pain.001 files of batches whose payments are past retention: the
    copy kept with the batch and the one written to the outbound folder. The
    batch row, its payments and their amounts stay."""
    open_payouts = Payout.objects.open().filter(batch=OuterRef("pk"))
    rows = (
        PaymentBatch.objects.exclude(payment_file="")
        .annotate(
            counted_from=Coalesce(Max("payouts__paid_at"), "released_at", "created_at")
        )
        .filter(counted_from__lt=accounting_cutoff(now))
        .exclude(Exists(open_payouts))
    )
    if dry_run:
        return rows.count()
    with transaction.atomic():
        ids = list(rows.values_list("pk", flat=True))
        batches = PaymentBatch.objects.select_for_update().filter(pk__in=ids)
        names = list(
            OutboundBankFile.objects.filter(batch_id__in=ids).values_list(
                "name", flat=True
            )
        )
        count = batches.update(payment_file="")
        _files_delete_after_commit("bank_outbound", names)
    return count


def _bank_accounts(now: dt.datetime, dry_run: bool) -> int:
    """Refused or replaced bank accounts past retention keep only their masked
    form and fingerprint (in their history rows too)."""
    open_payouts = Payout.objects.open().filter(bank_account=OuterRef("pk"))
    rows = (
        BankAccount.objects.filter(Q(is_current=False) | Q(refused_at__isnull=False))
        .exclude(account_number_encrypted="")
        .annotate(
            counted_from=Coalesce(Max("payouts__paid_at"), "refused_at", "created_at")
        )
        .filter(counted_from__lt=accounting_cutoff(now))
        .exclude(Exists(open_payouts))
    )
    if dry_run:
        return rows.count()
    with transaction.atomic():
        ids = list(rows.values_list("pk", flat=True))
        count = (
            BankAccount.objects.select_for_update()
            .filter(pk__in=ids)
            .update(account_number_encrypted="", bank_code="")
        )
        BankAccount.history.filter(id__in=ids).update(
            account_number_encrypted="", bank_code=""
        )
    return count


def _unverified_accounts(now: dt.datetime, dry_run: bool) -> int:
    """Accounts whose address was never verified, PRIVACY_UNVERIFIED_ACCOUNT_DAYS
    after they signed up; a company they registered goes with them when
    nothing else holds it (no member, claim, bank account or membership)."""
    from allauth.account.models import EmailAddress

    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    rows = User.objects.filter(
        is_staff=False,
        is_superuser=False,
        date_joined__lt=now - timedelta(days=settings.PRIVACY_UNVERIFIED_ACCOUNT_DAYS),
    ).exclude(Exists(verified))
    if dry_run:
        return rows.count()
    deleted = 0
    for user in rows.iterator():
        with transaction.atomic():
            reseller_id = user.reseller_id
            try:
                with transaction.atomic():
                    user.delete()
            except ProtectedError:  # something of the company's names them
                continue
            deleted += 1
            leftover = Reseller.objects.filter(
                pk=reseller_id,
                members__isnull=True,
                claims__isnull=True,
                bank_accounts__isnull=True,
                memberships__isnull=True,
            )
            try:
                with transaction.atomic():
                    leftover.delete()
            except ProtectedError:
                pass
    return deleted


def _sessions(now: dt.datetime, dry_run: bool) -> int:
    rows = Session.objects.filter(
        expire_date__lt=now - timedelta(days=settings.PRIVACY_SESSION_RETENTION_DAYS)
    )
    return rows.count() if dry_run else rows.delete()[0]


def _security_log(now: dt.datetime, dry_run: bool) -> int:
    # The log is append-only for everyone else (SecurityEvent.save/delete);
    # this set-based delete at the end of its retention is its one remover.
    rows = SecurityEvent.objects.filter(
        created_at__lt=now
        - timedelta(days=settings.PRIVACY_SECURITY_LOG_RETENTION_DAYS)
    )
    return rows.count() if dry_run else rows.delete()[0]


def _data_exports(now: dt.datetime, dry_run: bool) -> int:
    stale = now - timedelta(days=settings.PRIVACY_EXPORT_VALID_DAYS)
    rows = DataExport.objects.filter(
        Q(expires_at__lt=now) | Q(expires_at__isnull=True, requested_at__lt=stale)
    )
    if dry_run:
        return rows.count()
    with transaction.atomic():
        found = _locked(DataExport, rows)
        DataExport.objects.filter(pk__in=[pk for pk, _ in found]).delete()
        _files_delete_after_commit("private", [name for _, name in found if name])
    return len(found)


# Each time-bound retention of the register and the steps that end it, by the
# kind each deletion is recorded as. Retention.ACCOUNT ends when the account
# is closed (portal.privacy.erasure), not by time.
STEPS: dict[Retention, dict[str, Callable[[dt.datetime, bool], int]]] = {
    Retention.ACCOUNTING: {
        "invoice_copies": _invoice_copies,
        "statement_documents": _statement_documents,
        "ledger_uploads": _ledger_uploads,
        "bank_files": _bank_files,
    },
    Retention.BANK_DETAILS: {"bank_accounts_masked": _bank_accounts},
    Retention.UNVERIFIED: {"unverified_accounts": _unverified_accounts},
    Retention.SESSIONS: {"sessions": _sessions},
    Retention.SECURITY_LOG: {"security_log": _security_log},
    Retention.EXPORT: {"data_exports": _data_exports},
}


def retention_run(*, dry_run: bool, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every step; return how many of each kind were (or, in a dry run,
    would be) deleted. A real run records each kind it deleted any of."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for steps in STEPS.values():
        for kind, step in steps.items():
            counts[kind] = step(now, dry_run)
    if not dry_run:
        RetentionDeletion.objects.bulk_create(
            RetentionDeletion(kind=kind, count=count, ran_at=now)
            for kind, count in counts.items()
            if count
        )
    return counts
