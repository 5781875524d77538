"""Reads of payouts, always scoped to the asking reseller (a foreign id is a 404)."""

from datetime import date

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from cashback.clock import program_today
from resellers.models import CompanyAdminEnd, Reseller, User
from resellers.selectors import reseller_admin_names

from .models import BankAccount, ExchangeRate, Payout, PayoutEvent
from .queue import DEADLINE_PAST, DEADLINE_SOON, deadline_q


def payouts_for_reseller(*, reseller: Reseller, viewer: User) -> QuerySet[Payout]:
    """The company's payouts `viewer` may read (`PayoutQuerySet.seen_by`),
    newest first, with what the list shows: the bank's events a reseller
    reads as `bank_events` (one query per page)."""
    from .presentation import RESELLER_BANK_KINDS

    bank_events = PayoutEvent.objects.filter(kind__in=RESELLER_BANK_KINDS).order_by(
        "created_at", "pk"
    )
    return (
        Payout.objects.filter(reseller=reseller)
        .seen_by(viewer)
        .select_related("claim", "offer", "bank_account__reseller")
        .prefetch_related(
            Prefetch("events", queryset=bank_events, to_attr="bank_events")
        )
        .order_by("-created_at", "-pk")
    )


def payout_for_reseller(*, reseller: Reseller, payout_id: int) -> Payout:
    """One of the company's payouts; another company's id is a 404."""
    return get_object_or_404(
        Payout.objects.select_related("claim", "offer", "bank_account"),
        pk=payout_id,
        reseller=reseller,
    )


def exchange_rate_in_use(*, rate: ExchangeRate) -> bool:
    """Whether a payout was converted with this rate (it is then fixed; the
    database refuses to delete it, Payout.converted_with)."""
    return Payout.objects.filter(converted_with=rate).exists()


def current_bank_account(*, reseller: Reseller) -> BankAccount | None:
    return BankAccount.objects.filter(reseller=reseller, is_current=True).first()


def payouts_at_deadline_risk(
    *, today: date | None = None
) -> tuple[QuerySet[Payout], QuerySet[Payout]]:
    """Open payouts within 7 days of their payment deadline, and past it (R16)."""
    today = today or program_today()
    base = Payout.objects.select_related("claim", "reseller").order_by(
        "payment_deadline", "pk"
    )
    soon = base.filter(deadline_q(DEADLINE_SOON, today))
    past = base.filter(deadline_q(DEADLINE_PAST, today))
    return soon, past


def company_admins(*, reseller: Reseller) -> list[str]:
    """Who may give the company's bank details: its admins' names."""
    return reseller_admin_names(reseller=reseller)


def bank_account_for_objection(*, account_id: int | None) -> BankAccount | None:
    """The account a signed "this was not us" link names (None: no such link)."""
    if account_id is None:
        return None
    return BankAccount.objects.select_related("reseller").filter(pk=account_id).first()


def company_admin_end_for_objection(*, end_id: int | None) -> CompanyAdminEnd | None:
    """The removal or demotion a signed "this was not us" link names."""
    if end_id is None:
        return None
    return (
        CompanyAdminEnd.objects.select_related("reseller", "user", "ended_by")
        .filter(pk=end_id)
        .first()
    )
