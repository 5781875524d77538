"""The bank connection: two folders, as Django storages named in settings.

`bank_outbound` is where the portal puts a released batch's pain.001 for the
bank to pick up; `bank_inbound` is where the bank leaves its answers. Both are
local folders under var/bank/ by default and folders on the bank's SFTP host in
production (settings: BANK_SFTP_*). A file is written under a temporary name
and renamed when complete, so the bank (or our own inbound job) never reads half
a file: banks, and the mock bank in the tests, ignore `.tmp` names.
"""

import logging
import os
import posixpath

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils.translation import gettext as _

from payouts.models import PaymentBatch

from .models import OutboundBankFile

logger = logging.getLogger(__name__)

OUTBOUND = "bank_outbound"
INBOUND = "bank_inbound"
TEMPORARY_SUFFIX = ".tmp"


class BankConnectionError(Exception):
    """The file could not be put in or moved within a bank folder."""


def outbound_storage() -> Storage:
    return storages[OUTBOUND]


def inbound_storage() -> Storage:
    return storages[INBOUND]


def storage_move(storage: Storage, source: str, target: str) -> None:
    """Rename `source` to `target` inside one storage, replacing nothing.

    Storages have no rename; a rename is what makes a file appear whole, so
    the two backends the portal uses do it natively. Any other backend copies
    and deletes (not atomic: acceptable only for tests and local use).
    """
    if storage.exists(target):
        raise BankConnectionError(
            _("%(target)s already exists in the bank folder.") % {"target": target}
        )
    sftp = getattr(storage, "sftp", None) if hasattr(storage, "_remote_path") else None
    if sftp is not None:  # django-storages' SFTPStorage
        target_path = storage._remote_path(target)
        directory = posixpath.dirname(target_path)
        if directory and not storage._path_exists(directory):
            storage._mkdir(directory)
        sftp.posix_rename(storage._remote_path(source), target_path)
        return
    try:
        source_path, target_path = storage.path(source), storage.path(target)
    except NotImplementedError:
        with storage.open(source, "rb") as handle:
            storage.save(target, ContentFile(handle.read()))
        storage.delete(source)
        return
    os.makedirs(os.path.dirname(target_path), exist_ok=True)
    os.replace(source_path, target_path)


def storage_write_whole(storage: Storage, name: str, content: bytes) -> None:
    """Write `content` as `name`, appearing only when complete (temporary + rename)."""
    temporary = storage.save(name + TEMPORARY_SUFFIX, ContentFile(content))
    try:
        storage_move(storage, temporary, name)
    except Exception:
        storage.delete(temporary)
        raise


def outbound_file_name(batch: PaymentBatch) -> str:
    return f"pain.001-{batch.message_id}.xml"


def batch_file_send(*, batch: PaymentBatch) -> OutboundBankFile:
    """Put a released batch's pain.001 in the bank's outbound folder, once.

    A second call returns the first call's record and writes nothing: the batch
    row is locked and the record is unique per batch, so two calls at once
    cannot both write. The file is written before the record commits; if the
    write fails, nothing is recorded and the call can be repeated.
    """
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        existing = OutboundBankFile.objects.filter(batch=locked).first()
        if existing is not None:
            return existing
        if locked.status == PaymentBatch.Status.DRAFT or not locked.payment_file:
            raise BankConnectionError(
                _("Only a released batch with a payment file can be sent to the bank.")
            )
        name = outbound_file_name(locked)
        record = OutboundBankFile.objects.create(batch=locked, name=name)
        storage_write_whole(
            outbound_storage(), name, locked.payment_file_xml().encode()
        )
    return record


def batch_files_send_unsent() -> int:
    """Send every released batch whose file is not in the outbound folder yet
    (its task was lost to a broker outage, or the folder was unreachable).
    Returns how many were sent; one that fails is logged and tried next run."""
    sent = 0
    unsent = PaymentBatch.objects.filter(
        status=PaymentBatch.Status.RELEASED, outbound_file__isnull=True
    ).order_by("pk")
    for batch in unsent:
        try:
            batch_file_send(batch=batch)
        except (BankConnectionError, OSError) as error:
            logger.warning("Batch %s not sent to the bank: %s", batch, error)
            continue
        sent += 1
    return sent
