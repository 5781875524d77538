"""The inbound job: each file read once, matched to our payouts, moved away."""

import shutil
import threading
import tracemalloc

import pytest
from django.db import connection

from payouts.bank.inbound import (
    InboundContext,
    bank_content_read,
    inbound_files_read,
)
from payouts.bank.messages import MAX_FILE_BYTES, BankFileError
from payouts.bank.models import InboundBankFile
from payouts.models import Payout
from tests.payouts.bank.conftest import MESSAGES, Recorder, in_batch

pytestmark = pytest.mark.django_db

REFERENCES = ["CB-2027-000001", "CB-2027-000002", "CB-2027-000003"]


@pytest.fixture
def our_batch():
    """The batch the hand-written messages answer."""
    return in_batch("CB-TEST-0001", REFERENCES)


def put(inbound, *names: str) -> None:
    for name in names:
        shutil.copy(MESSAGES / name, inbound / name)


def test_a_good_file_is_recorded_matched_and_moved_to_processed(
    our_batch, bank_folders
):
    """The message id and type are recorded; apply gets the locked batch and the
    payouts by end-to-end id; the file moves to processed/."""
    _outbound, inbound = bank_folders
    put(inbound, "pain002_001_03_rjct.xml")
    recorder = Recorder()
    (result,) = inbound_files_read(apply=recorder)

    assert (result.status, result.message_id) == ("read", "BANK-P002-20270301-0001")
    record = InboundBankFile.objects.get()
    assert (record.message_type, record.original_message_id) == (
        "pain.002.001.03",
        "CB-TEST-0001",
    )
    (context,) = recorder
    assert context.file == record
    assert context.batches == {"CB-TEST-0001": our_batch}
    assert sorted(context.payouts) == REFERENCES
    assert (inbound / "processed" / "pain002_001_03_rjct.xml").exists()
    assert not (inbound / "pain002_001_03_rjct.xml").exists()


def test_a_notification_lists_entries_that_are_not_ours(our_batch, bank_folders):
    """camt.054: our payments matched, a fee with no end-to-end id set aside."""
    _outbound, inbound = bank_folders
    put(inbound, "camt054_001_08_two_notifications.xml")
    recorder = Recorder()
    (result,) = inbound_files_read(apply=recorder)
    assert result.status == "read"
    (context,) = recorder
    assert sorted(context.payouts) == REFERENCES
    assert [p.bank_reference for p in context.unmatched] == ["SEB-FEE-1"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("bad_unknown_namespace.xml", "unknown_message"),
        ("bad_truncated.xml", "not_xml"),
        ("bad_unknown_batch.xml", "unknown_batch"),
        ("bad_not_our_payment.xml", "not_ours"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason_and_changes_nothing(
    our_batch, bank_folders, name, code
):
    """Moved to failed/ with a reason file beside it, recorded as refused, and
    apply never runs."""
    _outbound, inbound = bank_folders
    put(inbound, name)
    recorder = Recorder()
    (result,) = inbound_files_read(apply=recorder)

    assert (result.status, result.code) == ("failed", code)
    assert recorder == []
    record = InboundBankFile.objects.get()
    assert record.status == InboundBankFile.Status.FAILED
    assert record.reason.startswith(code)
    assert (inbound / "failed" / name).exists()
    reason = (inbound / "failed" / f"{name}.reason.txt").read_text()
    assert reason.startswith(f"{code}: ")
    assert set(Payout.objects.values_list("status", flat=True)) == {"in_batch"}


def test_a_message_already_read_is_refused_without_changing_anything(
    our_batch, bank_folders
):
    """The same message id under another name: refused, apply not called."""
    _outbound, inbound = bank_folders
    put(inbound, "pacs004_001_09_return.xml")
    assert inbound_files_read()[0].status == "read"
    shutil.copy(MESSAGES / "pacs004_001_09_return.xml", inbound / "again.xml")
    recorder = Recorder()
    (result,) = inbound_files_read(apply=recorder)
    assert (result.status, result.code) == ("failed", "already_read")
    assert recorder == []
    assert InboundBankFile.objects.filter(status="read").count() == 1
    assert (inbound / "failed" / "again.xml").exists()


def test_a_file_whose_move_was_interrupted_is_moved_not_read_again(
    our_batch, bank_folders
):
    """Read and committed, then the process stopped before the move: the next
    run moves it to processed/ and applies nothing twice."""
    _outbound, inbound = bank_folders
    content = (MESSAGES / "pacs004_001_09_return.xml").read_bytes()
    bank_content_read(name="r.xml", content=content)
    (inbound / "r.xml").write_bytes(content)
    recorder = Recorder()
    (result,) = inbound_files_read(apply=recorder)
    assert result.status == "read"
    assert recorder == []
    assert InboundBankFile.objects.count() == 1
    assert (inbound / "processed" / "r.xml").exists()


def test_an_uploaded_copy_of_a_message_already_read_is_refused(our_batch):
    """Through the upload path the same name is no excuse: already read."""
    content = (MESSAGES / "pacs004_001_09_return.xml").read_bytes()
    assert bank_content_read(name="r.xml", content=content).status == "read"
    recorder = Recorder()
    again = bank_content_read(name="r.xml", content=content, apply=recorder)
    assert (again.status, again.code) == ("failed", "already_read")
    assert recorder == []


def test_an_apply_that_refuses_keeps_nothing_it_wrote(our_batch, bank_folders):
    """One transaction per file: apply writes, then refuses; the write is undone,
    the file is refused with apply's reason."""
    _outbound, inbound = bank_folders
    put(inbound, "pain002_001_03_rjct.xml")

    def apply(context: InboundContext) -> None:
        Payout.objects.filter(pk=context.payouts["CB-2027-000001"].pk).update(
            failure_reason="half-written"
        )
        raise BankFileError("amount_mismatch", "The amount disagrees.")

    (result,) = inbound_files_read(apply=apply)
    assert (result.status, result.code) == ("failed", "amount_mismatch")
    assert not Payout.objects.filter(failure_reason="half-written").exists()
    assert InboundBankFile.objects.get().status == "failed"


def test_temporary_and_hidden_files_are_left_alone(bank_folders):
    """A file still being written (.tmp, .part) or hidden is not read."""
    _outbound, inbound = bank_folders
    for name in ("a.xml.tmp", "b.xml.part", ".c.xml"):
        (inbound / name).write_bytes(b"<half")
    assert inbound_files_read() == []
    assert not InboundBankFile.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_read_each_file_once(bank_folders):
    """Two jobs started together: every file is read by exactly one of them."""
    in_batch("CB-TEST-0001", REFERENCES)
    _outbound, inbound = bank_folders
    put(
        inbound,
        "pain002_001_03_rjct.xml",
        "pain002_001_10_part.xml",
        "camt054_001_08_two_notifications.xml",
        "pacs004_001_09_return.xml",
        "camt053_001_02_statement.xml",
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            results.extend(inbound_files_read())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(r.name for r in results) == sorted(
        p.name for p in MESSAGES.glob("*.xml") if not p.name.startswith("bad_")
    )
    assert InboundBankFile.objects.filter(status="read").count() == 5
    assert not InboundBankFile.objects.filter(status="failed").exists()
    assert len(list((inbound / "processed").glob("*.xml"))) == 5


def test_a_file_delivered_again_under_the_same_name_is_recorded_and_refused(
    our_batch, bank_folders
):
    """The bank sends the same file again with the same name after it was read
    and moved: refused and listed as a renamed copy is (issue 27), not moved
    silently to processed/<name>.2."""
    _outbound, inbound = bank_folders
    put(inbound, "pacs004_001_09_return.xml")
    assert inbound_files_read()[0].status == "read"
    put(inbound, "pacs004_001_09_return.xml")
    recorder = Recorder()

    (result,) = inbound_files_read(apply=recorder)

    assert (result.status, result.code) == ("failed", "already_read")
    assert recorder == []
    rows = InboundBankFile.objects.filter(name="pacs004_001_09_return.xml")
    assert sorted(rows.values_list("status", flat=True)) == ["failed", "read"]
    assert (inbound / "failed" / "pacs004_001_09_return.xml").exists()
    assert not (inbound / "processed" / "pacs004_001_09_return.xml.2").exists()


def test_a_file_above_the_limit_is_refused_before_it_is_read(bank_folders):
    """A 60 MB file (sparse on disk): refused as too large and moved to
    failed/, while the job's memory never holds it."""
    _outbound, inbound = bank_folders
    with open(inbound / "huge.xml", "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 10 * 1024 * 1024)
    tracemalloc.start()
    try:
        (result,) = inbound_files_read()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.status, result.code) == ("failed", "too_large")
    assert peak < MAX_FILE_BYTES // 10
    assert InboundBankFile.objects.get().status == "failed"
    assert (inbound / "failed" / "huge.xml").exists()
