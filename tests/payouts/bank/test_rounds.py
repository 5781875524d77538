"""Whole rounds against mock-bank, applied: release a batch, its file lands in
the bank's drop folder (our outbound folder), the bank answers into our inbound
folder, the beat job reads and applies the answers, and the payouts, their
events, the e-mails (both languages) and the reconciliation counts are what
issue 18 says, for each way the bank can fail."""

import datetime as dt
import shutil

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from cashback.models import OutboxMessage
from payouts.bank.models import BatchPayment, InboundBankFile
from payouts.bank.reconciliation import batches_reconciled
from payouts.models import PaymentBatch, Payout, PayoutEvent
from payouts.presentation import bank_event_words
from payouts.services import (
    PayoutError,
    bank_account_confirm,
    batch_create,
    payout_return_account_refuse,
)
from payouts.services import batch_release as release_service
from payouts.tasks import read_bank_files
from tests.payouts.bank.conftest import VENDOR, iban_of, reseller_iban
from tests.payouts.conftest import approve
from tests.payouts.factories import approved_claim
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.bank]

S = Payout.Status
K = PayoutEvent.Kind
BOOKED_ON = dt.date(2027, 3, 1)  # Monday after the requested Sunday


@pytest.fixture
def operator():
    """An operator who receives the bank alerts."""
    user = StaffUserFactory(email="ops@vendor.example")
    user.groups.add(Group.objects.get(name="Operators"))
    return user


def released(count: int, django_capture_on_commit_callbacks) -> PaymentBatch:
    """A batch of `count` payouts, each to an account of its own and each
    company with one Swedish and one English reader, released: after the
    commit its pain.001 is written to the outbound folder."""
    payouts = []
    for number in range(count):
        payout = scheduled_payout(iban=reseller_iban(7_000_000 + number * 10))
        payout.claim.submitted_by.preferred_language = "en"
        payout.claim.submitted_by.save(update_fields=["preferred_language"])
        UserFactory(
            reseller=payout.reseller, preferred_language="sv", is_company_admin=True
        )
        payouts.append(payout)
    batch = batch_create(currency="SEK", payouts=payouts, operator=StaffUserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        return release_service(batch=batch, operator=StaffUserFactory())


def payouts_of(batch: PaymentBatch) -> list[Payout]:
    lines = BatchPayment.objects.filter(batch=batch).order_by("pk")
    return [
        Payout.objects.select_related("claim", "bank_account").get(pk=line.payout_id)
        for line in lines
    ]


def job() -> dict:
    """The beat job, as beat runs it; every file about our account is read
    (mock-bank also writes its other customers' statements into the folder:
    those are refused as not our account)."""
    summary = read_bank_files()
    ours = [r for r in summary["reasons"] if ": not_our_account: " not in r]
    assert not ours, summary
    return summary


def counts(batch: PaymentBatch, today: dt.date | None = None) -> dict:
    """The reconciliation's row of `batch`, by default on its release day."""
    today = today or timezone.localdate(batch.released_at)
    row = batches_reconciled(today=today).get(pk=batch.pk)
    names = ["payments", "unanswered", "accepted", "booked", "rejected", "returned"]
    return {name: getattr(row, name) for name in [*names, "overdue"]}


def kinds(payout: Payout) -> list[str]:
    return list(payout.events.order_by("pk").values_list("kind", flat=True))


def notices(payout: Payout, cycle: int = 2) -> dict[str, OutboxMessage]:
    prefix = f"payout:{payout.pk}:cycle:{cycle}:notice:"
    return {
        row.dedup_key.removeprefix(prefix): row
        for row in OutboxMessage.objects.filter(dedup_key__startswith=prefix)
    }


def operator_alerts() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(dedup_key__startswith="payouts:bank-"))


def words(payout: Payout, language: str) -> list[str]:
    with translation.override(language):
        return [
            bank_event_words(event)
            for event in payout.events.filter(
                kind__in=[K.BANK_ACCEPTED, K.PAID, K.FAILED, K.BANK_RETURNED]
            ).order_by("pk")
        ]


def send(bank, bank_folders, batch) -> str:
    """The file is in the bank's drop folder; the bank looks at it."""
    outbound, _inbound = bank_folders
    assert (outbound / batch.outbound_file.name).exists()
    scan = bank.scan()
    assert scan["scanned"] == 1, scan
    return scan["files"][0]["status"]


def test_accepted_then_booked_then_paid(
    mock_bank, bank_folders, django_capture_on_commit_callbacks
):
    """ACCP: accepted by the bank, nothing paid yet; the booked debit pays each
    payout on the bank's booking date with its reference; the reseller reads
    both in plain words; a re-read of the same answer changes nothing."""
    batch = released(2, django_capture_on_commit_callbacks)
    assert send(mock_bank, bank_folders, batch) == "ACCP"
    job()
    payouts = payouts_of(batch)
    assert {p.status for p in payouts} == {S.IN_BATCH}
    assert all(kinds(p)[-1] == K.BANK_ACCEPTED for p in payouts)
    assert counts(batch) == {
        "payments": 2,
        "unanswered": 0,
        "accepted": 2,
        "booked": 0,
        "rejected": 0,
        "returned": 0,
        "overdue": 0,
    }

    mock_bank.advance(to="2027-03-02")
    job()
    for payout in payouts_of(batch):
        assert payout.status == S.PAID
        assert timezone.localdate(payout.paid_at) == BOOKED_ON
        assert payout.payment_reference
        accepted, paid = words(payout, "en")
        assert accepted.startswith("Accepted by the bank on ")
        assert paid == "Paid on 1 March 2027."
        assert words(payout, "sv")[-1] == "Utbetald den 1 mars 2027."
    assert counts(batch)["booked"] == 2
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CLOSED
    assert operator_alerts() == []

    _outbound, inbound = bank_folders
    events = PayoutEvent.objects.count()
    (processed,) = (inbound / "processed").glob("camt.054*.xml")
    shutil.copy(processed, inbound / "again.xml")
    summary = read_bank_files()
    assert summary["refused"] == 1 and "already_read" in summary["reasons"][0]
    assert PayoutEvent.objects.count() == events


@pytest.mark.parametrize(
    ("behaviour", "code", "en", "sv"),
    [
        ("closed-account", "AC04", "the account is closed", "kontot är avslutat"),
        (
            "bad-bank-id",
            "RC01",
            "the bank identifier (BIC) is wrong",
            "bankens identifierare (BIC) är fel",
        ),
    ],
)
def test_a_refusal_for_the_resellers_side_starts_a_new_cycle(
    mock_bank,
    bank_folders,
    django_capture_on_commit_callbacks,
    operator,
    behaviour,
    code,
    en,
    sv,
):
    """RJCT with a reseller-side code: that payout fails and starts cycle 2;
    the company is told why in each reader's language; the other payment is
    accepted; operators are not bothered. The account is refused: the
    company's other ready payout on it goes back to waiting for details."""
    batch = released(2, django_capture_on_commit_callbacks)
    refused, accepted = payouts_of(batch)
    sibling = approve(approved_claim(reseller=refused.reseller))
    bank_account_confirm(
        reseller=refused.reseller, user=refused.claim.submitted_by, payout=sibling
    )
    sibling.refresh_from_db()
    assert (sibling.status, sibling.bank_account) == (S.READY, refused.bank_account)
    mock_bank.account_create(
        "RESELLER", iban=iban_of(refused), currency="SEK", behaviour=behaviour
    )
    assert send(mock_bank, bank_folders, batch) == "PART"
    job()
    refused.refresh_from_db()
    accepted.refresh_from_db()
    assert (refused.status, refused.cycle, refused.batch_id) == (
        S.AWAITING_BANK_DETAILS,
        2,
        None,
    )
    assert refused.failure_code == code
    assert kinds(refused)[-2:] == [K.FAILED, K.OPENED]
    assert accepted.status == S.IN_BATCH
    letters = notices(refused)
    assert set(letters) == {"en", "sv"}
    assert en in letters["en"].text_body
    assert sv in letters["sv"].text_body
    assert words(refused, "en")[-1] == f"Refused by the bank: {en}."
    assert words(refused, "sv")[-1] == f"Avvisad av banken: {sv}."
    assert counts(batch)["rejected"] == 1 and counts(batch)["accepted"] == 1
    assert operator_alerts() == []
    account = refused.bank_account
    account.refresh_from_db()
    assert account.refused_at is not None
    assert account.refusal_reason.startswith(code)
    sibling.refresh_from_db()
    assert (sibling.status, sibling.cycle, sibling.failure_code) == (
        S.AWAITING_BANK_DETAILS,
        2,
        code,
    )
    assert en in notices(sibling)["en"].text_body
    accepted.bank_account.refresh_from_db()
    assert accepted.bank_account.refused_at is None
    with pytest.raises(PayoutError):  # the refused account, confirmed again
        bank_account_confirm(
            reseller=refused.reseller, user=refused.claim.submitted_by, payout=refused
        )


def test_insufficient_funds_goes_back_to_scheduled_and_alerts_operators(
    mock_bank, bank_folders, django_capture_on_commit_callbacks, operator
):
    """AM04 is the vendor's side: the payout is scheduled again for the next
    batch, the company hears nothing, the operators get an e-mail."""
    batch = released(2, django_capture_on_commit_callbacks)
    mock_bank.account_update(VENDOR, behaviour="insufficient-funds", balance=1500_00)
    first, second = payouts_of(batch)
    send(mock_bank, bank_folders, batch)
    job()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.IN_BATCH
    assert (second.status, second.batch_id, second.cycle) == (S.SCHEDULED, None, 1)
    assert kinds(second)[-1] == K.BANK_REJECTED
    assert notices(second) == {}
    (alert,) = operator_alerts()
    assert alert.recipients == [operator.email]
    assert "AM04" in alert.text_body and second.claim.reference in alert.text_body
    assert words(second, "en") == []  # the vendor's problem is not the reseller's
    assert counts(batch)["rejected"] == 1
    # Scheduled again: the next batch can take it.
    assert batch_create(currency="SEK", payouts=[second], operator=operator)


def test_a_rejected_file_rejects_the_batch(
    mock_bank, bank_folders, django_capture_on_commit_callbacks, operator
):
    """reject-file: group RJCT FF01: the batch is rejected, every payout is
    scheduled again, nobody is failed towards the resellers, operators alerted."""
    batch = released(2, django_capture_on_commit_callbacks)
    mock_bank.account_update(VENDOR, behaviour="reject-file")
    assert send(mock_bank, bank_folders, batch) == "RJCT"
    job()
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.REJECTED
    for payout in payouts_of(batch):
        assert (payout.status, payout.batch_id) == (S.SCHEDULED, None)
        assert notices(payout) == {}
    (alert,) = operator_alerts()
    assert "FF01" in alert.text_body
    assert counts(batch)["rejected"] == 2


def test_a_duplicate_file_changes_nothing(
    mock_bank, bank_folders, django_capture_on_commit_callbacks, operator
):
    """The same pain.001 dropped again is refused DUPL: the copy the bank has
    stands, so nothing moves (rescheduling would pay twice); operators hear."""
    batch = released(1, django_capture_on_commit_callbacks)
    mock_bank.account_update(VENDOR, behaviour="duplicate-file")
    send(mock_bank, bank_folders, batch)
    outbound, _inbound = bank_folders
    shutil.copy(outbound / "processed" / batch.outbound_file.name, outbound / "b.xml")
    mock_bank.scan()
    job()
    (payout,) = payouts_of(batch)
    batch.refresh_from_db()
    assert (payout.status, batch.status) == (S.IN_BATCH, PaymentBatch.Status.RELEASED)
    assert counts(batch)["accepted"] == 1
    (alert,) = operator_alerts()
    assert "DUPL" in alert.text_body

    mock_bank.advance(to="2027-03-02")
    job()
    payout.refresh_from_db()
    assert payout.status == S.PAID


def test_a_silent_bank_shows_in_reconciliation(
    mock_bank, bank_folders, django_capture_on_commit_callbacks, time_machine
):
    """silent: no pain.002. N business days after release the payment shows as
    not settled in time; the booking still pays it."""
    time_machine.move_to("2027-02-26 10:00:00+01:00", tick=False)
    batch = released(1, django_capture_on_commit_callbacks)
    mock_bank.account_update(VENDOR, behaviour="silent")
    send(mock_bank, bank_folders, batch)
    job()
    assert counts(batch, dt.date(2027, 3, 2))["overdue"] == 0  # two business days
    assert counts(batch, dt.date(2027, 3, 3)) == {
        "payments": 1,
        "unanswered": 1,
        "accepted": 0,
        "booked": 0,
        "rejected": 0,
        "returned": 0,
        "overdue": 1,
    }
    mock_bank.advance(to="2027-03-02")
    job()
    (payout,) = payouts_of(batch)
    assert payout.status == S.PAID
    assert counts(batch, dt.date(2027, 3, 3))["overdue"] == 0


def test_a_return_reopens_a_paid_payout(
    mock_bank, bank_folders, django_capture_on_commit_callbacks
):
    """return-later: paid, then a pacs.004 (MD07) days later: failed with the
    return reason; the account is still on file, so an operator decides
    (issue 27); refused, a new cycle, the company told why in both languages."""
    batch = released(2, django_capture_on_commit_callbacks)
    first, second = payouts_of(batch)
    mock_bank.account_update(
        VENDOR,
        behaviour="return-later",
        parameters={
            "days": 2,
            "reason": "MD07",
            "end_to_end_id": second.claim.reference,
        },
    )
    send(mock_bank, bank_folders, batch)
    mock_bank.advance(to="2027-03-02")
    job()
    second.refresh_from_db()
    assert second.status == S.PAID

    mock_bank.advance(to="2027-03-05")
    job()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.PAID
    assert (second.status, second.cycle, second.failure_code) == (
        S.FAILED,
        1,
        "MD07",
    )
    payout_return_account_refuse(
        payout=second, operator=StaffUserFactory(), reason="Called: account closed"
    )
    second.refresh_from_db()
    assert (second.status, second.cycle, second.failure_code) == (
        S.AWAITING_BANK_DETAILS,
        2,
        "MD07",
    )
    assert K.BANK_RETURNED in kinds(second)
    returned = second.events.get(kind=K.BANK_RETURNED)
    assert (returned.from_status, returned.to_status) == (S.PAID, S.FAILED)
    assert second.bank_account.masked_account in returned.message
    letters = notices(second)
    assert "the account holder is deceased" in letters["en"].text_body
    assert "kontohavaren har avlidit" in letters["sv"].text_body
    assert words(second, "en")[-1].startswith("Returned by the bank on ")
    assert counts(batch)["returned"] == 1 and counts(batch)["booked"] == 1
    assert (
        InboundBankFile.objects.filter(message_type__startswith="pacs.004").count() == 1
    )
