"""An import run: the whole file in one transaction, the claims it changed
the ground of validated again, and the admin upload's run and progress."""

import datetime as dt
import io
import logging
from collections.abc import Callable
from typing import TextIO

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AgreementImport, Claim, OpenAgreement
from ..services import claim_validate
from .parsing import ImportResult, LedgerImportError, csv_records
from .postgresql import import_postgresql
from .sqlite import import_batched

logger = logging.getLogger(__name__)


def ledger_import(
    *, stream: TextIO, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import a ledger CSV; raises LedgerImportError (nothing written) when the
    file cannot be imported at all."""
    result = ImportResult()
    with transaction.atomic():
        parser, records = csv_records(stream, result, progress)
        if connection.vendor == "postgresql":
            import_postgresql(parser, records, result)
        else:
            import_batched(parser, records, result)
    if progress:
        progress(result.rows_read)
    return result


# Claims the import changed the ground of --------------------------------------


def claims_revalidate_after_import(
    *, imported_at: dt.datetime | None, actor=None
) -> int:
    """Validate again every undecided claim with an agreement number this
    import inserted or changed (the rows stamped `imported_at`), so reviewers
    never act on a stale "not in the ledger" report. Each claim in its own
    transaction (`claim_validate`); returns how many were revalidated."""
    if imported_at is None:
        return 0
    changed = OpenAgreement.objects.filter(imported_at__gte=imported_at).values(
        "agreement_number"
    )
    claim_ids = list(
        Claim.objects.undecided()
        .filter(agreements__agreement_number__in=changed)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    note = _("Validated again after a ledger import changed its agreements.")
    for claim_id in claim_ids:
        claim_validate(claim_id=claim_id, actor=actor, note=str(note))
    return len(claim_ids)


# The admin upload ------------------------------------------------------------


def progress_key(import_id: int) -> str:
    return f"claims:agreement-import:{import_id}:rows"


def agreement_import_run(*, import_id: int) -> AgreementImport:
    """Run an uploaded import (from the Celery task) and record its result.

    Progress goes to the cache, not the row: the row is only written outside
    the import's transaction, which others cannot see into until it commits.
    """
    with transaction.atomic():
        upload = AgreementImport.objects.select_for_update().get(pk=import_id)
        if upload.status != AgreementImport.Status.PENDING:
            return upload
        upload.status = AgreementImport.Status.RUNNING
        upload.save(update_fields=["status"])
    key = progress_key(import_id)
    try:
        with upload.file.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            result = ledger_import(
                stream=text, progress=lambda rows: cache.set(key, rows, 3600)
            )
    except LedgerImportError as error:
        upload.status = AgreementImport.Status.FAILED
        upload.message = str(error)
    except Exception as error:
        logger.exception("Agreement import %s failed", import_id)
        upload.status = AgreementImport.Status.FAILED
        upload.message = f"Unexpected error, nothing imported: {error}"[:2000]
    else:
        upload.status = AgreementImport.Status.DONE
        upload.rows_read = result.rows_read
        upload.rows_written = result.written
        upload.rows_rejected = result.rejected
        upload.errors = [list(error) for error in result.errors]
        revalidated = claims_revalidate_after_import(
            imported_at=result.imported_at, actor=upload.created_by
        )
        upload.message = (
            f"{result.inserted} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.rejected} rejected; "
            f"{revalidated} open claims validated again"
        )
    upload.finished_at = timezone.now()
    upload.save(
        update_fields=[
            "status",
            "rows_read",
            "rows_written",
            "rows_rejected",
            "errors",
            "message",
            "finished_at",
        ]
    )
    cache.delete(key)
    return upload
