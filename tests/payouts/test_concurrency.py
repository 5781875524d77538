"""Races on PostgreSQL: one payout per claim, each reminder once, one file per batch."""

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from cashback.models import OutboxMessage
from claims.models import Claim
from claims.signals import claim_approved
from payouts.models import PaymentBatch, Payout, Reminder
from payouts.services import PayoutError, batch_release, payouts_send_reminders
from tests.payouts.factories import PayoutFactory, approved_claim
from tests.resellers.factories import ReviewerFactory, StaffUserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work: Callable[[], object]) -> list[object]:
    """Run `work` in `count` threads released at once; collect results or errors."""
    barrier = threading.Barrier(count)
    results: list[object] = []

    def target():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


def test_twenty_concurrent_approvals_open_one_payout():
    """20 signal sends for one claim at once: one payout, one notice per language."""
    claim = approved_claim()
    reviewer = ReviewerFactory()

    def send():
        with transaction.atomic():
            claim_approved.send(
                sender=Claim, claim=Claim.objects.get(pk=claim.pk), actor=reviewer
            )
        return Payout.objects.get(claim=claim).pk

    results = run_together(20, send)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Payout.objects.filter(claim=claim).count() == 1
    assert len(set(results)) == 1
    assert OutboxMessage.objects.filter(dedup_key__contains=":notice:").count() == 1


def test_two_concurrent_sweeps_send_each_reminder_once():
    """Two reminder jobs at once share the work; nothing is sent twice."""
    due = timezone.now() - dt.timedelta(minutes=1)
    payouts = [
        PayoutFactory(notified_at=due, bank_details_due_at=due) for _ in range(30)
    ]

    results = run_together(2, lambda: payouts_send_reminders(batch_size=7))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.reminders for r in results) == 30
    assert Reminder.objects.count() == 30
    assert OutboxMessage.objects.filter(dedup_key__contains=":reminder:1").count() == 30
    for payout in payouts:
        payout.refresh_from_db()
        assert payout.reminders_sent == 1
    # Run again right away: the new windows are open, so nothing goes out.
    assert payouts_send_reminders().reminders == 0


def test_two_concurrent_releases_write_one_file():
    """The batch row lock: one release wins, the other is refused."""
    builder, releaser = StaffUserFactory(), StaffUserFactory()
    from payouts.services import batch_create
    from tests.payouts.test_batches import scheduled_payout

    batch = batch_create(currency="SEK", payouts=[scheduled_payout()], operator=builder)
    results = run_together(2, lambda: batch_release(batch=batch, operator=releaser).pk)
    assert sum(isinstance(r, PayoutError) for r in results) == 1
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RELEASED
