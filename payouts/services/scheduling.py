"""Scheduling ready payouts on their release date (R14) and the operators'
daily summary of payment deadlines (R16)."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cashback.clock import program_today
from cashback.outbox import outbox_email_enqueue
from resellers.models import User

from ..models import Payout, PayoutEvent
from ..selectors import payouts_at_deadline_risk
from .reminders import Progress
from .transitions import S, SetStep, locked_batches, payouts_move_set

OPERATORS_GROUP = "Operators"


def payouts_schedule(
    *,
    today: date | None = None,
    dry_run: bool = False,
    batch_size: int = 1000,
    progress: Progress = None,
) -> int:
    """Move ready payouts whose release date has come to scheduled (R14).

    `progress` (for the command's bar) gets the number of payouts of each batch.
    """
    today = today or program_today()
    moved = 0
    due = Payout.objects.filter(status=S.READY, release_date__lte=today)
    for rows in locked_batches(
        due.values_list("pk", "reseller_id", named=True), batch_size=batch_size
    ):
        moved += len(rows)
        if progress:
            progress(len(rows))
        if dry_run:
            continue
        payouts_move_set(
            Payout.objects.filter(pk__in=[row.pk for row in rows]),
            steps=[
                SetStep(
                    kind=PayoutEvent.Kind.SCHEDULED, from_status=S.READY, to=S.SCHEDULED
                )
            ],
            now=timezone.now(),
        )
    return moved


def operators_deadline_summary_send(*, today: date | None = None) -> int:
    """Queue today's summary of payouts near or past their deadline (R16).

    Sent only when there is something to report; once a day (dedup key per day).
    Returns the number of payouts listed.
    """
    today = today or program_today()
    soon, past = payouts_at_deadline_risk(today=today)
    soon, past = list(soon[:200]), list(past[:200])
    if not soon and not past:
        return 0
    operators = User.objects.filter(
        groups__name=OPERATORS_GROUP, is_active=True, is_staff=True
    ).distinct()
    emails = list(operators.values_list("email", flat=True))
    if emails:
        with transaction.atomic():
            outbox_email_enqueue(
                dedup_key=f"payouts:deadline-summary:{today.isoformat()}",
                recipients=emails,
                template="emails/payout_deadline_summary",
                context={
                    "today": today,
                    "count": len(soon) + len(past),
                    "soon": soon,
                    "past": past,
                    "admin_link": settings.PORTAL_URL.rstrip("/")
                    + reverse("admin:payouts_payout_changelist"),
                },
                language="en",
            )
    return len(soon) + len(past)
