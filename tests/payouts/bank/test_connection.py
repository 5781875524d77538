"""The bank connection: the two storages from settings, a batch's file sent once."""

import json
import os
import subprocess
import sys

import paramiko
import pytest

from payouts.bank.connection import (
    BankConnectionError,
    batch_file_send,
    inbound_storage,
    outbound_storage,
    storage_write_whole,
)
from payouts.bank.models import OutboundBankFile
from payouts.bank.sftp import BankSFTPStorage
from payouts.models import PaymentBatch
from payouts.pain001 import pain001_validate
from tests.payouts.bank.conftest import released_batch
from tests.resellers.factories import StaffUserFactory
from tests.services import ROOT


@pytest.mark.django_db
def test_a_released_batch_is_written_to_the_outbound_folder_once(bank_folders):
    """The valid pain.001 lands under its message id; a second send writes
    nothing and returns the same record."""
    outbound, _inbound = bank_folders
    batch = released_batch(1)
    record = batch_file_send(batch=batch)
    assert record.name == f"pain.001-{batch.message_id}.xml"
    written = outbound / record.name
    pain001_validate(written.read_bytes())
    assert written.read_text() == batch.payment_file_xml()
    written.unlink()  # the bank took it
    assert batch_file_send(batch=batch) == record
    assert not written.exists()
    assert OutboundBankFile.objects.filter(batch=batch).count() == 1


@pytest.mark.django_db
def test_a_draft_batch_is_not_sent(bank_folders):
    """Nothing is written or recorded for a batch that has no released file."""
    outbound, _inbound = bank_folders
    batch = PaymentBatch.objects.create(
        currency="SEK", message_id="CB-DRAFT-1", created_by=StaffUserFactory()
    )
    with pytest.raises(BankConnectionError):
        batch_file_send(batch=batch)
    assert not OutboundBankFile.objects.exists()
    assert list(outbound.iterdir()) == []


def test_a_file_appears_whole_under_its_name(bank_folders):
    """Written under a temporary name, then renamed; no temporary file remains,
    and an existing file of that name is never overwritten."""
    outbound, _inbound = bank_folders
    storage_write_whole(outbound_storage(), "a.xml", b"<a/>")
    assert [p.name for p in outbound.iterdir()] == ["a.xml"]
    with pytest.raises(BankConnectionError):
        storage_write_whole(outbound_storage(), "a.xml", b"<b/>")
    assert (outbound / "a.xml").read_bytes() == b"<a/>"
    assert [p.name for p in outbound.iterdir()] == ["a.xml"]


def test_the_folders_are_local_under_var_bank_by_default():
    """Without BANK_SFTP_HOST both storages are folders under var/bank/."""
    assert str(outbound_storage().location).endswith(os.path.join("bank", "outbound"))
    assert str(inbound_storage().location).endswith(os.path.join("bank", "inbound"))


def test_the_folders_are_on_the_banks_sftp_host_when_configured(tmp_path):
    """With BANK_SFTP_* set, both storages are the SFTP backend on that host, with
    the user, key, known host key and folders given (nothing connects yet)."""
    script = (
        "import json, django; django.setup()\n"
        "from django.core.files.storage import storages\n"
        "out = {}\n"
        "for alias in ('bank_outbound', 'bank_inbound'):\n"
        "    s = storages[alias]\n"
        "    out[alias] = [type(s).__name__, s.host, s.root_path, s.known_host_file,\n"
        "                  s.params['username'], s.params['key_filename']]\n"
        "print(json.dumps(out))\n"
    )
    key, hosts = str(tmp_path / "id_ed25519"), str(tmp_path / "known_hosts")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cashback.settings.test",
        "BANK_SFTP_HOST": "sftp.bank.example",
        "BANK_SFTP_USER": "vendor",
        "BANK_SFTP_KEY_PATH": key,
        "BANK_SFTP_KNOWN_HOSTS": hosts,
        "BANK_SFTP_OUTBOUND_DIR": "/to-bank",
        "BANK_SFTP_INBOUND_DIR": "/from-bank",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    host = "sftp.bank.example"
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "bank_outbound": ["BankSFTPStorage", host, "/to-bank", hosts, "vendor", key],
        "bank_inbound": ["BankSFTPStorage", host, "/from-bank", hosts, "vendor", key],
    }


def test_the_sftp_connection_needs_the_banks_host_key():
    """Without a known_hosts file nothing connects (no trust on first use)."""
    storage = BankSFTPStorage(host="sftp.bank.example", params={}, known_host_file="")
    with pytest.raises(paramiko.SSHException, match="BANK_SFTP_KNOWN_HOSTS"):
        storage.listdir("")
