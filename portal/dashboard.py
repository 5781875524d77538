"""What a reseller's overview shows: what to do next first, then where things stand.

The overview belongs to the portal as a whole, so it composes the apps'
models here, in the top layer that may import all of them. Every read is
scoped to the asking reseller and the page runs a fixed number of queries
whatever the number of claims and payouts.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cashback.clock import program_day_end, program_today
from claims.models import Claim
from claims.presentation import ClaimRow, claim_rows
from claims.selectors import claim_list_values
from offers.selectors import offers_visible
from payouts.models import Payout
from payouts.queue import open_q
from resellers.models import Reseller, User
from resellers.selectors import members_waiting_for_approval

RECENT = 5
# The overview lists the most urgent tasks of each kind; the lists hold the rest.
TASKS_PER_KIND = 5


@dataclass(frozen=True)
class Task:
    """One thing the reseller must do, most urgent first."""

    text: str
    url: str
    action: str
    due: dt.datetime | None = None
    urgent: bool = False


@dataclass
class Overview:
    tasks: list[Task] = field(default_factory=list)
    # (text, url) links to the lists when a kind has more tasks than shown.
    more: list[tuple[str, str]] = field(default_factory=list)
    open_offers: int = 0
    claims_by_status: dict[str, int] = field(default_factory=dict)
    claims_total: int = 0
    on_the_way: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)
    recent_claims: list[ClaimRow] = field(default_factory=list)
    recent_payouts: list["PayoutRow"] = field(default_factory=list)


def _payout_tasks(
    reseller: Reseller, viewer: User, now: dt.datetime
) -> tuple[list[Task], bool]:
    tasks = []
    if not viewer.is_approved_member:
        return tasks, False  # the bank details wait for their approval (R20)
    awaiting = list(
        Payout.objects.filter(
            reseller=reseller, status=Payout.Status.AWAITING_BANK_DETAILS
        )
        .order_by("bank_details_due_at", "pk")
        .values_list("pk", "bank_details_due_at", "claim__reference")[
            : TASKS_PER_KIND + 1
        ]
    )
    for pk, due, reference in awaiting[:TASKS_PER_KIND]:
        tasks.append(
            Task(
                text=_("Submit or confirm your bank details for %(reference)s.")
                % {"reference": reference},
                url=reverse("payouts:bank_details", kwargs={"payout_id": pk}),
                action=_("Bank details"),
                due=due,
                urgent=due is not None and due - now <= dt.timedelta(days=3),
            )
        )
    return tasks, len(awaiting) > TASKS_PER_KIND


def _member_tasks(reseller: Reseller, viewer: User) -> tuple[list[Task], bool]:
    """A company admin is asked to approve or remove each member waiting (R20):
    until then the member sees only their own claims."""
    if not viewer.is_company_admin:
        return [], False
    waiting = list(
        members_waiting_for_approval(reseller=reseller).only(
            "pk", "email", "first_name", "last_name"
        )[: TASKS_PER_KIND + 1]
    )
    tasks = [
        Task(
            text=_(
                "%(name)s is waiting for your approval to see the company's "
                "claims and payouts."
            )
            % {"name": member.display_name},
            url=reverse("resellers:member_approve", kwargs={"member_id": member.pk}),
            action=_("Approve or remove"),
        )
        for member in waiting[:TASKS_PER_KIND]
    ]
    return tasks, len(waiting) > TASKS_PER_KIND


def _claim_tasks(
    reseller: Reseller, viewer: User, now: dt.datetime
) -> tuple[list[Task], bool]:
    tasks = []
    claims = Claim.objects.filter(reseller=reseller).seen_by(viewer)
    needing = list(
        (claims.filter(status=Claim.Status.INFO_REQUESTED) | claims.disputable(now))
        .order_by("created_at", "pk")
        # What the task and `dispute_last_day` read: no wide rows.
        .only("reference", "status", "disputed_at", "decided_at")[: TASKS_PER_KIND + 1]
    )
    for claim in needing[:TASKS_PER_KIND]:
        url = reverse("claims:detail", kwargs={"reference": claim.reference})
        if claim.status == Claim.Status.INFO_REQUESTED:
            tasks.append(
                Task(
                    text=_("Upload a copy of the customer invoice for %(reference)s.")
                    % {"reference": claim.reference},
                    url=url,
                    action=_("Upload invoice"),
                    urgent=True,
                )
            )
        else:
            tasks.append(
                Task(
                    text=_(
                        "%(reference)s was rejected. Read the reason; you can "
                        "dispute it once."
                    )
                    % {"reference": claim.reference},
                    url=url,
                    action=_("Read the decision"),
                    due=program_day_end(claim.dispute_last_day),
                )
            )
    return tasks, len(needing) > TASKS_PER_KIND


def _sums_by_currency(rows) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(on the way, paid) per currency from (currency, open, paid) rows."""
    on_the_way: dict[str, Decimal] = defaultdict(Decimal)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for currency, open_total, paid_total in rows:
        if open_total is not None:
            on_the_way[currency] += open_total
        if paid_total is not None:
            paid[currency] += paid_total
    return dict(sorted(on_the_way.items())), dict(sorted(paid.items()))


_AMOUNT = DecimalField(max_digits=14, decimal_places=2)


def _figures(claims, payouts, open_offers):
    """({claim status: count}, open offers, [(currency, on the way, paid)]):
    the overview's three aggregates in one statement (`UNION ALL` of rows
    `kind, key, count, amount, amount`; issue 33)."""
    none = Cast(Value(None), _AMOUNT)
    parts = [
        claims.order_by()
        .values(kind=Value("claims"), key=F("status"))
        .annotate(count=Count("pk"), first=none, second=none),
        open_offers.order_by()
        .values(kind=Value("offers"), key=Value(""))
        .annotate(count=Count("pk"), first=none, second=none),
        payouts.order_by()
        .values(kind=Value("payouts"), key=F("currency"))
        .annotate(
            count=Count("pk"),
            first=Sum("amount", filter=open_q()),
            second=Sum("amount", filter=Q(status=Payout.Status.PAID)),
        ),
    ]
    by_status, open_offer_count, sums = {}, 0, []
    for row in parts[0].union(*parts[1:], all=True):
        if row["kind"] == "claims":
            by_status[row["key"]] = row["count"]
        elif row["kind"] == "offers":
            open_offer_count = row["count"]
        else:
            sums.append((row["key"], row["first"], row["second"]))
    return by_status, open_offer_count, sums


@dataclass(frozen=True)
class PayoutRow:
    reference: str
    amount: Decimal
    currency: str
    status: str


def reseller_overview(
    *, reseller: Reseller, viewer: User, now: dt.datetime | None = None
) -> Overview:
    """Everything the overview shows `viewer` of their company, in a fixed
    number of queries: the claims and payouts they may read (`seen_by`)."""
    now = now or timezone.now()
    today = program_today(now)
    payout_tasks, more_payouts = _payout_tasks(reseller, viewer, now)
    claim_tasks, more_claims = _claim_tasks(reseller, viewer, now)
    member_tasks, more_members = _member_tasks(reseller, viewer)
    tasks = payout_tasks + claim_tasks + member_tasks
    more = []
    if more_members:
        more.append((_("More members wait for approval"), reverse("resellers:company")))
    if more_payouts:
        more.append((_("More payouts wait for bank details"), reverse("payouts:list")))
    if more_claims:
        more.append((_("More claims need you"), reverse("claims:list")))
    far_future = now + dt.timedelta(days=3650)
    tasks.sort(key=lambda task: (not task.urgent, task.due or far_future))

    claims = Claim.objects.filter(reseller=reseller).seen_by(viewer)
    payouts = Payout.objects.filter(reseller=reseller).seen_by(viewer)
    open_offers = offers_visible(reseller=reseller).filter(
        claim_opens_on__lte=today, claim_closes_on__gte=today
    )
    by_status, open_offer_count, sums = _figures(claims, payouts, open_offers)
    on_the_way, paid = _sums_by_currency(sums)
    payout_words = {value: str(label) for value, label in Payout.Status.choices}
    return Overview(
        tasks=tasks,
        more=more,
        open_offers=open_offer_count,
        claims_by_status={
            label: by_status[value]
            for value, label in Claim.Status.choices
            if by_status.get(value)
        },
        claims_total=sum(by_status.values()),
        on_the_way=on_the_way,
        paid=paid,
        recent_claims=claim_rows(
            claim_list_values(claims.order_by("-created_at", "-pk")[:RECENT])
        ),
        recent_payouts=[
            PayoutRow(reference, amount, currency, payout_words.get(status, status))
            for reference, amount, currency, status in payouts.order_by(
                "-created_at", "-pk"
            ).values_list("claim__reference", "amount", "currency", "status")[:RECENT]
        ],
    )
