"""The bank's folder on a real SFTP server (asyncssh): read when the host key is
the known one; a host-key mismatch is reported in one line, not a traceback."""

import logging

import asyncssh
import pytest

from payouts.tasks import read_bank_files
from tests.services import SftpServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def sftp(tmp_path):
    root = tmp_path / "bank"
    (root / "inbound").mkdir(parents=True)
    server = SftpServer(root)
    server.start()
    yield server
    server.stop()


def sftp_folders(settings, options: dict) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "bank_inbound": {
            "BACKEND": "payouts.bank.sftp.BankSFTPStorage",
            "OPTIONS": {**options, "root_path": "/inbound"},
        },
        "bank_outbound": {
            "BACKEND": "payouts.bank.sftp.BankSFTPStorage",
            "OPTIONS": {**options, "root_path": "/outbound"},
        },
    }


def test_the_job_reads_the_folder_of_the_known_host(settings, sftp):
    sftp_folders(settings, sftp.storage_options())
    result = read_bank_files.apply().get()
    assert "error" not in result, result


def test_a_host_key_mismatch_is_reported_not_a_traceback(
    settings, sftp, tmp_path, caplog
):
    """Someone else answering for the bank: the job refuses and says so."""
    impostor = asyncssh.generate_private_key("ssh-ed25519")
    sftp.known_hosts.write_text(
        f"[127.0.0.1]:{sftp.port} {impostor.export_public_key().decode()}"
    )
    sftp_folders(settings, sftp.storage_options())
    with caplog.at_level(logging.ERROR):
        result = read_bank_files.apply().get()
    assert "host key other than the one in BANK_SFTP_KNOWN_HOSTS" in result["error"]
    errors = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name.startswith("payouts")
    ]
    assert errors, "the refusal is logged"
    assert all(record.exc_info is None for record in errors)
