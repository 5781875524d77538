"""The payout state machine: which moves are allowed, and the only writer of
a payout's and a payment batch's status.

A single payout moves through `payout_lock` then `payout_move` (the row lock,
the check against `TRANSITIONS`, the status, its PayoutEvent and the e-mail
to the company, in the caller's transaction). Many payouts at once (the
reminder sweep, scheduling, a released batch) move through
`payouts_move_set`, which writes one event per row and the new states in two
statements. `locked_batches` is the keyset loop the set-based jobs walk their
rows with. A batch's status is written by `batch_status_write` and
`batch_close_if_done`.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models, transaction
from django.db.models import Case, Expression, F, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from cashback.transitions import status_move
from resellers.models import Reseller, User

from ..models import PaymentBatch, Payout, PayoutEvent
from .errors import PayoutError
from .notifications import notice_enqueue

S = Payout.Status

# The states each state may move to (DESIGN.md "Payout states"). A failed
# payment starts a new bank-details cycle; a refusal for the vendor's side (its
# funds, its file) goes back to scheduled; a paid transfer the bank returns
# (pacs.004) fails; forfeited is final. A payout can be cancelled until its
# batch is released (in_batch); a cancelled one opens a new cycle only when its
# claim is approved again.
TRANSITIONS: dict[str, set[str]] = {
    S.AWAITING_BANK_DETAILS: {S.READY, S.FORFEITED, S.CANCELLED},
    # Back to waiting when the bank refused the account they were to be paid
    # to (holds.bank_account_refuse).
    S.READY: {S.SCHEDULED, S.AWAITING_BANK_DETAILS, S.CANCELLED},
    S.SCHEDULED: {S.IN_BATCH, S.AWAITING_BANK_DETAILS, S.CANCELLED},
    S.IN_BATCH: {S.PAID, S.FAILED, S.SCHEDULED},
    # A return to an account still on file waits in failed for an operator:
    # paid again (ready) or the account refused (a new cycle), issue 27.
    S.FAILED: {S.AWAITING_BANK_DETAILS, S.READY},
    S.PAID: {S.FAILED},
    S.FORFEITED: set(),
    S.CANCELLED: {S.AWAITING_BANK_DETAILS},
}


def transition_allowed(from_status: str, to: str) -> bool:
    """Whether the state machine lets a payout move from one state to another."""
    return to in TRANSITIONS[from_status]


def transition_refuse(from_status: str, to: str, refusal: str | None) -> None:
    if transition_allowed(from_status, to):
        return
    raise PayoutError(
        refusal
        or _("This payout is %(status)s; it cannot become %(to)s now.")
        % {"status": S(from_status).label.lower(), "to": S(to).label.lower()},
        code=PayoutError.Code.TRANSITION_NOT_ALLOWED,
    )


def payout_lock(
    payout: Payout,
    *,
    to: str,
    reseller: Reseller | None = None,
    refusal: str | Callable[[Payout], str] | None = None,
    done: str | None = None,
) -> Payout:
    """The payout row, locked, after checking it may move to `to` now.

    With `reseller`, a payout of another company is refused first. `refusal`
    is the message when the move is not allowed (a generic one otherwise), or
    a function of the locked payout that returns it. A payout already in
    state `done` is returned unchecked: the caller treats a repeated call as
    done.
    """
    locked = (
        Payout.objects.select_for_update(of=("self",))
        .select_related("claim", "reseller", "offer")
        .get(pk=payout.pk)
    )
    if reseller is not None and locked.reseller_id != reseller.pk:
        raise PayoutError(
            _("This payout belongs to another company."),
            code=PayoutError.Code.OTHER_COMPANY,
        )
    if done is not None and locked.status == done:
        return locked
    if callable(refusal):
        refusal = refusal(locked)
    transition_refuse(locked.status, to, refusal)
    return locked


def payout_move(
    payout: Payout,
    *,
    to: str,
    kind: str,
    actor: User | None = None,
    message: str = "",
    reason_code: str = "",
    fields: Iterable[str] = (),
    notice: str | None = None,
    event_fields: dict | None = None,
) -> PayoutEvent:
    """Move a locked payout to `to`: its status (and `fields`, set by the
    caller), the event (with `event_fields`, e.g. the bank's reason code), and
    with `notice` that e-mail template to the company through the outbox
    (delivered after commit)."""
    transition_refuse(payout.status, to, None)
    event = status_move(
        payout,
        to=to,
        event_model=PayoutEvent,
        fields=fields,
        payout=payout,
        kind=kind,
        actor=actor,
        message=message,
        reason_code=reason_code,
        **(event_fields or {}),
    )
    if notice:
        notice_enqueue(payout, template=notice)
    return event


# A payment batch -------------------------------------------------------------


def batch_status_write(
    batch: PaymentBatch, *, to: str, fields: Iterable[str] = ()
) -> None:
    """Write a locked batch's new status (draft -> released or cancelled,
    released -> rejected by the bank), with `fields` set by the caller: with
    `batch_close_if_done`, the only writers of `PaymentBatch.status`."""
    batch.status = to
    batch.save(update_fields=["status", *fields])


def batch_close_if_done(batch_id: int | None) -> None:
    """Close a released batch once none of its payouts waits for the bank."""
    if batch_id is None:
        return
    if not Payout.objects.filter(batch_id=batch_id, status=S.IN_BATCH).exists():
        PaymentBatch.objects.filter(
            pk=batch_id, status=PaymentBatch.Status.RELEASED
        ).update(status=PaymentBatch.Status.CLOSED)


# Set-based moves -------------------------------------------------------------


@dataclass(frozen=True)
class SetStep:
    """What a set-based write does to the rows that match `where`: an event of
    `kind`, and the move `from_status -> to` (no move when `from_status` is
    empty: the event only records the row's unchanged state). `where` None
    is every row no earlier step matched; it must be the last step."""

    kind: str
    to: str
    from_status: str = ""
    where: Q | None = None


def _text(value: str) -> Value:
    return Value(value, output_field=models.CharField())


def _by_step(steps: Sequence[SetStep], attribute: str) -> Expression:
    *matched, last = steps
    default = _text(getattr(last, attribute))
    if not matched:
        return default
    return Case(
        *(When(step.where, then=_text(getattr(step, attribute))) for step in matched),
        default=default,
    )


def payouts_move_set(
    rows: QuerySet[Payout],
    *,
    steps: Sequence[SetStep],
    now: datetime,
    actor: User | None = None,
    message: str | Expression = "",
    **changes,
) -> None:
    """Move many locked payouts in two statements: one PayoutEvent per row of
    `rows` (INSERT ... SELECT, computed from each row's state before the
    UPDATE), then one UPDATE of their status and `changes`.

    Every move in `steps` must be allowed by `TRANSITIONS`; the caller holds
    the rows' locks, so each row is in its step's `from_status`.
    """
    if not steps or any(step.where is None for step in steps[:-1]):
        raise ValueError("Only the last step may match every other row.")
    for step in steps:
        if step.from_status:
            transition_refuse(step.from_status, step.to, None)
    moment = Value(now, output_field=models.DateTimeField())
    columns = {}
    if actor is not None:
        columns["actor"] = Value(actor.pk, output_field=models.IntegerField())
    rows_insert_select(
        PayoutEvent,
        rows,
        payout=F("pk"),
        kind=_by_step(steps, "kind"),
        from_status=_by_step(steps, "from_status"),
        to_status=_by_step(steps, "to"),
        message=_text(message) if isinstance(message, str) else message,
        created_at=moment,
        **columns,
    )
    moves = [step for step in steps if step.from_status]
    if not moves:
        status = F("status")
    elif len(steps) == 1:
        status = _text(steps[0].to)
    else:
        status = Case(
            *(When(step.where, then=_text(step.to)) for step in moves if step.where),
            default=_text(steps[-1].to) if steps[-1].from_status else F("status"),
        )
    rows.update(status=status, updated_at=now, **changes)


def rows_insert_select(model: type[models.Model], rows: QuerySet, **columns) -> None:
    """INSERT INTO the model's table one row per row of `rows`, each column
    (a field name) computed by its expression: the database builds the rows,
    no model instances and no parameters per row (bench, issue 9)."""
    aliases = {f"insert_{name}": value for name, value in columns.items()}
    source = rows.order_by().annotate(**aliases).values_list(*aliases)
    select, params = source.query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    # Names from the model; every value is a parameter.
    statement = f"INSERT INTO {table} ({names}) {select}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def locked_batches(
    rows: QuerySet, *, batch_size: int, skip_locked: bool = True
) -> Iterator[list]:
    """Walk `rows` by primary key in batches, each batch locked in its own
    transaction; the body of the caller's loop runs inside it.

    With `skip_locked`, rows another run holds are skipped, so concurrent runs
    share the work. Leaving the loop early (an exception, break or return)
    rolls the current batch back: nothing of it is half-written. The rows are
    what `rows` yields (instances or named values with a `pk`).
    """
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                rows.select_for_update(skip_locked=skip_locked, of=("self",))
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return
            last_pk = batch[-1].pk
            yield batch
