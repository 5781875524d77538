"""A payout in the plain words a reseller reads: what the bank said, what to
do next in each state, and its events on the claim's timeline."""

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .bank.reason_codes import reason_words
from .models import Payout, PayoutEvent

K = PayoutEvent.Kind

# The bank's events a reseller sees; a refusal for the vendor's side, a
# repeated confirmation and an entry listed for the operators are theirs only.
RESELLER_BANK_KINDS = [K.BANK_ACCEPTED, K.PAID, K.FAILED, K.BANK_RETURNED]


def _day(event: PayoutEvent) -> str:
    day = event.bank_date or timezone.localdate(event.created_at)
    return formats.date_format(day, "DATE_FORMAT")


def bank_event_words(event: PayoutEvent) -> str:
    """One of the bank's events in a sentence, in the active language."""
    reason = reason_words(event.bank_code, event.message)
    if event.kind == K.BANK_ACCEPTED:
        return _("Accepted by the bank on %(date)s.") % {"date": _day(event)}
    if event.kind == K.PAID:
        return _("Paid on %(date)s.") % {"date": _day(event)}
    if event.kind == K.BANK_RETURNED:
        return _("Returned by the bank on %(date)s: %(reason)s.") % {
            "date": _day(event),
            "reason": reason,
        }
    return _("Refused by the bank: %(reason)s.") % {"reason": reason}


S = Payout.Status

# What the reseller does next in each payout state: the approved claim's next
# step on the claim pages follows it (issue 28). Every state has words; the
# portal's state test renders each state from the transition table.
NEXT_STEPS = {
    S.AWAITING_BANK_DETAILS: gettext_lazy(
        "A company admin submits or confirms the company's bank details on the "
        "payouts page."
    ),
    S.READY: gettext_lazy(
        "Nothing to do: the payment is scheduled once the return period is over."
    ),
    S.SCHEDULED: gettext_lazy(
        "Nothing to do: the payment goes into the next payment run."
    ),
    S.IN_BATCH: gettext_lazy("Nothing to do: the payment has been sent to the bank."),
    S.PAID: gettext_lazy("Nothing more: the reward is paid."),
    S.FAILED: gettext_lazy(
        "The bank refused the payment: we will ask your company admins for bank "
        "details again."
    ),
    S.FORFEITED: gettext_lazy(
        "Nothing more: the reward lapsed because no valid bank details arrived in time."
    ),
    S.CANCELLED: gettext_lazy(
        "Nothing to do now: the payout was cancelled; the claim page says why."
    ),
}

# The payout's events a reseller reads on the claim's timeline; the bank's
# own are worded by `bank_event_words`; those not listed are the operators'.
EVENT_WORDS = {
    K.OPENED: gettext_lazy("A payout was opened for the approved claim."),
    K.NOTICE_SENT: gettext_lazy(
        "We e-mailed your company admins to submit or confirm the bank details."
    ),
    K.REMINDER_SENT: gettext_lazy(
        "We reminded your company admins to submit or confirm the bank details."
    ),
    K.BANK_DETAILS_SUBMITTED: gettext_lazy("Your company submitted bank details."),
    K.BANK_DETAILS_CONFIRMED: gettext_lazy("Your company confirmed its bank details."),
    K.SCHEDULED: gettext_lazy("The payment was scheduled."),
    K.BATCHED: gettext_lazy("The payment was added to a payment run."),
    K.FORFEITED: gettext_lazy(
        "The reward lapsed: no valid bank details arrived in time."
    ),
    K.CANCELLED: gettext_lazy("The payout was cancelled."),
    K.AMOUNT_ADJUSTED: gettext_lazy("The amount to pay was adjusted."),
}


def payout_next_step(status: str) -> str:
    """What the reseller does next while a payout is in `status`."""
    return str(NEXT_STEPS[status])


def payout_event_words(event: PayoutEvent) -> str | None:
    """One payout event in a sentence for the reseller, or None when the
    event is the operators' only."""
    if event.kind in RESELLER_BANK_KINDS:
        return bank_event_words(event)
    words = EVENT_WORDS.get(event.kind)
    return None if words is None else str(words)
