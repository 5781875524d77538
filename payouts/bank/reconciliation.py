"""The operators' reconciliation: each released batch with the bank's answers
counted, and the payments the bank has not settled after N business days."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from payouts.models import PaymentBatch

from .models import BatchPayment

A = BatchPayment.Answer
# Answers that still wait for the bank's last word.
WAITING = [A.SENT, A.ACCEPTED]


def business_days_before(day: dt.date, days: int) -> dt.date:
    """The day `days` business days (Monday to Friday) before `day`."""
    while days > 0:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def overdue_since(today: dt.date, days: int | None = None) -> dt.datetime:
    """Released before this moment and not settled: overdue today."""
    if days is None:
        days = settings.BANK_ANSWER_BUSINESS_DAYS
    cutoff = business_days_before(today, days) + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(cutoff, dt.time()))


def batches_reconciled(*, today: dt.date) -> QuerySet[PaymentBatch]:
    """Released batches (newest first), each with its payments counted by the
    bank's answer, and `overdue`: accepted or unanswered N business days after
    release (a silent bank shows here). One query whatever the number."""

    def answered(*answers: str) -> Count:
        return Count("bank_payments", filter=Q(bank_payments__answer__in=answers))

    return (
        PaymentBatch.objects.exclude(status=PaymentBatch.Status.DRAFT)
        .annotate(
            payments=Count("bank_payments"),
            unanswered=answered(A.SENT),
            accepted=answered(A.ACCEPTED),
            booked=answered(A.BOOKED),
            rejected=answered(A.REJECTED),
            returned=answered(A.RETURNED),
            overdue=Count(
                "bank_payments",
                filter=Q(
                    bank_payments__answer__in=WAITING,
                    released_at__lt=overdue_since(today),
                ),
            ),
        )
        .order_by("-released_at", "-pk")
    )
