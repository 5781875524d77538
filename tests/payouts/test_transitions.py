"""The payout state machine: the transition table, `payout_move` for one payout,
`payouts_move_set` for many, the keyset loop, and the failed state (DESIGN.md
"Payout states")."""

import datetime as dt

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q
from django.utils import timezone

from cashback.errors import PortalError
from claims.services import ClaimError
from payouts.models import Payout, PayoutEvent
from payouts.services import (
    TRANSITIONS,
    PayoutError,
    batch_create,
    batch_release,
    payouts_schedule,
    transition_allowed,
)
from payouts.services.transitions import (
    SetStep,
    locked_batches,
    payout_move,
    payouts_move_set,
)
from portal.steppers import payout_steps
from tests.payouts.bank.answers import report
from tests.payouts.conftest import approve
from tests.payouts.factories import PayoutFactory, approved_claim
from tests.payouts.test_bank_details import submit
from tests.payouts.test_batches import scheduled_payout

pytestmark = pytest.mark.django_db
S = Payout.Status


def test_every_state_is_in_the_table_and_can_be_stored():
    """No state is never stored: each one is the opening state or the target
    of an allowed move, and every target is a state."""
    assert set(TRANSITIONS) == set(S)
    targets = set().union(*TRANSITIONS.values())
    opening = Payout._meta.get_field("status").default
    assert targets | {opening} == set(S)
    assert TRANSITIONS[S.FORFEITED] == set()
    # Paid is final but for the bank returning the transfer (pacs.004).
    assert TRANSITIONS[S.PAID] == {S.FAILED}


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (S.PAID, S.READY),
        (S.AWAITING_BANK_DETAILS, S.PAID),
        (S.READY, S.IN_BATCH),
        (S.FORFEITED, S.AWAITING_BANK_DETAILS),
        (S.SCHEDULED, S.FAILED),
    ],
)
def test_move_refuses_a_transition_the_table_does_not_allow(start, to):
    """`payout_move` checks the table: an illegal move raises a coded PayoutError and
    writes neither the status nor an event."""
    payout = PayoutFactory(status=start)
    assert not transition_allowed(start, to)
    with pytest.raises(PayoutError) as caught:
        payout_move(payout, to=to, kind=PayoutEvent.Kind.PAID)
    assert caught.value.code == PayoutError.Code.TRANSITION_NOT_ALLOWED
    payout.refresh_from_db()
    assert payout.status == start
    assert not payout.events.exists()


def test_move_writes_status_and_event_for_an_allowed_transition():
    """The positive side: an allowed move stores the state and one event."""
    payout = PayoutFactory(status=S.READY)
    event = payout_move(payout, to=S.SCHEDULED, kind=PayoutEvent.Kind.SCHEDULED)
    payout.refresh_from_db()
    assert payout.status == S.SCHEDULED
    assert (event.from_status, event.to_status) == (S.READY, S.SCHEDULED)
    assert list(payout.events.values_list("kind", flat=True)) == ["scheduled"]


def test_a_failed_payment_is_stored_as_failed_then_starts_a_new_cycle(operators):
    """in_batch -> failed (stored, with its event and the bank's reason) ->
    awaiting_bank_details in a new cycle, with the failed-payment notice."""
    payout = scheduled_payout()
    batch = batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    batch_release(batch=batch, operator=operators[1])

    report(batch, {payout: ("RJCT", "AC01")})

    payout.refresh_from_db()
    assert payout.status == S.AWAITING_BANK_DETAILS
    assert (payout.cycle, payout.batch_id) == (2, None)
    assert (payout.failure_code, payout.failure_reason) == ("AC01", "AC01")
    # The failed state was written to the row, not only named in an event.
    stored = list(
        payout.history.order_by("history_date", "history_id").values_list(
            "status", flat=True
        )
    )
    assert stored[-2:] == [S.FAILED, S.AWAITING_BANK_DETAILS]
    events = list(
        payout.events.order_by("pk").values_list(
            "kind", "from_status", "to_status", "bank_code"
        )
    )
    assert events[-2:] == [
        ("failed", S.IN_BATCH, S.FAILED, "AC01"),
        ("opened", S.FAILED, S.AWAITING_BANK_DETAILS, ""),
    ]


def test_the_stepper_shows_the_failed_state_as_a_stopped_step():
    """The stepper names a failed payout's state (the bank-file issue leaves
    payouts in it) and stops there."""
    steps = payout_steps(PayoutFactory(status=S.FAILED))
    assert str(S.FAILED.label) in [str(step.label) for step in steps]


def test_schedule_writes_one_event_per_moved_row():
    """The set-based helper: each scheduled payout gets its own event; a
    payout not due is neither moved nor given an event."""
    due = [approve(approved_claim()) for _ in range(3)]
    for payout in due:
        submit(payout)
    later = approve(approved_claim())
    submit(later)
    Payout.objects.filter(pk=later.pk).update(release_date=dt.date(2099, 1, 1))

    assert payouts_schedule(today=due[0].release_date, batch_size=2) == 3

    scheduled = PayoutEvent.objects.filter(kind=PayoutEvent.Kind.SCHEDULED)
    assert sorted(scheduled.values_list("payout_id", flat=True)) == sorted(
        p.pk for p in due
    )
    assert set(scheduled.values_list("from_status", "to_status")) == {
        (S.READY, S.SCHEDULED)
    }
    assert set(
        Payout.objects.filter(pk__in=[p.pk for p in due]).values_list(
            "status", flat=True
        )
    ) == {S.SCHEDULED}
    later.refresh_from_db()
    assert later.status == S.READY
    assert not later.events.filter(kind=PayoutEvent.Kind.SCHEDULED).exists()


def test_move_set_writes_each_step_its_own_event_and_state(operators):
    """Two steps in one batch: the rows of the first move, the others only
    get their event; one event per row, with the actor and the message."""
    moved = [PayoutFactory(status=S.AWAITING_BANK_DETAILS) for _ in range(2)]
    stay = PayoutFactory(status=S.AWAITING_BANK_DETAILS)
    rows = Payout.objects.filter(pk__in=[p.pk for p in (*moved, stay)])

    payouts_move_set(
        rows,
        steps=[
            SetStep(
                kind=PayoutEvent.Kind.FORFEITED,
                from_status=S.AWAITING_BANK_DETAILS,
                to=S.FORFEITED,
                where=Q(pk__in=[p.pk for p in moved]),
            ),
            SetStep(kind=PayoutEvent.Kind.REMINDER_SENT, to=S.AWAITING_BANK_DETAILS),
        ],
        now=timezone.now(),
        actor=operators[0],
        message="why",
    )

    events = PayoutEvent.objects.order_by("payout_id")
    columns = ("payout_id", "kind", "from_status", "to_status")
    assert list(events.values_list(*columns)) == [
        (moved[0].pk, "forfeited", S.AWAITING_BANK_DETAILS, S.FORFEITED),
        (moved[1].pk, "forfeited", S.AWAITING_BANK_DETAILS, S.FORFEITED),
        (stay.pk, "reminder_sent", "", S.AWAITING_BANK_DETAILS),
    ]
    assert set(events.values_list("actor_id", "message")) == {(operators[0].pk, "why")}
    assert dict(rows.values_list("pk", "status")) == {
        moved[0].pk: S.FORFEITED,
        moved[1].pk: S.FORFEITED,
        stay.pk: S.AWAITING_BANK_DETAILS,
    }


def test_move_set_refuses_a_step_the_table_does_not_allow():
    """A set-based write is held to the same table; nothing is written."""
    payout = PayoutFactory(status=S.READY)
    with pytest.raises(PayoutError):
        payouts_move_set(
            Payout.objects.filter(pk=payout.pk),
            steps=[SetStep(kind=PayoutEvent.Kind.PAID, from_status=S.READY, to=S.PAID)],
            now=timezone.now(),
        )
    payout.refresh_from_db()
    assert payout.status == S.READY
    assert not PayoutEvent.objects.exists()


def test_locked_batches_walks_every_row_once_in_key_order():
    """The keyset loop: batches of the given size, in primary-key order."""
    payouts = [PayoutFactory() for _ in range(5)]
    batches = [
        [row.pk for row in batch]
        for batch in locked_batches(Payout.objects.all(), batch_size=2)
    ]
    assert batches == [
        [payouts[0].pk, payouts[1].pk],
        [payouts[2].pk, payouts[3].pk],
        [payouts[4].pk],
    ]


def test_an_error_inside_a_batch_rolls_that_batch_back():
    """Leaving the loop by an exception undoes the current batch's writes and
    keeps the batches before it."""
    payouts = [PayoutFactory(reminders_sent=0) for _ in range(4)]
    with pytest.raises(RuntimeError):
        for number, batch in enumerate(
            locked_batches(Payout.objects.all(), batch_size=2)
        ):
            Payout.objects.filter(pk__in=[p.pk for p in batch]).update(reminders_sent=9)
            if number == 1:
                raise RuntimeError("stop")
    written = dict(Payout.objects.values_list("pk", "reminders_sent"))
    assert [written[p.pk] for p in payouts] == [9, 9, 0, 0]


def test_payout_and_claim_errors_share_one_base_with_codes():
    """Views catch PortalError: a payout refusal carries a code and a field."""
    payout = approve(approved_claim())
    with pytest.raises(PortalError) as caught:
        submit(payout, beneficiary_name="Someone Else", currency="XXX")
    error = caught.value
    assert isinstance(error, PayoutError)
    assert set(error.message_dict) == {"beneficiary_name", "currency"}
    assert PayoutError.Code.CURRENCY_NOT_OFFERED in error.codes
    assert PayoutError.Code.INVALID_BANK_DETAILS in error.codes
    assert issubclass(ClaimError, PortalError)
    assert PayoutError("x", code="c").message_dict == {NON_FIELD_ERRORS: ["x"]}
