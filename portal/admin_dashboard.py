"""The staff dashboard on the admin index: where the program stands.

It composes claims and payouts, so it lives in the portal, above both. Every
figure is one aggregate query, whatever the number of rows, and comes with the
admin changelist URL that lists the rows behind it.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cashback.clock import program_today, week_start
from cashback.money import money
from claims.models import Claim
from claims.queue import AGE_BUCKETS, waiting_age_q
from payouts.models import BankAccount, Payout, PayoutEvent, Reminder
from payouts.queue import (
    DEADLINE_PAST,
    DEADLINE_SOON,
    NO_ADMIN,
    SCHEDULED_STATUSES,
    deadline_q,
    no_admin_q,
    open_q,
)

CLAIM_CHART_DAYS = 30
MONEY_CHART_MONTHS = 12


def claims_url(**params) -> str:
    """The claims changelist filtered by `params`."""
    return _url("admin:claims_claim_changelist", params)


def payouts_url(**params) -> str:
    """The payouts changelist filtered by `params`."""
    return _url("admin:payouts_payout_changelist", params)


def _url(name: str, params: dict) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{reverse(name)}?{query}" if query else reverse(name)


@dataclass
class Figure:
    """A number on the dashboard and the changelist listing what it counts."""

    label: str
    value: int | Decimal
    url: str


@dataclass
class Bar:
    """One bar of a chart, with its place in the SVG drawn by the template."""

    label: str
    value: int | Decimal
    url: str
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    text: str = ""  # the value as read: a count, or money in the chart's currency

    @property
    def middle(self) -> float:
        """Where the bar's label is centred."""
        return round(self.x + self.width / 2, 1)


@dataclass
class Chart:
    """A bar chart laid out on the server: the template only draws rectangles."""

    key: str
    title: str
    bars: list[Bar]
    width: int = 600
    height: int = 160
    maximum: int | Decimal = 0
    axis_labels: list[Bar] = field(default_factory=list)
    currency: str = ""  # a chart of money: its values read as money
    maximum_text: str = ""

    def _text(self, value: int | Decimal) -> str:
        return money(value, self.currency) if self.currency else str(value)

    def layout(self) -> "Chart":
        self.maximum = max((bar.value for bar in self.bars), default=0)
        self.maximum_text = self._text(self.maximum)
        slot = self.width / max(len(self.bars), 1)
        plot = self.height - 20  # room for the labels underneath
        for index, bar in enumerate(self.bars):
            share = float(bar.value) / float(self.maximum) if self.maximum else 0
            bar.width = round(slot * 0.8, 1)
            bar.x = round(index * slot + slot * 0.1, 1)
            bar.height = round(plot * share, 1)
            bar.y = round(plot - bar.height, 1)
            bar.text = self._text(bar.value)
        # Label every few bars so the text never overlaps.
        step = max(1, len(self.bars) // 6)
        self.axis_labels = self.bars[::step]
        return self


@dataclass
class CurrencyTotals:
    """Money approved (reward currency), scheduled and paid (payout currency)."""

    currency: str
    approved: Figure
    scheduled: Figure
    paid: Figure


@dataclass
class Dashboard:
    """The dashboard's figures; a part the viewer may not see is left empty
    (and not computed): claims need claims.view_claim, money and payouts
    payouts.view_payout."""

    show_claims: bool = False
    show_payouts: bool = False
    queue: list[Figure] = field(default_factory=list)
    claims_by_offer: list[dict] = field(default_factory=list)
    claim_statuses: list[tuple[str, str]] = field(default_factory=list)
    claims_per_day: Chart | None = None
    payouts_by_status: list[Figure] = field(default_factory=list)
    money: list[CurrencyTotals] = field(default_factory=list)
    deadline_soon: Figure | None = None
    deadline_past: Figure | None = None
    reminders_this_week: Figure | None = None
    forfeited_this_week: Figure | None = None
    money_per_month: list[Chart] = field(default_factory=list)
    needs_operator: list[Figure] = field(default_factory=list)


def queue_by_age(now: dt.datetime) -> list[Figure]:
    """Claims waiting for a reviewer: under 2 days old, 2 to 7, over 7 (1 query)."""
    counts = Claim.objects.aggregate(
        **{
            key: Count("pk", filter=waiting_age_q(key, now))
            for key, _label, _start, _end in AGE_BUCKETS
        }
    )
    return [
        Figure(str(label), counts[key], claims_url(waiting=key))
        for key, label, _start, _end in AGE_BUCKETS
    ]


def claims_by_offer() -> tuple[list[dict], list[tuple[str, str]]]:
    """Per offer, the number of claims in each status (1 query)."""
    rows = (
        Claim.objects.values("offer_id", "offer__title_en", "offer__title_sv", "status")
        .annotate(count=Count("pk"))
        .order_by("offer_id", "status")
    )
    statuses = list(Claim.Status.choices)
    offers: dict[int, dict] = {}
    for row in rows:
        title = (
            row["offer__title_sv"]
            if translation.get_language() == "sv"
            else row["offer__title_en"]
        )
        offer = offers.setdefault(
            row["offer_id"], {"title": title, "counts": {}, "total": 0}
        )
        offer["counts"][row["status"]] = row["count"]
        offer["total"] += row["count"]
    table = []
    for offer_id, offer in offers.items():
        cells = [
            Figure(
                label,
                offer["counts"].get(value, 0),
                claims_url(offer__id__exact=offer_id, status__exact=value),
            )
            for value, label in statuses
        ]
        table.append(
            {
                "title": offer["title"],
                "cells": cells,
                "total": Figure(
                    "", offer["total"], claims_url(offer__id__exact=offer_id)
                ),
            }
        )
    return table, [(str(label), value) for value, label in statuses]


def payouts_by_status() -> list[Figure]:
    """How many payouts are in each state (1 query)."""
    counts = dict(
        Payout.objects.values_list("status").annotate(count=Count("pk")).order_by()
    )
    return [
        Figure(str(label), counts.get(value, 0), payouts_url(status__exact=value))
        for value, label in Payout.Status.choices
    ]


def money_by_currency() -> list[CurrencyTotals]:
    """Approved, scheduled and paid amounts per currency (2 queries).

    Approved is every payout's reward (an approved claim opens one), in the
    reward currency, forfeited ones excluded; scheduled (scheduled or in a
    batch) and paid are in the currency the money leaves in.
    """
    zero = Decimal("0.00")
    approved = dict(
        Payout.objects.exclude(status=Payout.Status.FORFEITED)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    outgoing = (
        Payout.objects.filter(
            status__in=[*SCHEDULED_STATUSES, Payout.Status.PAID],
            payout_amount__isnull=False,
        )
        .values("payout_currency")
        .annotate(
            scheduled=Sum("payout_amount", filter=Q(status__in=SCHEDULED_STATUSES)),
            paid=Sum("payout_amount", filter=Q(status=Payout.Status.PAID)),
        )
        .order_by()
    )
    sent = {row["payout_currency"]: row for row in outgoing}
    totals = []
    for currency in sorted(set(approved) | set(sent)):
        row = sent.get(currency, {})
        totals.append(
            CurrencyTotals(
                currency=currency,
                approved=Figure(
                    currency,
                    approved.get(currency) or zero,
                    payouts_url(
                        currency__exact=currency,
                        status__in=",".join(
                            value
                            for value in Payout.Status.values
                            if value != Payout.Status.FORFEITED
                        ),
                    ),
                ),
                scheduled=Figure(
                    currency,
                    row.get("scheduled") or zero,
                    payouts_url(scheduled="yes", payout_currency__exact=currency),
                ),
                paid=Figure(
                    currency,
                    row.get("paid") or zero,
                    payouts_url(status__exact="paid", payout_currency__exact=currency),
                ),
            )
        )
    return totals


def deadline_risk(today: dt.date) -> tuple[Figure, Figure]:
    """Open payouts due within 7 days of the payment deadline, and past it (1 query)."""
    counts = Payout.objects.filter(open_q()).aggregate(
        soon=Count("pk", filter=deadline_q(DEADLINE_SOON, today)),
        past=Count("pk", filter=deadline_q(DEADLINE_PAST, today)),
    )
    return (
        Figure(
            _("Within 7 days of the deadline"),
            counts["soon"],
            payouts_url(deadline=DEADLINE_SOON),
        ),
        Figure(
            _("Past the deadline"),
            counts["past"],
            payouts_url(deadline=DEADLINE_PAST),
        ),
    )


def needs_operator() -> list[Figure]:
    """What waits for an operator's decision (issue 27): payouts nobody at
    the company may give bank details for, and new accounts held because the
    notice of them has not reached every admin or that share another
    company's number (2 queries)."""
    no_admin = Payout.objects.filter(no_admin_q()).count()
    accounts = BankAccount.objects.aggregate(
        undelivered=Count("pk", filter=BankAccount.notice_undelivered_q()),
        shared=Count("pk", filter=BankAccount.shared_waiting_q()),
    )
    return [
        Figure(
            _("No one can give bank details"),
            no_admin,
            payouts_url(admin=NO_ADMIN),
        ),
        Figure(
            _("Account notices not delivered yet"),
            accounts["undelivered"],
            _url("admin:payouts_bankaccount_changelist", {"notice": "undelivered"}),
        ),
        Figure(
            _("Accounts shared with another company, to decide"),
            accounts["shared"],
            _url("admin:payouts_bankaccount_changelist", {"notice": "shared"}),
        ),
    ]


def this_week(since: dt.datetime) -> tuple[Figure, Figure]:
    """Reminders sent and payouts forfeited since Monday (2 queries)."""
    reminders = Reminder.objects.filter(sent_at__gte=since).count()
    forfeited = PayoutEvent.objects.filter(
        kind=PayoutEvent.Kind.FORFEITED, created_at__gte=since
    ).count()
    return (
        Figure(
            _("Reminders sent this week"),
            reminders,
            f"{reverse('admin:payouts_reminder_changelist')}?sent=week",
        ),
        Figure(
            _("Payouts forfeited this week"),
            forfeited,
            payouts_url(forfeited="week"),
        ),
    )


def claims_per_day(today: dt.date) -> Chart:
    """Claims filed on each of the last 30 days (1 query)."""
    first = today - dt.timedelta(days=CLAIM_CHART_DAYS - 1)
    since = dt.datetime.combine(
        first, dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    counts = dict(
        Claim.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    bars = []
    for offset in range(CLAIM_CHART_DAYS):
        day = first + dt.timedelta(days=offset)
        bars.append(
            Bar(
                date_format(day, "MONTH_DAY_FORMAT"),
                counts.get(day, 0),
                claims_url(created_at__date=day.isoformat()),
            )
        )
    return Chart("claims-per-day", _("Claims filed per day"), bars).layout()


def _month_add(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def money_per_month(today: dt.date) -> list[Chart]:
    """Money paid per month for the last 12 months, one chart per currency (1 query)."""
    first = _month_add(today.replace(day=1), -(MONEY_CHART_MONTHS - 1))
    since = dt.datetime.combine(
        first, dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    rows = (
        Payout.objects.filter(status=Payout.Status.PAID, paid_at__gte=since)
        .annotate(month=TruncMonth("paid_at"))
        .values_list("payout_currency", "month")
        .annotate(total=Sum("payout_amount"))
        .order_by()
    )
    by_currency: dict[str, dict[dt.date, Decimal]] = {}
    for currency, month, total in rows:
        month = month.date() if isinstance(month, dt.datetime) else month
        by_currency.setdefault(currency, {})[month] = total or Decimal("0")
    charts = []
    for currency in sorted(by_currency):
        bars = []
        for offset in range(MONEY_CHART_MONTHS):
            month = _month_add(first, offset)
            bars.append(
                Bar(
                    date_format(month, "YEAR_MONTH_FORMAT"),
                    by_currency[currency].get(month, Decimal("0")),
                    payouts_url(
                        status__exact="paid",
                        payout_currency__exact=currency,
                        paid_at__year=month.year,
                        paid_at__month=month.month,
                    ),
                )
            )
        title = _("Paid per month (%(currency)s)") % {"currency": currency}
        charts.append(
            Chart(f"paid-{currency.lower()}", title, bars, currency=currency).layout()
        )
    return charts


def dashboard_build(*, claims: bool = True, payouts: bool = True) -> Dashboard:
    """The staff dashboard, in a fixed number of queries (4 for the claims'
    part, 8 for the payouts'): only the parts asked for are read, so a reviewer
    who may not see payouts gets no payout figure, link or chart."""
    now = timezone.now()
    board = Dashboard(show_claims=claims, show_payouts=payouts)
    if claims:
        board.queue = queue_by_age(now)
        board.claims_by_offer, board.claim_statuses = claims_by_offer()
        board.claims_per_day = claims_per_day(timezone.localdate(now))
    if payouts:
        board.payouts_by_status = payouts_by_status()
        board.money = money_by_currency()
        board.deadline_soon, board.deadline_past = deadline_risk(program_today())
        board.reminders_this_week, board.forfeited_this_week = this_week(
            week_start(now)
        )
        board.money_per_month = money_per_month(timezone.localdate(now))
        board.needs_operator = needs_operator()
    return board
