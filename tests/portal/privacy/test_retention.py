"""The retention job deletes exactly what the register says at the boundary
dates, files included, records kind and count, and is idempotent."""

import datetime as dt
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command

from cashback.models import SecurityEvent
from claims.models import AgreementImport, Claim, InvoiceDocument
from payouts.bank.models import OutboundBankFile
from payouts.models import BankAccount, PaymentBatch, Payout
from portal.privacy.models import DataExport, RetentionDeletion
from portal.privacy.retention import retention_run
from resellers.models import Reseller, User
from tests.payouts.conftest import account_on_file
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db
STOCKHOLM = dt.timezone(dt.timedelta(hours=1))
PAID = dt.datetime(2026, 6, 15, 12, 0, tzinfo=STOCKHOLM)
LAST_KEPT = dt.datetime(2033, 12, 31, 23, 59, tzinfo=STOCKHOLM)
FIRST_GONE = dt.datetime(2034, 1, 1, 0, 1, tzinfo=STOCKHOLM)
ACCOUNTING = {"invoice_copies", "ledger_uploads", "bank_files", "bank_accounts_masked"}


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def paid_records(time_machine, *, payout_status=Payout.Status.PAID):
    """A payout paid on 15 June 2026 to an account since replaced, its claim's
    invoice copy, the batch's pain.001 (kept and in the outbound folder), and
    a ledger file uploaded that day."""
    time_machine.move_to(PAID, tick=False)
    payout = PayoutFactory()
    account = account_on_file(payout.reseller, user=payout.claim.submitted_by)
    staff = StaffUserFactory()
    batch = PaymentBatch.objects.create(
        currency="SEK",
        message_id="RETENTION-1",
        created_by=staff,
        payment_file="<Document>1000.00 SEK</Document>",
        released_at=PAID,
    )
    storages["bank_outbound"].save("RETENTION-1.xml", ContentFile(b"<Document/>"))
    OutboundBankFile.objects.create(batch=batch, name="RETENTION-1.xml")
    Payout.objects.filter(pk=payout.pk).update(
        status=payout_status,
        paid_at=PAID if payout_status == Payout.Status.PAID else None,
        batch=batch,
        bank_account=account,
    )
    BankAccount.objects.filter(pk=account.pk).update(is_current=False)
    invoice = InvoiceDocument(
        claim=payout.claim,
        original_name="invoice.pdf",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
        uploaded_by=payout.claim.submitted_by,
    )
    invoice.file.save("invoice.pdf", ContentFile(b"%PDF"), save=True)
    ledger = AgreementImport(
        original_name="ledger.csv", status=AgreementImport.Status.DONE
    )
    ledger.file.save("ledger.csv", ContentFile(b"agreement_number\n"), save=True)
    return payout, invoice, ledger, batch, account


def test_accounting_records_go_at_the_end_of_the_seventh_year_and_once(
    time_machine, django_capture_on_commit_callbacks
):
    """On 31 December 2033 everything is kept; on 1 January 2034 the invoice
    copy, the ledger file and the bank file are deleted (files too) and the
    replaced account is masked; the amounts stay; a second run deletes nothing."""
    payout, invoice, ledger, batch, account = paid_records(time_machine)
    private = storages["private"]

    time_machine.move_to(LAST_KEPT, tick=False)
    counts = retention_run(dry_run=False)
    assert {kind: counts[kind] for kind in ACCOUNTING} == dict.fromkeys(ACCOUNTING, 0)
    assert private.exists(invoice.file.name) and private.exists(ledger.file.name)

    time_machine.move_to(FIRST_GONE, tick=False)
    assert {k: v for k, v in retention_run(dry_run=True).items() if v} == (
        dict.fromkeys(ACCOUNTING, 1)
    )
    assert InvoiceDocument.objects.exists()  # the dry run deleted nothing
    with django_capture_on_commit_callbacks(execute=True):  # files after commit
        counts = retention_run(dry_run=False)
    assert {kind: counts[kind] for kind in ACCOUNTING} == dict.fromkeys(ACCOUNTING, 1)
    assert not InvoiceDocument.objects.exists()
    assert not AgreementImport.objects.exists()
    assert not private.exists(invoice.file.name)
    assert not private.exists(ledger.file.name)
    assert not storages["bank_outbound"].exists("RETENTION-1.xml")
    batch.refresh_from_db()
    assert batch.payment_file == ""
    account.refresh_from_db()
    assert account.account_number_encrypted == ""
    assert account.account_last4 and account.account_fingerprint
    assert not BankAccount.history.filter(id=account.pk).exclude(
        account_number_encrypted=""
    )
    payout.refresh_from_db()
    assert (payout.amount, payout.currency, payout.bank_account_id) == (
        payout.amount,
        "SEK",
        account.pk,
    )
    assert Claim.objects.filter(pk=payout.claim_id).exists()
    # Only the accounting kinds: the security log of 2026 went meanwhile.
    recorded = dict(
        RetentionDeletion.objects.filter(kind__in=ACCOUNTING).values_list(
            "kind", "count"
        )
    )
    assert recorded == dict.fromkeys(ACCOUNTING, 1)

    assert not any(retention_run(dry_run=False).values())
    assert RetentionDeletion.objects.filter(kind__in=ACCOUNTING).count() == len(
        ACCOUNTING
    )


def test_nothing_goes_while_a_claim_or_payout_refers_to_it_open(time_machine):
    """An open payout (and a disputed claim) keep their files however old."""
    payout, invoice, _ledger, _batch, _account = paid_records(
        time_machine, payout_status=Payout.Status.IN_BATCH
    )
    time_machine.move_to(dt.datetime(2040, 1, 1, tzinfo=STOCKHOLM), tick=False)
    counts = retention_run(dry_run=False)
    assert counts["invoice_copies"] == counts["bank_files"] == 0
    assert counts["bank_accounts_masked"] == 0
    assert InvoiceDocument.objects.filter(pk=invoice.pk).exists()

    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.PAID, paid_at=PAID)
    Claim.objects.filter(pk=payout.claim_id).update(status=Claim.Status.DISPUTED)
    assert retention_run(dry_run=False)["invoice_copies"] == 0
    Claim.objects.filter(pk=payout.claim_id).update(status=Claim.Status.APPROVED)
    assert retention_run(dry_run=False)["invoice_copies"] == 1


def test_accounts_never_verified_go_after_30_days(time_machine, settings):
    """Unverified accounts (and the company only they held) are deleted after
    PRIVACY_UNVERIFIED_ACCOUNT_DAYS; verified ones and staff stay."""
    joined = dt.datetime(2026, 3, 1, 9, 0, tzinfo=STOCKHOLM)
    time_machine.move_to(joined, tick=False)
    waiting = UserFactory(verified=False)
    company = waiting.reseller_id
    verified = UserFactory()
    time_machine.move_to(joined + dt.timedelta(days=30) - dt.timedelta(seconds=1))
    assert retention_run(dry_run=False)["unverified_accounts"] == 0
    time_machine.move_to(joined + dt.timedelta(days=30, seconds=1))
    assert retention_run(dry_run=False)["unverified_accounts"] == 1
    assert not User.objects.filter(pk=waiting.pk).exists()
    assert not EmailAddress.objects.filter(email=waiting.email).exists()
    assert not Reseller.objects.filter(pk=company).exists()
    assert User.objects.filter(pk=verified.pk).exists()
    assert retention_run(dry_run=False)["unverified_accounts"] == 0


def test_sessions_security_log_and_exports_go_after_their_time(time_machine, settings):
    settings.PRIVACY_SESSION_RETENTION_DAYS = 10
    settings.PRIVACY_SECURITY_LOG_RETENTION_DAYS = 100
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=STOCKHOLM)
    time_machine.move_to(start, tick=False)
    user = UserFactory()
    session = SessionStore()
    session.set_expiry(3600)
    session.create()
    SecurityEvent.objects.create(kind=SecurityEvent.Kind.LOGIN, email=user.email)
    export = DataExport.objects.create(user=user, token="t" * 64)
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.READY, expires_at=start + dt.timedelta(days=7)
    )

    time_machine.move_to(start + dt.timedelta(days=10, minutes=59), tick=False)
    counts = retention_run(dry_run=False)
    assert (counts["sessions"], counts["security_log"], counts["data_exports"]) == (
        0,
        0,
        1,
    )
    time_machine.move_to(start + dt.timedelta(days=10, hours=1, seconds=1))
    assert retention_run(dry_run=False)["sessions"] == 1
    assert not Session.objects.exists()
    time_machine.move_to(start + dt.timedelta(days=100, seconds=1))
    assert retention_run(dry_run=False)["security_log"] == 1
    assert not SecurityEvent.objects.exists()
    assert not any(retention_run(dry_run=False).values())


def test_the_command_counts_in_a_dry_run_and_deletes_without(time_machine):
    paid_records(time_machine)
    time_machine.move_to(FIRST_GONE, tick=False)
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "invoice_copies: would delete 1" in out.getvalue()
    assert InvoiceDocument.objects.exists()
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "invoice_copies: deleted 1" in out.getvalue()
    assert not InvoiceDocument.objects.exists()


def test_the_job_is_a_known_schedule():
    from django_celery_beat.models import PeriodicTask

    from cashback.jobs import job_is_known

    assert job_is_known("privacy.retention")
    assert PeriodicTask.objects.filter(task="privacy.retention", enabled=True).exists()


def test_statements_and_vat_documents_go_at_the_end_of_the_seventh_year(
    time_machine, django_capture_on_commit_callbacks
):
    """A payment booked on 1 March 2027 keeps its statement and VAT document
    (rows and PDFs) until 31 December 2034; on 1 January 2035 both go, with
    the correction issued for it the same year; a second run deletes nothing;
    the payout and its amount stay."""
    from statements.models import PaymentStatement, VatDocument
    from statements.services import payment_documents_correct
    from tests.statements.conftest import pay, statement_of

    time_machine.move_to(dt.datetime(2027, 3, 1, 10, 0, tzinfo=STOCKHOLM), tick=False)
    with django_capture_on_commit_callbacks(execute=True):  # the issue task
        payout = pay()[0]
    statement = statement_of(payout)
    document = VatDocument.objects.get(statement=statement)
    with django_capture_on_commit_callbacks(execute=True):
        payment_documents_correct(
            payout_id=payout.pk, batch_id=statement.batch_id, reason="Returned"
        )
    names = list(PaymentStatement.objects.values_list("pdf", flat=True)) + list(
        VatDocument.objects.values_list("pdf", flat=True)
    )
    private = storages["private"]
    assert names and all(private.exists(name) for name in names)
    documents = PaymentStatement.objects.count() + VatDocument.objects.count()
    assert VatDocument.objects.filter(corrects=document).exists()

    time_machine.move_to(dt.datetime(2034, 12, 31, 23, 59, tzinfo=STOCKHOLM))
    assert retention_run(dry_run=False)["statement_documents"] == 0
    assert all(private.exists(name) for name in names)

    time_machine.move_to(dt.datetime(2035, 1, 1, 0, 1, tzinfo=STOCKHOLM))
    assert retention_run(dry_run=True)["statement_documents"] == documents
    assert PaymentStatement.objects.exists()  # the dry run deleted nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_run(dry_run=False)["statement_documents"] == documents
    assert not PaymentStatement.objects.exists()
    assert not VatDocument.objects.exists()
    assert not any(private.exists(name) for name in names)
    assert Payout.objects.get(pk=payout.pk).amount == payout.amount
    assert RetentionDeletion.objects.get(kind="statement_documents").count == (
        documents
    )
    assert retention_run(dry_run=False)["statement_documents"] == 0
