"""Nothing done twice under real concurrency on PostgreSQL: threads, processes
and a worker killed with SIGKILL in the middle of a job. (The one set of
concurrency tests of claims and payouts.)"""

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction
from django.db.models import Count
from django.utils import timezone

from cashback.models import OutboxMessage
from claims.models import Claim, ClaimEvent
from claims.services import ClaimError, claim_approve
from claims.signals import claim_approved
from offers.models import Offer
from payouts.models import PaymentBatch, Payout, PayoutEvent, Reminder
from payouts.services import (
    PayoutError,
    batch_create,
    batch_release,
    payouts_send_reminders,
)
from payouts.tasks import send_reminders
from tests.claims.factories import ClaimFactory
from tests.conftest import ROOT, database_url_for_current_test_database
from tests.offers.factories import OfferFactory
from tests.payouts.factories import PayoutFactory, approved_claim
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import (
    ResellerFactory,
    ReviewerFactory,
    StaffUserFactory,
    UserFactory,
)
from tests.services import CeleryWorker, broker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work: Callable[[], object]) -> list[object]:
    """Run `work` in `count` threads (own connections) released at one barrier."""
    barrier = threading.Barrier(count)
    results: list[object] = []

    def target():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # collected and asserted on by the test
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    return results


def due_payouts(count: int) -> list[Payout]:
    """`count` approved claims of one company, each with a payout whose
    bank-details window closed a minute ago (bulk-created: this is about volume)."""
    reseller = ResellerFactory()
    # Its admin: a company nobody may give bank details for is not reminded.
    user = UserFactory(reseller=reseller, is_company_admin=True)
    offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)
    terms = offer.terms.latest()
    now = timezone.now()
    claims = Claim.objects.bulk_create(
        Claim(
            reference=f"CB-2099-{i:06d}",
            reseller=reseller,
            offer=offer,
            claim_mode=offer.claim_mode,
            submitted_by=user,
            terms=terms,
            terms_accepted_at=now,
            terms_accepted_ip="127.0.0.1",
            status=Claim.Status.APPROVED,
            reward_amount=Decimal("100.00"),
            reward_currency="SEK",
        )
        for i in range(count)
    )
    due = now - dt.timedelta(minutes=1)
    return Payout.objects.bulk_create(
        Payout(
            claim=claim,
            reseller=reseller,
            offer=offer,
            amount=Decimal("100.00"),
            currency="SEK",
            release_date=dt.date(2027, 3, 30),
            payment_deadline=dt.date(2027, 4, 29),
            notified_at=due - dt.timedelta(days=5),
            bank_details_due_at=due,
        )
        for claim in claims
    )


def assert_each_reminded_once(count: int) -> None:
    assert Reminder.objects.count() == count
    assert not Reminder.objects.values("payout").annotate(n=Count("pk")).filter(n__gt=1)
    assert (
        PayoutEvent.objects.filter(kind=PayoutEvent.Kind.REMINDER_SENT).count() == count
    )
    assert set(Payout.objects.values_list("reminders_sent", flat=True)) == {1}
    reminder_mails = OutboxMessage.objects.filter(dedup_key__contains=":reminder:1:")
    assert reminder_mails.count() == count  # one user, one language per payout


def test_fifty_concurrent_approvals_of_one_claim_make_one_payout():
    """50 reviewers press Approve at once: one approval, one event, one payout."""
    claim = ClaimFactory(status=Claim.Status.IN_REVIEW)
    reviewers = [ReviewerFactory() for _ in range(50)]
    turn = iter(reviewers)
    lock = threading.Lock()

    def approve():
        with lock:
            reviewer = next(turn)
        return claim_approve(claim=Claim.objects.get(pk=claim.pk), actor=reviewer)

    results = run_together(50, approve)
    approved = [r for r in results if isinstance(r, Claim)]
    refused = [r for r in results if isinstance(r, ClaimError)]
    assert len(approved) == 1 and len(refused) == 49, results
    assert all(
        e.error_dict["__all__"][0].code == "transition_not_allowed" for e in refused
    )
    assert Payout.objects.filter(claim=claim).count() == 1
    assert ClaimEvent.objects.filter(claim=claim, kind="approved").count() == 1
    payout = Payout.objects.get(claim=claim)
    assert payout.events.filter(kind=PayoutEvent.Kind.OPENED).count() == 1
    assert OutboxMessage.objects.filter(dedup_key__contains=":notice:").count() == 1


def test_twenty_concurrent_approval_signals_open_one_payout():
    """20 claim_approved signals for one claim at once (bypassing the claim's
    row lock): the payout's one-to-one constraint decides, every sender gets
    the same payout, one notice per language is queued."""
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


def test_two_concurrent_sweeps_in_small_batches_send_each_reminder_once():
    """Two reminder jobs in threads, batches of 7: they share the 30 due
    payouts; a run right after finds the new windows open and sends nothing."""
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
    assert payouts_send_reminders().reminders == 0


def test_a_batch_released_by_ten_operators_at_once_gets_one_file():
    """The batch row lock: one release writes the file, nine are refused."""
    builder = StaffUserFactory()
    releasers = [StaffUserFactory() for _ in range(10)]
    payouts = [scheduled_payout(), scheduled_payout()]
    batch = batch_create(currency="SEK", payouts=payouts, operator=builder)
    turn = iter(releasers)
    lock = threading.Lock()

    def release():
        with lock:
            operator = next(turn)
        return batch_release(batch=batch, operator=operator)

    results = run_together(10, release)
    released = [r for r in results if isinstance(r, PaymentBatch)]
    assert len(released) == 1, results
    assert sum(isinstance(r, PayoutError) for r in results) == 9
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RELEASED
    assert batch.payment_file == released[0].payment_file
    assert batch.payment_file_xml().count("<CdtTrfTxInf>") == 2
    assert (
        PayoutEvent.objects.filter(kind=PayoutEvent.Kind.BATCHED).count() == 2
    )  # one per payout, not per release attempt


def manage_py(*args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cashback.settings.test",
        "DATABASE_URL": database_url_for_current_test_database(),
        "REDIS_URL": "",  # e-mails delivered in-process, no shared broker touched
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_reminder_job_run_from_two_processes_sends_each_reminder_once():
    """Two `send_reminders` processes at once share the due payouts; each
    reminder row, event and e-mail exists once."""
    count = 1500
    due_payouts(count)
    processes = [manage_py("send_reminders"), manage_py("send_reminders")]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    done = [int(o.split("reminders ")[1].split(",")[0]) for o in outputs]
    assert sum(done) == count, outputs
    assert_each_reminded_once(count)


def test_a_worker_killed_during_the_reminder_job_loses_and_repeats_nothing(
    private_redis,
):
    """SIGKILL in the middle of the job: acks_late keeps the message; after the
    visibility timeout a new worker runs the job again; it finishes the rest and
    repeats none of what the dead worker had committed."""
    from cashback.celery import app

    count = 3000
    due_payouts(count)
    options = {
        "database_url": database_url_for_current_test_database(),
        "broker_url": private_redis.url,
        "env": {"CELERY_VISIBILITY_TIMEOUT": "2"},
    }
    first = CeleryWorker(**options)
    second = None
    app.conf.task_always_eager = False
    try:
        with broker(private_redis.url):
            first.start()
            send_reminders.apply_async(queue=first.queue)
            assert wait_for(
                lambda: Reminder.objects.exists(), timeout=120, interval=0.02
            ), first.output()
            first.kill()
            done_when_killed = Reminder.objects.count()
            assert 0 < done_when_killed < count, "kill the job in its middle"

            time.sleep(3)  # past the visibility timeout: the message is restored
            second = CeleryWorker(**options, queue=first.queue)
            second.start()
            assert wait_for(lambda: Reminder.objects.count() == count, timeout=180), (
                second.output()
            )
            time.sleep(2)  # nothing more arrives
    finally:
        app.conf.task_always_eager = True
        first.kill()
        if second is not None:
            second.stop()
    assert_each_reminded_once(count)
