"""A bank file uploaded by hand is one person's act until a second operator
confirms it (issue 27): kept encrypted with its uploader, applied only on
another operator's confirmation; the bank's own folder needs no second person."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction

from payouts.bank import answers
from payouts.bank.models import InboundBankFile
from payouts.crypto import bank_file_decrypt
from payouts.models import Payout
from payouts.services import (
    PayoutError,
    bank_file_confirm,
    bank_file_upload,
    bank_files_read,
)
from tests.payouts.bank.answers import operator
from tests.payouts.bank.conftest import MESSAGES, batch_payouts, released_batch
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

S = Payout.Status


def booking(batch, payout, message_id: str = "UP-C054-1") -> bytes:
    return answers.debit_notification(
        message_id=message_id,
        batch_message_id=batch.message_id,
        booking_date=dt.date(2027, 3, 1),
        entries=[(payout.claim.reference, payout.payout_amount, "SEK", "REF-9")],
    )


def test_an_upload_alone_changes_no_payout_and_is_kept_encrypted_with_its_uploader():
    """The attack: one operator uploads a booking and the payout is paid. Now
    the file waits, encrypted, with the uploader's name; nothing moves."""
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    uploader = operator()
    content = booking(batch, payout)

    result = bank_file_upload(name="camt054.xml", content=content, operator=uploader)

    assert result.status == InboundBankFile.Status.AWAITING
    stored = InboundBankFile.objects.get(pk=result.file_id)
    assert stored.uploaded_by == uploader and stored.confirmed_by is None
    assert payout.claim.reference.encode() not in stored.content_encrypted.encode()
    assert bank_file_decrypt(stored.content_encrypted) == content
    payout.refresh_from_db()
    assert payout.status == S.IN_BATCH


def test_the_uploader_cannot_confirm_their_own_file_a_second_operator_can():
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    uploader = operator()
    result = bank_file_upload(
        name="camt054.xml", content=booking(batch, payout), operator=uploader
    )
    waiting = InboundBankFile.objects.get(pk=result.file_id)

    with pytest.raises(PayoutError) as refused:
        bank_file_confirm(file=waiting, operator=uploader)
    assert refused.value.code == PayoutError.Code.FOUR_EYES
    payout.refresh_from_db()
    assert payout.status == S.IN_BATCH

    confirmer = operator()
    confirmed = bank_file_confirm(file=waiting, operator=confirmer)
    assert confirmed.status == InboundBankFile.Status.READ
    waiting.refresh_from_db()
    assert (waiting.status, waiting.confirmed_by) == ("read", confirmer)
    payout.refresh_from_db()
    assert (payout.status, payout.payment_reference) == (S.PAID, "REF-9")

    with pytest.raises(PayoutError) as again:
        bank_file_confirm(file=waiting, operator=operator())
    assert again.value.code == PayoutError.Code.BANK_FILE_NOT_AWAITING


def test_the_database_refuses_a_file_confirmed_by_its_uploader():
    """Four eyes in the database too, as for batches and rates."""
    uploader = operator()
    result = bank_file_upload(
        name="p002.xml",
        content=(MESSAGES / "pain002_001_10_part.xml").read_bytes(),
        operator=uploader,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundBankFile.objects.filter(pk=result.file_id).update(confirmed_by=uploader)


def test_staff_without_the_permission_cannot_confirm_and_operators_have_it():
    result = bank_file_upload(
        name="p002.xml",
        content=(MESSAGES / "pain002_001_10_part.xml").read_bytes(),
        operator=operator(),
    )
    waiting = InboundBankFile.objects.get(pk=result.file_id)
    with pytest.raises(PayoutError) as refused:
        bank_file_confirm(file=waiting, operator=StaffUserFactory())
    assert refused.value.code == PayoutError.Code.NOT_PERMITTED
    assert (
        Group.objects.get(name="Operators")
        .permissions.filter(codename="confirm_bank_file")
        .exists()
    )
    assert Permission.objects.filter(codename="confirm_bank_file").count() == 1


def test_an_unreadable_upload_is_refused_at_once_with_its_uploader():
    uploader = operator()
    result = bank_file_upload(
        name="cut.xml",
        content=(MESSAGES / "bad_truncated.xml").read_bytes(),
        operator=uploader,
    )
    assert (result.status, result.code) == ("failed", "not_xml")
    assert InboundBankFile.objects.get(pk=result.file_id).uploaded_by == uploader


def test_a_file_in_the_banks_folder_needs_no_second_person(bank_folders):
    _outbound, inbound = bank_folders
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    (inbound / "camt054.xml").write_bytes(booking(batch, payout))

    (result,) = bank_files_read()

    assert result.status == InboundBankFile.Status.READ
    stored = InboundBankFile.objects.get(pk=result.file_id)
    assert stored.uploaded_by is None and stored.content_encrypted == ""
    payout.refresh_from_db()
    assert payout.status == S.PAID
