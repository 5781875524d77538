"""Opening the payout of an approved claim (R11, R14), and a new bank-details
cycle for a payout the bank refused or returned, or whose account it refused
(R13)."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from claims.models import Claim, ClaimAgreement, OpenAgreement
from resellers.models import User

from ..models import Payout, PayoutEvent
from .errors import PayoutError
from .notifications import FAILED_TEMPLATE, NOTICE_TEMPLATE, notice_enqueue
from .transitions import S, payout_lock, payout_move


def _release_date(claim: Claim) -> date:
    """The later of the calculation date and last sale + return period (R14)."""
    offer = claim.offer
    numbers = ClaimAgreement.objects.filter(claim=claim, is_active=True).values(
        "agreement_number"
    )
    last_sale = OpenAgreement.objects.filter(agreement_number__in=numbers).aggregate(
        last=Max("sale_date")
    )["last"]
    if last_sale is None:
        return offer.calculation_date
    days = offer.return_period_days_for(claim.reseller.country)
    return max(offer.calculation_date, last_sale + timedelta(days=days))


def payout_open(*, claim: Claim) -> Payout:
    """Open the one payout of an approved claim and queue the bank-details notice.

    Idempotent: a second call (or a concurrent one) returns the existing payout;
    the one-to-one constraint on the claim decides races.
    """
    if claim.reward_to_pay is None:
        raise PayoutError(
            _("The approved claim has no reward amount."),
            code=PayoutError.Code.NO_REWARD_AMOUNT,
        )
    with transaction.atomic():
        existing = Payout.objects.filter(claim=claim).first()
        if existing is not None and existing.status == Payout.Status.CANCELLED:
            return _reopen(existing, claim)
        if existing is not None:
            return existing
        offer = claim.offer
        try:
            with transaction.atomic():
                payout = Payout.objects.create(
                    claim=claim,
                    reseller=claim.reseller,
                    offer=offer,
                    amount=claim.reward_to_pay,
                    currency=claim.reward_currency or offer.reward_currency,
                    release_date=_release_date(claim),
                    payment_deadline=offer.calculation_date
                    + timedelta(days=offer.payment_term_days),
                )
        except IntegrityError:
            # Another transaction opened it first; it has committed by now.
            return Payout.objects.get(claim=claim)
        PayoutEvent.objects.create(
            payout=payout,
            kind=PayoutEvent.Kind.OPENED,
            to_status=payout.status,
        )
        notice_enqueue(payout)
    return payout


def _reopen(payout: Payout, claim: Claim) -> Payout:
    """A claim approved again after its approval was reversed: its cancelled
    payout opens a new bank-details cycle for the amount now approved."""
    payout = payout_lock(payout, to=Payout.Status.AWAITING_BANK_DETAILS)
    payout.amount = claim.reward_to_pay
    payout.currency = claim.reward_currency or claim.offer.reward_currency
    payout.cycle += 1
    payout.batch = None
    payout.bank_account = None
    payout.payout_amount = None
    payout.payout_currency = ""
    payout.exchange_rate = None
    payout.converted_with = None
    payout.notified_at = None
    payout.bank_details_due_at = None
    payout.reminders_sent = 0
    payout_move(
        payout,
        to=Payout.Status.AWAITING_BANK_DETAILS,
        kind=PayoutEvent.Kind.OPENED,
        fields=[
            "amount",
            "currency",
            "cycle",
            "batch",
            "bank_account",
            "payout_amount",
            "payout_currency",
            "exchange_rate",
            "converted_with",
            "notified_at",
            "bank_details_due_at",
            "reminders_sent",
        ],
        notice=NOTICE_TEMPLATE,
    )
    return payout


def payout_cycle_restart(*, payout: Payout, actor: User | None) -> Payout:
    """failed -> awaiting bank details: a new cycle of notice and reminders,
    out of its batch. `payout` is locked by the caller, in its transaction."""
    payout.cycle += 1
    payout.reminders_sent = 0
    payout.notified_at = None
    payout.bank_details_due_at = None
    payout.batch = None
    payout_move(
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


def on_claim_approved(sender, *, claim: Claim, actor=None, **kwargs) -> None:
    """Receiver of claims.signals.claim_approved: runs in the approving transaction."""
    payout_open(claim=claim)
