"""Long operator commands: a progress bar on stderr, a summary line on stdout,
and --dry-run that changes nothing."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from cashback.progress import Progress
from claims.models import OpenAgreement
from payouts.models import Payout, PayoutEvent
from resellers.models import ProgramMembership
from tests.claims.test_ledger_import import GOOD, HEADER, codes  # noqa: F401
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import ResellerFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_bar_counts_to_its_total_and_ends_the_line():
    """A full bar at the end, on one line redrawn with carriage returns."""
    stream = io.StringIO()
    with Progress(stream, total=4, unit="rows") as bar:
        for _ in range(4):
            bar.advance()
    text = stream.getvalue()
    assert text.startswith("\r  0%|")
    assert "100%|" in text and "| 4/4 [" in text
    assert text.endswith("rows/s]\n")
    assert text.count("\n") == 1


def test_a_bar_without_a_total_counts_and_a_disabled_one_is_silent():
    stream = io.StringIO()
    with Progress(stream, unit="payouts") as bar:
        bar.advance(7)
    assert "7 payouts" in stream.getvalue()
    quiet = io.StringIO()
    with Progress(quiet, total=3, enabled=False) as bar:
        bar.advance(3)
    assert quiet.getvalue() == ""


def test_import_agreements_dry_run_writes_nothing(codes, tmp_path):  # noqa: F811
    """--dry-run reads and checks every row, reports what it would do, keeps
    nothing; without it the same file is imported."""
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + "".join(GOOD), encoding="utf-8")
    out, err = run("import_agreements", str(path), "--dry-run")
    assert out.startswith("Dry run, nothing saved: 2 rows read: 2 new")
    assert "100%|" in err and "| 2/2 [" in err
    assert not OpenAgreement.objects.exists()
    out, _err = run("import_agreements", str(path))
    assert out.startswith("2 rows read: 2 new")
    assert OpenAgreement.objects.count() == 2


def test_import_memberships_shows_progress_and_has_a_dry_run(tmp_path):
    ResellerFactory(org_number="5560360793")
    path = tmp_path / "memberships.csv"
    path.write_text(
        "reseller_org_number,program,start_date,end_date\n"
        "556036-0793,MRI,2015-01-01,2015-09-30\n"
        "999999-9999,MRI,2015-01-01,2015-12-31\n",
        encoding="utf-8",
    )
    out, err = run("import_memberships", str(path), "--dry-run")
    assert out.startswith("Dry run, nothing saved: 1 created")
    assert "100%|" in err and "| 2/2 [" in err
    assert not ProgramMembership.objects.exists()
    out, _err = run("import_memberships", str(path))
    assert out.startswith("1 created")
    assert ProgramMembership.objects.count() == 1


def test_schedule_payouts_shows_progress_and_dry_run_changes_nothing(time_machine):
    time_machine.move_to("2027-04-01 08:00:00+00:00", tick=False)
    for _ in range(3):
        PayoutFactory(status=Payout.Status.READY, release_date=dt.date(2027, 3, 30))
    PayoutFactory(status=Payout.Status.READY, release_date=dt.date(2027, 5, 1))
    out, err = run("schedule_payouts", "--dry-run")
    assert out == "Would schedule 3 payout(s).\n"
    assert "100%|" in err and "| 3/3 [" in err
    assert Payout.objects.filter(status="scheduled").count() == 0
    out, err = run("schedule_payouts")
    assert out == "Scheduled 3 payout(s).\n"
    assert Payout.objects.filter(status="scheduled").count() == 3


def test_send_reminders_shows_progress_and_dry_run_changes_nothing(time_machine):
    time_machine.move_to("2027-04-01 08:00:00+00:00", tick=False)
    due = dt.datetime(2027, 3, 30, tzinfo=dt.UTC)
    for _ in range(2):
        PayoutFactory(
            status=Payout.Status.AWAITING_BANK_DETAILS,
            notified_at=due - dt.timedelta(days=5),
            bank_details_due_at=due,
        )
    out, err = run("send_reminders", "--dry-run")
    assert out == "Would have: windows started 0, reminders 2, forfeited 0\n"
    assert "100%|" in err and "| 2/2 [" in err
    assert not PayoutEvent.objects.exists()
    out, _err = run("send_reminders")
    assert out == "windows started 0, reminders 2, forfeited 0\n"
    assert Payout.objects.filter(reminders_sent=1).count() == 2


def test_rotate_field_keys_reencrypts_with_the_newest_key(settings):
    """After a new key goes in front, the command re-encrypts every account so
    the old key can be dropped; the number still reads the same."""
    from cryptography.fernet import Fernet

    from payouts.crypto import account_number_decrypt, payment_file_encrypt
    from payouts.models import BankAccount, PaymentBatch
    from tests.payouts.conftest import approve
    from tests.payouts.factories import approved_claim
    from tests.payouts.test_bank_details import IBAN, submit
    from tests.resellers.factories import StaffUserFactory

    account = submit(approve(approved_claim()))
    batch = PaymentBatch.objects.create(
        currency="SEK",
        message_id="CB-ROTATE-1",
        created_by=StaffUserFactory(),
        status=PaymentBatch.Status.RELEASED,
        payment_file=payment_file_encrypt("<Document>SE45</Document>"),
    )
    from payouts.bank.models import InboundBankFile
    from payouts.crypto import bank_file_decrypt, bank_file_encrypt

    uploaded = InboundBankFile.objects.create(
        name="camt054.xml",
        status=InboundBankFile.Status.AWAITING,
        content_encrypted=bank_file_encrypt(b"<Document>SE46</Document>"),
    )
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    out, _err = run("rotate_field_keys", "--dry-run")
    # The account and its one history row (issue 15: the history too).
    assert out == (
        "Would re-encrypt 2 account number(s).\nWould re-encrypt 2 payment file(s).\n"
    )
    out, err = run("rotate_field_keys")
    assert out == (
        "Re-encrypted 2 account number(s) with the newest key.\n"
        "Re-encrypted 2 payment file(s) with the newest key.\n"
    )
    assert "| 2/2 [" in err and "accounts/s" in err
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    account.refresh_from_db()
    assert account_number_decrypt(account.account_number_encrypted) == IBAN
    history = BankAccount.history.get(id=account.pk)
    assert account_number_decrypt(history.account_number_encrypted) == IBAN
    batch.refresh_from_db()
    assert "SE45" not in batch.payment_file
    uploaded.refresh_from_db()  # a bank file uploaded by hand (issue 27)
    assert bank_file_decrypt(uploaded.content_encrypted) == b"<Document>SE46</Document>"
    assert batch.payment_file_xml() == "<Document>SE45</Document>"
