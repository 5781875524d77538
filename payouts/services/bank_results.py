"""The bank's answer per payout: paid, or failed for the company's side (a
new bank-details cycle), one payout at a time or from the bank's results
file for a released batch.

The results file is UTF-8 CSV with a header row:

    end_to_end_id,status,bank_reference,reason

`end_to_end_id` is the claim reference we sent in the pain.001 file; `status`
is `paid` or `failed`, or the ISO 20022 codes ACSC/ACCP (paid) and RJCT
(failed). Each row goes through payout_mark_paid / payout_mark_failed, so
applying the same file twice changes nothing the second time.
"""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resellers.models import User

from ..models import PaymentBatch, Payout, PayoutEvent
from .batches import _batch_close_if_done
from .errors import PayoutError
from .notifications import FAILED_TEMPLATE
from .transitions import S, _lock, _move

REQUIRED_COLUMNS = ["end_to_end_id", "status", "bank_reference", "reason"]
PAID = {"paid", "acsc", "accp"}
FAILED = {"failed", "rjct"}


def payout_mark_paid(*, payout: Payout, reference: str, actor: User) -> Payout:
    """The bank paid it; a second call changes nothing."""
    with transaction.atomic():
        locked = _lock(
            payout,
            to=S.PAID,
            refusal=_("Only a payout in a released batch can be marked paid."),
            done=S.PAID,
        )
        if locked.status == S.PAID:
            return locked
        locked.paid_at = timezone.now()
        locked.payment_reference = (reference or locked.claim.reference)[:35]
        _move(
            locked,
            to=S.PAID,
            kind=PayoutEvent.Kind.PAID,
            actor=actor,
            message=locked.payment_reference,
            fields=["paid_at", "payment_reference"],
        )
        _batch_close_if_done(locked.batch_id)
    return locked


def payout_mark_failed(*, payout: Payout, reason: str, actor: User) -> Payout:
    """The bank refused the payment for the company's side (R13): the payout
    is failed, with the bank's reason, then starts a new bank-details cycle
    and the company is told (DESIGN.md "Payout states")."""
    if not (reason or "").strip():
        raise PayoutError(
            _("Give the bank's reason for the failure."),
            code=PayoutError.Code.REASON_REQUIRED,
        )
    with transaction.atomic():
        locked = _lock(
            payout,
            to=S.FAILED,
            refusal=_("Only a payout in a released batch can be marked failed."),
        )
        batch_id = locked.batch_id
        locked.failure_reason = reason.strip()
        _move(
            locked,
            to=S.FAILED,
            kind=PayoutEvent.Kind.FAILED,
            actor=actor,
            message=locked.failure_reason,
            fields=["failure_reason"],
        )
        payout_cycle_restart(payout=locked, actor=actor)
        _batch_close_if_done(batch_id)
    return locked


def payout_cycle_restart(*, payout: Payout, actor: User | None) -> Payout:
    """failed -> awaiting bank details: a new cycle of notice and reminders,
    out of its batch. `payout` is locked by the caller, in its transaction."""
    payout.cycle += 1
    payout.reminders_sent = 0
    payout.notified_at = None
    payout.bank_details_due_at = None
    payout.batch = None
    _move(
        payout,
        to=S.AWAITING_BANK_DETAILS,
        kind=PayoutEvent.Kind.OPENED,
        actor=actor,
        message=_("New bank-details cycle %(cycle)s") % {"cycle": payout.cycle},
        fields=[
            "cycle",
            "reminders_sent",
            "notified_at",
            "bank_details_due_at",
            "batch",
        ],
        notice=FAILED_TEMPLATE,
    )
    return payout


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
