"""Statement jobs: thin, they call the services."""

import datetime as dt

from celery import shared_task

from . import services


@shared_task(name="statements.issue_payment_documents")
def issue_payment_documents(payout_id: int, batch_id: int, booked_on: str) -> int:
    """The statement and VAT document of a booked payment (idempotent)."""
    statement = services.payment_documents_issue(
        payout_id=payout_id,
        batch_id=batch_id,
        booked_on=dt.date.fromisoformat(booked_on),
    )
    return statement.pk


@shared_task(name="statements.correct_payment_documents")
def correct_payment_documents(payout_id: int, batch_id: int, reason: str) -> int:
    """The correction of a returned payment's VAT document (idempotent)."""
    document = services.payment_documents_correct(
        payout_id=payout_id, batch_id=batch_id, reason=reason
    )
    return document.pk


@shared_task(name="statements.issue_missing")
def issue_missing() -> int:
    """Issue what a lost enqueue left out: booked payments without documents."""
    return services.payment_documents_issue_missing()
