"""The inbound job: read each new file in the bank's inbound folder once.

For every file at the top of the inbound folder, in name order:

1. lock the file's name (a PostgreSQL advisory lock held until the file has
   been moved), so two runs at once never read one file twice;
2. read it (messages.bank_message_read); a file that cannot be read is recorded
   as refused, with the reason, and moved to `failed/`;
3. refuse a message id already read, changing nothing (the row's unique
   constraint backs this up against a race between two names);
4. match it to the portal's batches and payouts (`bank_message_match`): a status
   report or return for a batch the portal never sent, or naming a payment that
   is not in that batch, is refused; statement and notification entries that
   are not ours are passed on as `unmatched` (a statement lists all of the
   account's movements);
5. call `apply(context)` - what the message does to payouts - in the same
   transaction as the file's record; if it raises BankFileError the file is
   refused and nothing it wrote is kept;
6. after the commit, move the file to `processed/` (read) or `failed/` (refused,
   with a `<name>.reason.txt` beside it).

A file larger than MAX_FILE_BYTES is refused before it is read; a file whose
name is already in `processed/` is the bank delivering it again and is refused
as `already_read` (recorded, moved to `failed/`), like a copy under a new name.

The wiring of messages to payout transitions is an `apply` function; the
default, `apply_record_only`, records the file and changes no payout.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import Storage
from django.db import IntegrityError, connection, transaction

from payouts.models import PaymentBatch, Payout

from .connection import inbound_storage, storage_move, storage_write_whole
from .messages import (
    CAMT053,
    CAMT054,
    MAX_FILE_BYTES,
    PACS004,
    BankFileError,
    BankMessage,
    BankPayment,
    bank_message_read,
)
from .models import InboundBankFile

logger = logging.getLogger(__name__)

PROCESSED = "processed"
FAILED = "failed"
SKIPPED_SUFFIXES = (".tmp", ".part", ".partial", ".filepart")
MAX_NAME = 200


@dataclass
class InboundContext:
    """What `apply` gets for one message, inside the file's transaction.

    `batches` (by pain.001 message id) and `payouts` (by end-to-end id, the
    claim reference) are locked with SELECT ... FOR UPDATE. `unmatched` holds
    the camt entries that are none of the portal's payments.
    """

    file: InboundBankFile
    message: BankMessage
    batches: dict[str, PaymentBatch] = field(default_factory=dict)
    payouts: dict[str, Payout] = field(default_factory=dict)
    unmatched: list[BankPayment] = field(default_factory=list)

    def payout_for(self, payment: BankPayment) -> Payout | None:
        return self.payouts.get(payment.end_to_end_id)


Apply = Callable[[InboundContext], None]


def apply_record_only(context: InboundContext) -> None:
    """The default: record the file, change no payout (the wiring comes later)."""


@dataclass(frozen=True)
class InboundResult:
    """What became of one file."""

    name: str
    status: str  # InboundBankFile.Status
    message_id: str = ""
    message_type: str = ""
    code: str = ""
    reason: str = ""
    file_id: int | None = None  # the InboundBankFile row


def inbound_summary(results: list[InboundResult]) -> dict:
    """How many files were read and refused, and why each refused one was."""
    refused = [r for r in results if r.status == InboundBankFile.Status.FAILED]
    return {
        "read": len(results) - len(refused),
        "refused": len(refused),
        "reasons": [f"{r.name}: {r.code}: {r.reason}" for r in refused],
    }


def inbound_files_read(
    *, apply: Apply = apply_record_only, storage: Storage | None = None
) -> list[InboundResult]:
    """Read every new file in the inbound folder once; safe to run twice at once."""
    storage = storage or inbound_storage()
    try:
        _folders, names = storage.listdir("")
    except FileNotFoundError:
        return []
    results = []
    for name in sorted(names):
        if name.startswith(".") or name.endswith(SKIPPED_SUFFIXES):
            continue  # hidden, or still being written
        result = inbound_file_read(name=name, apply=apply, storage=storage)
        if result is not None:
            results.append(result)
    return results


def inbound_file_read(
    *, name: str, apply: Apply = apply_record_only, storage: Storage | None = None
) -> InboundResult | None:
    """Read one file of the inbound folder; None when another run has it."""
    storage = storage or inbound_storage()
    with _name_lock(name) as acquired:
        if not acquired or not storage.exists(name):
            return None
        if storage.size(name) > MAX_FILE_BYTES:
            # Refused before a byte of it is read into memory.
            result = _refuse(
                name[:MAX_NAME],
                None,
                BankFileError(
                    "too_large",
                    f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.",
                ),
            )
        else:
            with storage.open(name, "rb") as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
            # A file of this name already in processed/ was read and moved: this
            # is the bank delivering it again, refused as a renamed copy is.
            # Without one, the move after an earlier read was interrupted.
            result = bank_content_read(
                name=name,
                content=content,
                apply=apply,
                finish_earlier_move=not storage.exists(f"{PROCESSED}/{name}"),
            )
        folder = PROCESSED if result.status == InboundBankFile.Status.READ else FAILED
        target = _free_name(storage, f"{folder}/{name}")
        storage_move(storage, name, target)
        if folder == FAILED:
            storage_write_whole(
                storage,
                f"{target}.reason.txt",
                f"{result.code}: {result.reason}\n".encode(),
            )
    logger.info("bank file %s: %s %s", name, result.status, result.reason)
    return result


def bank_content_read(
    *,
    name: str,
    content: bytes,
    apply: Apply = apply_record_only,
    finish_earlier_move: bool = False,
    awaiting: InboundBankFile | None = None,
) -> InboundResult:
    """Read one file's content and apply it, in one transaction; record the outcome.

    The same path serves the inbound folder and an uploaded file once a second
    operator confirmed it: `awaiting` is then the upload's row, locked by the
    caller in its transaction, which becomes read or refused instead of a new
    row being written. A refused file is recorded with its reason and changes
    nothing else. `finish_earlier_move` (the folder job): a file of this name
    whose message was read already is the same file, left behind when the
    process stopped between the commit and the move; it is reported read, not
    refused.
    """
    name = name[:MAX_NAME]
    try:
        message = bank_message_read(content)
    except BankFileError as error:
        return _refuse(name, None, error, awaiting)
    try:
        with transaction.atomic():
            earlier = (
                InboundBankFile.objects.select_for_update()
                .filter(
                    message_id=message.message_id, status=InboundBankFile.Status.READ
                )
                .first()
            )
            if finish_earlier_move and earlier is not None and earlier.name == name:
                # Read before, and the move to processed/ did not happen
                # (the process stopped in between): finish it, change nothing.
                return _result(earlier)
            if earlier is not None:
                raise _already_read(earlier)
            record = _record(
                awaiting,
                name=name,
                message_id=message.message_id,
                message_type=message.message_type,
                original_message_id=message.original_message_id,
                status=InboundBankFile.Status.READ,
            )
            apply(bank_message_match(message=message, file=record))
    except BankFileError as error:
        return _refuse(name, message, error, awaiting)
    except IntegrityError:
        # Another run read the same message id under another name meanwhile.
        earlier = InboundBankFile.objects.filter(
            message_id=message.message_id, status=InboundBankFile.Status.READ
        ).first()
        return _refuse(name, message, _already_read(earlier), awaiting)
    return _result(record)


def bank_upload_record(
    *, name: str, content: bytes, content_encrypted: str, uploaded_by
) -> InboundResult:
    """Record a file an operator uploaded, to wait for a second operator.

    A file that cannot be read, or whose message was read already, is refused
    at once (recorded with its uploader); any other is kept encrypted and
    changes nothing until it is confirmed (`bank_content_read(awaiting=...)`).
    """
    name = name[:MAX_NAME]
    message = None
    try:
        message = bank_message_read(content)
        earlier = InboundBankFile.objects.filter(
            message_id=message.message_id, status=InboundBankFile.Status.READ
        ).first()
        if earlier is not None:
            raise _already_read(earlier)
    except BankFileError as error:
        record = _record(
            None,
            **_refusal_fields(name, message, error),
            uploaded_by=uploaded_by,
        )
        return _result(record, code=error.code, reason=error.reason)
    record = InboundBankFile.objects.create(
        name=name,
        message_id=message.message_id,
        message_type=message.message_type,
        original_message_id=message.original_message_id,
        status=InboundBankFile.Status.AWAITING,
        content_encrypted=content_encrypted,
        uploaded_by=uploaded_by,
    )
    return _result(record)


def bank_message_match(
    *, message: BankMessage, file: InboundBankFile
) -> InboundContext:
    """Find and lock the batches and payouts a message is about.

    A status report names the pain.001 it answers: it must be one of ours,
    and each payment it names must be in that batch, or the file is refused.
    A statement or notification must be about the vendor's paying account
    (PAYOUT_DEBTOR_IBAN), or the file is refused; it lists every movement on
    the account, so entries that are not ours are kept aside as `unmatched`.
    A return (pacs.004) counts only for a payment it names with both the
    batch's message id and its end-to-end id; any other is `unmatched`, for
    the discrepancy list, never a payout changed (issue 27).
    """
    context = InboundContext(file=file, message=message)
    listing = message.kind in {CAMT053, CAMT054}
    if listing:
        _paying_account_check(message)
    setting_aside = listing or message.kind == PACS004
    names = message.original_message_ids
    context.batches = {
        batch.message_id: batch
        for batch in PaymentBatch.objects.select_for_update()
        .filter(message_id__in=names)
        .exclude(status=PaymentBatch.Status.DRAFT)
        .order_by("pk")
    }
    unknown = sorted(names - context.batches.keys())
    if unknown and not setting_aside:
        raise BankFileError(
            "unknown_batch",
            f"The file answers payment file {', '.join(unknown)}, "
            "which the portal never sent.",
        )
    references = {p.end_to_end_id for p in message.payments if p.end_to_end_id}
    candidates = (
        Payout.objects.select_for_update(of=("self",))
        .filter(claim__reference__in=references, batch__isnull=False)
        .select_related("claim", "batch")
        .order_by("pk")
    )
    by_reference = {payout.claim.reference: payout for payout in candidates}
    for payment in message.payments:
        payout = by_reference.get(payment.end_to_end_id)
        names_batch = bool(payment.original_message_id) or message.kind != PACS004
        in_named_batch = (
            payout is not None
            and names_batch
            and (
                not payment.original_message_id
                or payout.batch.message_id == payment.original_message_id
            )
        )
        if in_named_batch:
            context.payouts[payment.end_to_end_id] = payout
        elif setting_aside:
            context.unmatched.append(payment)
        else:
            raise BankFileError(
                "not_ours",
                f"End-to-end id {payment.end_to_end_id!r} is not a payment of "
                f"payment file {payment.original_message_id or '?'}.",
            )
    return context


def _paying_account_check(message: BankMessage) -> None:
    """A statement or notification of another account is not the bank's word
    on our payments: refused whole."""
    paying = settings.PAYOUT_DEBTOR_IBAN.replace(" ", "").upper()
    others = sorted(message.accounts - {paying})
    if others or not message.accounts:
        raise BankFileError(
            "not_our_account",
            "The file is about account "
            f"{', '.join(a or '(none named)' for a in others) or '(none named)'}, "
            f"not the paying account {paying}.",
        )


def _already_read(earlier: InboundBankFile | None) -> BankFileError:
    where = (
        f" as {earlier.name} on {earlier.received_at:%Y-%m-%d %H:%M}" if earlier else ""
    )
    return BankFileError(
        "already_read", f"This message was already read{where}; nothing was changed."
    )


def _refusal_fields(
    name: str, message: BankMessage | None, error: BankFileError
) -> dict:
    return {
        "name": name,
        "message_id": (message.message_id if message else "")[:35],
        "message_type": message.message_type if message else "",
        "original_message_id": (message.original_message_id if message else "")[:35],
        "status": InboundBankFile.Status.FAILED,
        "reason": f"{error.code}: {error.reason}",
    }


def _record(awaiting: InboundBankFile | None, **fields) -> InboundBankFile:
    """A new row, or the awaiting upload's row brought up to date."""
    if awaiting is None:
        return InboundBankFile.objects.create(**fields)
    for field_name, value in fields.items():
        setattr(awaiting, field_name, value)
    awaiting.save(update_fields=list(fields))
    return awaiting


def _refuse(
    name: str,
    message: BankMessage | None,
    error: BankFileError,
    awaiting: InboundBankFile | None = None,
) -> InboundResult:
    record = _record(awaiting, **_refusal_fields(name, message, error))
    return _result(record, code=error.code, reason=error.reason)


def _result(record: InboundBankFile, code: str = "", reason: str = "") -> InboundResult:
    return InboundResult(
        name=record.name,
        status=record.status,
        message_id=record.message_id,
        message_type=record.message_type,
        code=code,
        reason=reason,
        file_id=record.pk,
    )


def _free_name(storage: Storage, wanted: str) -> str:
    """`wanted`, or `wanted` with a number when a file of that name is already there."""
    candidate, number = wanted, 1
    while storage.exists(candidate):
        number += 1
        candidate = f"{wanted}.{number}"
    return candidate


@contextmanager
def _name_lock(name: str) -> Iterator[bool]:
    """A session-level advisory lock on the file's name, held across the move.

    Held past the commit so a second run cannot see the file between the
    commit and its move. On SQLite (a single local process) there is nothing
    to lock against.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = f"payouts.bank.inbound:{name}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
