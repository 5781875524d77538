"""The bank's results file for a released batch: each payout paid or failed.

Banks report per transfer by the end-to-end id we sent in the pain.001 file
(the claim reference). The file is UTF-8 CSV with a header row:

    end_to_end_id,status,bank_reference,reason

`status` is `paid` or `failed`, or the ISO 20022 codes ACSC/ACCP (paid) and
RJCT (failed). Each row goes through payout_mark_paid / payout_mark_failed, so
applying the same file twice changes nothing the second time.
"""

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from resellers.models import User

from .models import PaymentBatch, Payout
from .services import PayoutError, payout_mark_failed, payout_mark_paid

REQUIRED_COLUMNS = ["end_to_end_id", "status", "bank_reference", "reason"]
PAID = {"paid", "acsc", "accp"}
FAILED = {"failed", "rjct"}


class BankResultsError(Exception):
    """The file cannot be applied at all (nothing was written)."""


@dataclass
class BankResults:
    paid: int = 0
    failed: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return _(
            "%(paid)s paid, %(failed)s failed, %(unchanged)s unchanged, "
            "%(problems)s rows with problems."
        ) % {
            "paid": self.paid,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "problems": len(self.problems),
        }


def bank_results_apply(*, batch: PaymentBatch, text: str, actor: User) -> BankResults:
    """Apply the bank's results to the payouts of `batch`, row by row."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise BankResultsError(
            _("The file has no column %(columns)s; nothing was applied.")
            % {"columns": ", ".join(missing)}
        )
    rows = list(reader)
    payouts = {
        payout.claim.reference: payout
        for payout in Payout.objects.filter(
            claim__reference__in=[row["end_to_end_id"].strip() for row in rows]
        ).select_related("claim", "batch")
    }
    result = BankResults()
    for line, row in enumerate(rows, start=2):
        reference = (row["end_to_end_id"] or "").strip()
        status = (row["status"] or "").strip().casefold()
        payout = payouts.get(reference)
        if payout is None:
            result.problems.append(
                _("Line %(line)s: no payout for %(reference)s.")
                % {"line": line, "reference": reference}
            )
            continue
        if payout.batch_id != batch.pk:
            if status in FAILED and payout.batch_id is None and payout.failure_reason:
                result.unchanged += 1  # failed by an earlier run of this file
                continue
            result.problems.append(
                _("Line %(line)s: %(reference)s is not in this batch.")
                % {"line": line, "reference": reference}
            )
            continue
        try:
            if status in PAID:
                was_paid = payout.status == Payout.Status.PAID
                payout_mark_paid(
                    payout=payout, reference=row["bank_reference"].strip(), actor=actor
                )
                if was_paid:
                    result.unchanged += 1
                else:
                    result.paid += 1
            elif status in FAILED:
                payout_mark_failed(
                    payout=payout, reason=(row["reason"] or "").strip(), actor=actor
                )
                result.failed += 1
            else:
                result.problems.append(
                    _("Line %(line)s: unknown status %(status)r.")
                    % {"line": line, "status": row["status"]}
                )
        except PayoutError as error:
            result.problems.append(
                _("Line %(line)s: %(reference)s: %(error)s")
                % {"line": line, "reference": reference, "error": error}
            )
    return result
