"""The bank-details calendar (R11, R13): notice, reminders, forfeiture, a new cycle."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cashback.models import OutboxMessage
from cashback.outbox import outbox_relay
from payouts.models import Payout, PayoutEvent, Reminder
from payouts.services import (
    bank_account_confirm,
    bank_account_submit,
    notice_dedup_keys,
    payouts_send_reminders,
)
from payouts.services.notifications import notice_enqueue
from tests.payouts.conftest import account_on_file, approve
from tests.payouts.factories import approved_claim
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
APPROVED = dt.datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
SENT = dt.datetime(2027, 1, 10, 9, 30, tzinfo=UTC)
# Five days after the day it was sent, to the end of that day in Stockholm.
DUE = dt.datetime(2027, 1, 15, 22, 59, 59, 999999, tzinfo=UTC)


def _deliver_at(time_machine, moment):
    time_machine.move_to(moment, tick=False)
    return outbox_relay(older_than=dt.timedelta(0))


def _sweep_at(time_machine, moment):
    time_machine.move_to(moment, tick=False)
    return payouts_send_reminders(now=timezone.now())


@pytest.fixture
def payout(time_machine):
    time_machine.move_to(APPROVED, tick=False)
    claim = approved_claim()
    # A second company admin who reads Swedish: the notice goes to the admins,
    # the only ones who may give bank details (R20).
    UserFactory(reseller=claim.reseller, preferred_language="sv", is_company_admin=True)
    return approve(claim)


def test_the_notice_goes_to_every_admin_in_their_language(payout):
    """On approval one notice per language is queued, with a signed link."""
    messages = OutboxMessage.objects.filter(dedup_key__in=notice_dedup_keys(payout))
    assert {m.dedup_key.rsplit(":", 1)[-1] for m in messages} == {"en", "sv"}
    swedish = messages.get(dedup_key__endswith=":sv")
    assert "/payouts/bank-details/" in swedish.text_body
    assert payout.status == Payout.Status.AWAITING_BANK_DETAILS
    assert payout.notified_at is None  # not sent yet: the window has not started


def test_the_window_counts_from_when_the_notice_was_sent(payout, time_machine):
    """Queued at 09:00, sent at 09:30: five whole days from the day it was sent,
    and not before it was sent."""
    assert _sweep_at(time_machine, APPROVED + dt.timedelta(minutes=5)).reminders == 0
    payout.refresh_from_db()
    assert payout.bank_details_due_at is None
    _deliver_at(time_machine, SENT)
    result = _sweep_at(time_machine, SENT + dt.timedelta(minutes=1))
    payout.refresh_from_db()
    assert result.windows_started == 1
    assert payout.notified_at == SENT
    assert payout.bank_details_due_at == DUE


def test_each_reminder_on_its_day_then_forfeiture(payout, time_machine):
    """Reminders 1, 2, 3 when each window closes; forfeited when the 4th closes."""
    _deliver_at(time_machine, SENT)
    _sweep_at(time_machine, SENT + dt.timedelta(minutes=1))
    due = DUE
    for number in (1, 2, 3):
        assert _sweep_at(time_machine, due - dt.timedelta(minutes=1)).reminders == 0
        result = _sweep_at(time_machine, due + dt.timedelta(minutes=1))
        assert result.reminders == 1
        payout.refresh_from_db()
        assert payout.reminders_sent == number
        assert Reminder.objects.filter(payout=payout, cycle=1, number=number).exists()
        assert OutboxMessage.objects.filter(
            dedup_key=f"payout:{payout.pk}:cycle:1:reminder:{number}:sv"
        ).exists()
        due = due + dt.timedelta(minutes=1) + dt.timedelta(days=5)
        assert payout.bank_details_due_at == due
    assert _sweep_at(time_machine, due - dt.timedelta(minutes=1)).forfeited == 0
    result = _sweep_at(time_machine, due + dt.timedelta(minutes=1))
    payout.refresh_from_db()
    assert result.forfeited == 1
    assert payout.status == Payout.Status.FORFEITED
    assert OutboxMessage.objects.filter(
        dedup_key=f"payout:{payout.pk}:cycle:1:forfeited:en"
    ).exists()
    assert payout.events.filter(kind=PayoutEvent.Kind.FORFEITED).count() == 1
    # Nothing more happens to a forfeited payout.
    later = _sweep_at(time_machine, due + dt.timedelta(days=30))
    assert (later.reminders, later.forfeited) == (0, 0)


def test_a_dry_run_changes_nothing(payout, time_machine):
    """--dry-run reports what would happen and writes nothing."""
    _deliver_at(time_machine, SENT)
    _sweep_at(time_machine, SENT + dt.timedelta(minutes=1))
    time_machine.move_to(SENT + dt.timedelta(days=6), tick=False)
    result = payouts_send_reminders(now=timezone.now(), dry_run=True)
    assert result.reminders == 1
    assert not Reminder.objects.exists()
    payout.refresh_from_db()
    assert payout.reminders_sent == 0


def _submit(payout):
    reseller = payout.reseller
    return bank_account_submit(
        reseller=reseller,
        user=payout.claim.submitted_by,
        beneficiary_name=reseller.legal_name,
        iban="SE45 5000 0000 0583 9825 7466",
        bic="ESSESESS",
        bank_country="SE",
        currency="SEK",
        payout=payout,
    )


def test_details_submitted_before_any_reminder_stop_the_calendar(payout, time_machine):
    """Details within the first window: ready, and no reminder ever goes out."""
    _deliver_at(time_machine, SENT)
    _sweep_at(time_machine, SENT + dt.timedelta(minutes=1))
    time_machine.move_to(SENT + dt.timedelta(days=2), tick=False)
    _submit(payout)
    result = _sweep_at(time_machine, SENT + dt.timedelta(days=40))
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY
    assert (result.reminders, result.forfeited) == (0, 0)


def test_confirming_after_the_second_reminder_still_counts(payout, time_machine):
    """Confirmation after a reminder, inside its window: ready, never forfeited."""
    _deliver_at(time_machine, SENT)
    _sweep_at(time_machine, SENT + dt.timedelta(minutes=1))
    _sweep_at(time_machine, DUE + dt.timedelta(minutes=1))
    _sweep_at(time_machine, DUE + dt.timedelta(days=5, minutes=2))
    payout.refresh_from_db()
    assert payout.reminders_sent == 2
    # An account is on file from another claim of the company.
    account_on_file(payout.reseller, payout.claim.submitted_by)
    bank_account_confirm(
        reseller=payout.reseller, user=payout.claim.submitted_by, payout=payout
    )
    result = _sweep_at(time_machine, SENT + dt.timedelta(days=60))
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY
    assert result.forfeited == 0


def _due(offer, reminders_sent=0, **claim):
    """A payout of `offer` whose bank-details window closed an hour ago."""
    from tests.payouts.factories import PayoutFactory

    due = timezone.now() - dt.timedelta(hours=1)
    return PayoutFactory(
        claim__offer=offer,
        notified_at=due - dt.timedelta(days=5),
        bank_details_due_at=due,
        reminders_sent=reminders_sent,
        **{f"claim__{key}": value for key, value in claim.items()},
    )


def _queries_per_batch(count: int, batch_size: int) -> list[int]:
    """The statements of each batch of the due sweep over `count` payouts of
    two offers (different reminder intervals), every third one forfeited."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.offers.factories import OfferFactory

    offers = [
        OfferFactory(reminder_interval_days=5, max_reminders=3),
        OfferFactory(reminder_interval_days=7, max_reminders=2),
    ]
    for n in range(count):
        offer = offers[n % 2]
        _due(offer, reminders_sent=offer.max_reminders if n % 3 == 0 else 0)
    with CaptureQueriesContext(connection) as captured:
        result = payouts_send_reminders(now=timezone.now(), batch_size=batch_size)
    assert result.reminders + result.forfeited == count
    batches: list[int] = []
    before = 0
    for query in captured.captured_queries:
        if "SAVEPOINT" in query["sql"]:
            continue  # the test's transaction makes each batch's a savepoint
        if "SKIP LOCKED" in query["sql"]:
            batches.append(0)
        if not batches:
            before += 1
            continue
        batches[-1] += 1
    # Before the batches: the held accounts whose notice may have gone out
    # (issue 27), one query when there are none.
    assert before == 1
    return batches


@pytest.mark.postgres  # batches are told apart by their SKIP LOCKED select
def test_the_sweep_runs_a_fixed_number_of_queries_per_batch():
    """Set-based: a batch of a mix of offers, reminders and forfeitures runs
    seven statements (lock, reminders, events, one UPDATE, the admins who
    are reminded, the users told of a forfeiture, outbox), no more for a
    bigger batch or more batches."""
    few = _queries_per_batch(3, batch_size=3)
    Reminder.objects.all().delete()
    Payout.objects.all().delete()
    many = _queries_per_batch(24, batch_size=8)
    assert max(few) == max(many) == 7
    assert len(many) == 1 + 3 + 1  # the windows' empty batch, 3 full, the last


def test_a_mixed_batch_writes_each_payout_its_own_change():
    """One batch: each payout gets its own reminder number, due date by its
    offer's interval, event and e-mail (with a working signed link, in the
    company's language when the user has none); the last one is forfeited."""
    from payouts.services import bank_details_link_payout_id
    from tests.offers.factories import OfferFactory
    from tests.resellers.factories import ResellerFactory

    now = timezone.now()
    five = OfferFactory(reminder_interval_days=5, max_reminders=3)
    seven = OfferFactory(reminder_interval_days=7, max_reminders=2)
    swedish = ResellerFactory(preferred_language="sv")
    first = _due(five, reseller=swedish, submitted_by__preferred_language="")
    second = _due(seven, reminders_sent=1)
    lapsed = _due(seven, reminders_sent=2)
    result = payouts_send_reminders(now=now)
    assert (result.reminders, result.forfeited) == (2, 1)
    for payout in (first, second, lapsed):
        payout.refresh_from_db()
    assert (first.reminders_sent, first.bank_details_due_at) == (
        1,
        now + dt.timedelta(days=5),
    )
    assert (second.reminders_sent, second.bank_details_due_at) == (
        2,
        now + dt.timedelta(days=7),
    )
    assert (lapsed.status, lapsed.reminders_sent) == (Payout.Status.FORFEITED, 2)
    assert set(Reminder.objects.values_list("payout", "cycle", "number")) == {
        (first.pk, 1, 1),
        (second.pk, 1, 2),
    }
    events = {
        e.payout_id: (e.kind, e.from_status, e.to_status, e.message, e.created_at)
        for e in PayoutEvent.objects.all()
    }
    waiting = Payout.Status.AWAITING_BANK_DETAILS
    assert events == {
        first.pk: (PayoutEvent.Kind.REMINDER_SENT, "", waiting, "1/3", now),
        second.pk: (PayoutEvent.Kind.REMINDER_SENT, "", waiting, "2/2", now),
        lapsed.pk: (
            PayoutEvent.Kind.FORFEITED,
            waiting,
            Payout.Status.FORFEITED,
            "",
            now,
        ),
    }
    mail = OutboxMessage.objects.get(
        dedup_key=f"payout:{first.pk}:cycle:1:reminder:1:sv"
    )
    assert first.claim.reference in mail.subject
    token = mail.text_body.split("/payouts/bank-details/")[1].split("/")[0]
    assert bank_details_link_payout_id(token) == first.pk
    assert OutboxMessage.objects.filter(
        dedup_key=f"payout:{lapsed.pk}:cycle:1:forfeited:en"
    ).exists()


def test_the_notice_states_the_due_date_and_the_offers_reminders(payout):
    """The date in each language's format and the program's zone, and the
    offer's number of reminders, not a fixed "third"."""
    payout.offer.max_reminders = 2
    payout.offer.save(update_fields=["max_reminders"])
    OutboxMessage.objects.all().delete()
    with transaction.atomic():
        notice_enqueue(
            Payout.objects.select_related("claim", "offer", "reseller").get(
                pk=payout.pk
            )
        )
    messages = OutboxMessage.objects.filter(dedup_key__in=notice_dedup_keys(payout))
    english = messages.get(dedup_key__endswith=":en")
    swedish = messages.get(dedup_key__endswith=":sv")
    for body in (english.text_body, english.html_body):
        assert "by 15 January 2027 23:59 CET" in body
        assert "we send up to 2 reminders" in body
        assert "third" not in body
    for body in (swedish.text_body, swedish.html_body):
        assert "senast 15 januari 2027 23:59 CET" in body
        assert "upp till 2 påminnelser" in body
        assert "tredje" not in body


def test_the_payouts_page_shows_the_date_of_the_notice_once_sent(
    payout, time_machine, client
):
    """Before the notice goes out, the date it will state and that it is on its
    way (issue 28); then the very date and time the notice states."""
    user = payout.claim.submitted_by
    client.force_login(user)
    url = reverse("payouts:list")
    before = client.get(url).content.decode()
    assert "by 15 January 2027: our e-mail with the link is on its way" in before
    assert "23:59 CET" not in before
    notice = OutboxMessage.objects.get(dedup_key__in=notice_dedup_keys(payout)[:1])
    _deliver_at(time_machine, SENT)
    _sweep_at(time_machine, SENT + dt.timedelta(minutes=1))
    page = client.get(url).content.decode()
    assert "by 15 January 2027 23:59 CET" in page
    assert "by 15 January 2027 23:59 CET" in notice.text_body


def test_a_notice_sent_after_midnight_never_shortens_the_window(time_machine):
    """Queued at 23:50 in Stockholm, delivered at 00:10: the window ends on the
    day five days after the sending, one later than stated, never earlier."""
    queued = dt.datetime(2027, 1, 10, 22, 50, tzinfo=UTC)  # 23:50 CET
    time_machine.move_to(queued, tick=False)
    payout = approve(approved_claim())
    _deliver_at(time_machine, queued + dt.timedelta(minutes=20))
    _sweep_at(time_machine, queued + dt.timedelta(minutes=21))
    payout.refresh_from_db()
    assert payout.bank_details_due_at == DUE + dt.timedelta(days=1)
    assert payout.bank_details_due_at > payout.notified_at + dt.timedelta(days=5)
