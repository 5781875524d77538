"""The beat job that reads the bank's inbound folder, and its command."""

import shutil
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from payouts.bank.models import InboundBankFile
from payouts.tasks import read_bank_files
from tests.payouts.bank.conftest import MESSAGES

pytestmark = pytest.mark.django_db


def test_the_job_is_scheduled_for_operators_to_see_and_run():
    """A beat entry runs it every ten minutes; operators may see the files."""
    job = PeriodicTask.objects.get(task="payouts.read_bank_files")
    assert job.enabled and job.crontab.minute == "*/10"
    codenames = set(
        Group.objects.get(name="Operators").permissions.values_list(
            "codename", flat=True
        )
    )
    assert {"view_inboundbankfile", "view_outboundbankfile"} <= codenames


def test_the_task_reads_the_folder_and_reports_what_it_refused(bank_folders):
    """The task's result names each refused file with its reason."""
    _outbound, inbound = bank_folders
    shutil.copy(MESSAGES / "bad_truncated.xml", inbound / "cut.xml")
    shutil.copy(MESSAGES / "bad_unknown_namespace.xml", inbound / "camt052.xml")
    summary = read_bank_files.delay().get()
    assert (summary["read"], summary["refused"]) == (0, 2)
    assert summary["reasons"][0].startswith("camt052.xml: unknown_message: ")
    assert InboundBankFile.objects.filter(status="failed").count() == 2
    assert read_bank_files.delay().get() == {
        "sent": 0,
        "read": 0,
        "refused": 0,
        "reasons": [],
    }


def test_the_command_reads_the_folder_now(bank_folders):
    """`manage.py read_bank_files` does what the job does, and says so."""
    _outbound, inbound = bank_folders
    shutil.copy(MESSAGES / "bad_truncated.xml", inbound / "cut.xml")
    out = StringIO()
    call_command("read_bank_files", stdout=out)
    assert "Read 0 file(s), refused 1." in out.getvalue()
    assert "cut.xml: not_xml" in out.getvalue()


def test_a_released_batch_lost_to_a_broker_outage_is_sent_by_the_job(
    bank_folders, django_capture_on_commit_callbacks, monkeypatch
):
    """Release sends its file after commit through a task; when the broker is
    down the task is lost, and the next run of the job sends the file, once."""
    from payouts.bank.models import OutboundBankFile
    from payouts.services import batch_create, batch_release
    from payouts.tasks import send_batch_file
    from tests.payouts.test_batches import scheduled_payout
    from tests.resellers.factories import StaffUserFactory

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(send_batch_file, "apply_async", broker_down)
    batch = batch_create(
        currency="SEK", payouts=[scheduled_payout()], operator=StaffUserFactory()
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch_release(batch=batch, operator=StaffUserFactory())
    assert not OutboundBankFile.objects.exists()
    outbound, _inbound = bank_folders
    assert list(outbound.iterdir()) == []

    assert read_bank_files()["sent"] == 1
    batch.refresh_from_db()
    record = OutboundBankFile.objects.get(batch=batch)
    assert (outbound / record.name).read_bytes() == batch.payment_file_xml().encode()
    assert read_bank_files()["sent"] == 0


def test_release_sends_the_file_after_commit(
    bank_folders, django_capture_on_commit_callbacks
):
    """With the broker up, the release's task writes the file at once."""
    from payouts.services import batch_create, batch_release
    from tests.payouts.test_batches import scheduled_payout
    from tests.resellers.factories import StaffUserFactory

    batch = batch_create(
        currency="SEK", payouts=[scheduled_payout()], operator=StaffUserFactory()
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_release(batch=batch, operator=StaffUserFactory())
    outbound, _inbound = bank_folders
    assert [p.name for p in outbound.iterdir()] == [batch.outbound_file.name]
