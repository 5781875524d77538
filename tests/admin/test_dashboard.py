"""The admin index dashboard: each figure against data built for it, each link
to a changelist listing exactly the rows the figure counts, fixed query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from payouts.models import Payout, PayoutEvent, Reminder
from portal.admin_dashboard import dashboard_build
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory
from tests.payouts.factories import PayoutFactory

pytestmark = pytest.mark.django_db
NOW = "2026-11-26 12:00:00+01:00"  # a Thursday


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return timezone.now()


def claim_aged(days: float, **kwargs) -> Claim:
    claim = ClaimFactory(**kwargs)
    Claim.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )
    return claim


def listed(client, url) -> list:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(response.context["cl"].queryset)


@pytest.fixture
def program(now):
    """Claims and payouts for every figure, with known counts and sums."""
    offer = OfferFactory()
    other = OfferFactory()
    # The queue: 2 under two days, 1 of 2-7 days, 3 over 7 (one disputed).
    claim_aged(0.5, offer=offer)
    claim_aged(1.5, offer=offer, status=Claim.Status.IN_REVIEW)
    claim_aged(3, offer=other)
    claim_aged(8, offer=other)
    claim_aged(20, offer=other, status=Claim.Status.IN_REVIEW)
    claim_aged(9, offer=other, status=Claim.Status.DISPUTED)
    # Not waiting for a reviewer: never counted in the queue.
    claim_aged(10, offer=offer, status=Claim.Status.INFO_REQUESTED)
    claim_aged(10, offer=offer, status=Claim.Status.REJECTED)

    def payout(status, **kwargs):
        claim = ClaimFactory(offer=offer, status=Claim.Status.APPROVED)
        return PayoutFactory(claim=claim, status=status, **kwargs)

    today = timezone.localdate()
    payout("awaiting_bank_details", payment_deadline=today + dt.timedelta(days=3))
    payout("ready", payment_deadline=today + dt.timedelta(days=7))
    payout("ready", payment_deadline=today + dt.timedelta(days=8))  # not at risk
    payout("failed", payment_deadline=today - dt.timedelta(days=1))  # past
    payout("paid", payment_deadline=today - dt.timedelta(days=1))  # paid: no risk
    payout("scheduled", payout_amount=Decimal("100.00"), payout_currency="EUR")
    payout("in_batch", payout_amount=Decimal("50.00"), payout_currency="EUR")
    paid = payout(
        "paid",
        payout_amount=Decimal("80.00"),
        payout_currency="EUR",
        paid_at=timezone.now() - dt.timedelta(days=40),
    )
    payout(
        "paid",
        payout_amount=Decimal("900.00"),
        payout_currency="SEK",
        paid_at=timezone.now(),
    )
    forfeited = payout("forfeited", amount=Decimal("5000.00"))
    payout("ready", amount=Decimal("200.00"), currency="EUR")
    # This week began on Monday 23 November: one reminder and one forfeit in it,
    # one of each before it.
    week_payout = Payout.objects.filter(status="awaiting_bank_details").get()
    in_week = Reminder.objects.create(payout=week_payout, cycle=1, number=1)
    before = Reminder.objects.create(payout=week_payout, cycle=1, number=2)
    Reminder.objects.filter(pk=in_week.pk).update(
        sent_at=timezone.now() - dt.timedelta(days=2)
    )
    Reminder.objects.filter(pk=before.pk).update(
        sent_at=timezone.now() - dt.timedelta(days=4)
    )
    PayoutEvent.objects.create(payout=forfeited, kind="forfeited")
    old = PayoutEvent.objects.create(payout=paid, kind="forfeited")
    PayoutEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=5)
    )
    return offer, other


def test_the_queue_counts_claims_waiting_by_age(program, admin_client):
    """Under 2 days, 2-7 and over 7 days; invoice requests and decisions excluded,
    and each link lists exactly the claims counted."""
    queue = dashboard_build().queue
    assert [figure.value for figure in queue] == [2, 1, 3]
    for figure in queue:
        claims = listed(admin_client, figure.url)
        assert len(claims) == figure.value
        assert {c.status for c in claims} <= {"submitted", "in_review", "disputed"}


def test_claims_by_status_per_offer(program, admin_client):
    """A row per offer with the count of each status, linking to those claims."""
    offer, other = program
    rows = {row["title"]: row for row in dashboard_build().claims_by_offer}
    mine = {c.label: c for c in rows[offer.title_en]["cells"]}
    assert mine["Submitted"].value == 1
    assert mine["In review"].value == 1
    assert mine["Invoice requested"].value == 1
    assert mine["Rejected"].value == 1
    assert mine["Approved"].value == 11  # one per payout
    assert rows[offer.title_en]["total"].value == 15
    theirs = {c.label: c.value for c in rows[other.title_en]["cells"]}
    assert theirs["Submitted"] == 2 and theirs["Disputed"] == 1
    assert len(listed(admin_client, mine["Approved"].url)) == 11
    assert len(listed(admin_client, rows[other.title_en]["total"].url)) == 4


def test_payouts_by_state(program, admin_client):
    """Every state with its count; the link lists those payouts."""
    states = {figure.label: figure for figure in dashboard_build().payouts_by_status}
    assert states["Ready"].value == 3
    assert states["Paid"].value == 3
    assert states["Forfeited"].value == 1
    assert states["Payment failed"].value == 1
    assert len(listed(admin_client, states["Ready"].url)) == 3


def test_money_per_currency(program, admin_client):
    """Approved in the reward currency (forfeited excluded); scheduled and paid in
    the currency paid out; the links list the payouts summed."""
    money = {row.currency: row for row in dashboard_build().money}
    # 9 SEK payouts of 1000 (the forfeited one is not counted).
    assert money["SEK"].approved.value == Decimal("9000.00")
    assert money["EUR"].approved.value == Decimal("200.00")
    assert money["EUR"].scheduled.value == Decimal("150.00")
    assert money["EUR"].paid.value == Decimal("80.00")
    assert money["SEK"].paid.value == Decimal("900.00")
    assert money["SEK"].scheduled.value == Decimal("0.00")
    approved = listed(admin_client, money["SEK"].approved.url)
    assert sum(p.amount for p in approved) == Decimal("9000.00")
    scheduled = listed(admin_client, money["EUR"].scheduled.url)
    assert sum(p.payout_amount for p in scheduled) == Decimal("150.00")
    paid = listed(admin_client, money["SEK"].paid.url)
    assert sum(p.payout_amount for p in paid) == Decimal("900.00")


def test_deadline_risk(program, admin_client):
    """Open payouts due within 7 days, and past the deadline (paid ones never)."""
    board = dashboard_build()
    assert board.deadline_soon.value == 2
    assert board.deadline_past.value == 1
    assert len(listed(admin_client, board.deadline_soon.url)) == 2
    assert [p.status for p in listed(admin_client, board.deadline_past.url)] == [
        "failed"
    ]


def test_reminders_and_forfeits_this_week(program, admin_client):
    """Counted since Monday 00:00 in Stockholm; the links list the same rows."""
    board = dashboard_build()
    assert board.reminders_this_week.value == 1
    assert board.forfeited_this_week.value == 1
    assert len(listed(admin_client, board.reminders_this_week.url)) == 1
    assert [p.status for p in listed(admin_client, board.forfeited_this_week.url)] == [
        "forfeited"
    ]


def test_charts_count_per_day_and_month(program, admin_client):
    """Claims filed per day over 30 days; money paid per month per currency."""
    board = dashboard_build()
    days = board.claims_per_day.bars
    assert len(days) == 30
    assert days[-1].label == "26 November"  # MONTH_DAY_FORMAT
    # Today: the 0.5-day claim and the 11 payouts' claims plus 2 more (rejected
    # and info requested are 10 days old).
    assert (
        days[-1].value
        == Claim.objects.filter(created_at__date=dt.date(2026, 11, 26)).count()
    )
    assert days[-4].value == 1  # the 3-day-old claim
    assert len(listed(admin_client, days[-4].url)) == 1
    tallest = max(days, key=lambda bar: bar.value)
    assert tallest.height == 140 and tallest.y == 0
    charts = {chart.key: chart for chart in board.money_per_month}
    assert set(charts) == {"paid-eur", "paid-sek"}
    eur = {bar.label: bar.value for bar in charts["paid-eur"].bars}
    assert eur["October 2026"] == Decimal("80.00")
    assert eur["November 2026"] == 0
    # The bars read as money (issue 28), the counts as counts.
    texts = {bar.label: bar.text for bar in charts["paid-eur"].bars}
    assert texts["October 2026"] == "EUR\xa080.00"
    assert charts["paid-eur"].maximum_text == "EUR\xa080.00"
    assert days[-4].text == "1"
    assert len(charts["paid-eur"].bars) == 12
    october = next(b for b in charts["paid-eur"].bars if b.label == "October 2026")
    assert [p.payout_amount for p in listed(admin_client, october.url)] == [
        Decimal("80.00")
    ]


def test_the_admin_index_shows_the_dashboard_with_svg_and_links(program, admin_client):
    """Staff land on the dashboard: figures link to changelists, charts are
    inline SVG without style attributes (the CSP forbids them)."""
    response = admin_client.get(reverse("admin:index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Claims waiting for review" in html
    assert "?waiting=gt7" in html
    assert "?deadline=past" in html
    assert '<svg role="group"' in html and "<rect" in html
    assert "style=" not in html.split('id="dashboard-title"')[1].split("</section>")[0]


def test_the_dashboard_runs_a_fixed_number_of_queries(now, admin_client):
    """More claims, offers and payouts do not add queries to the admin index."""

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(reverse("admin:index")).status_code == 200
        return len(queries)

    PayoutFactory(
        status="paid", payout_amount=1, payout_currency="EUR", paid_at=timezone.now()
    )
    ClaimFactory()
    few = count()
    for _ in range(3):
        PayoutFactory(
            status="paid",
            payout_amount=1,
            payout_currency="SEK",
            paid_at=timezone.now(),
        )
        ClaimFactory(status=Claim.Status.DISPUTED)
    assert count() == few


def test_staff_without_claims_or_payouts_see_no_dashboard(client):
    """A staff member without view permission on claims or payouts sees the
    plain index."""
    from tests.resellers.factories import StaffUserFactory

    client.force_login(StaffUserFactory())
    response = client.get(reverse("admin:index"))
    assert "Claims waiting for review" not in response.content.decode()


def test_reviewers_see_the_claims_part_without_payout_figures(program, client):
    """The Reviewers group may not view payouts, so its members see the queue
    and the claims figures but no payout figure, money, chart or link to the
    payouts changelist, which they could not open anyway."""
    from django.contrib.auth.models import Group

    from tests.resellers.factories import StaffUserFactory

    reviewer = StaffUserFactory()
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    assert client.get(reverse("admin:payouts_payout_changelist")).status_code == 403
    html = client.get(reverse("admin:index")).content.decode()
    dashboard = html.split('id="dashboard-title"')[1].split("</section>")[0]
    assert "Claims waiting for review" in dashboard
    assert "?waiting=gt7" in dashboard
    assert 'id="dashboard-offers"' in dashboard
    for payout_part in (
        "dashboard-deadline",
        "dashboard-week",
        "dashboard-payouts",
        "dashboard-money",
        "paid-eur",
        reverse("admin:payouts_payout_changelist"),
        reverse("admin:payouts_reminder_changelist"),
    ):
        assert payout_part not in dashboard, payout_part


def test_payout_viewers_without_claims_see_only_the_payout_part(program, client):
    """The other way round: view_payout alone shows the money and the payouts,
    not the claims queue."""
    from django.contrib.auth.models import Permission

    from tests.resellers.factories import StaffUserFactory

    operator = StaffUserFactory()
    operator.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="payouts", codename="view_payout"
        )
    )
    client.force_login(operator)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="dashboard-money"' in html and "?deadline=past" in html
    assert 'id="dashboard-queue"' not in html
    assert (
        reverse("admin:claims_claim_changelist")
        not in html.split('id="dashboard-title"')[1].split("</section>")[0]
    )


def test_dashboard_build_reads_only_the_parts_asked_for(now):
    """Parts the viewer may not see are not even computed: fewer queries, and
    their figures stay empty."""
    with CaptureQueriesContext(connection) as claims_only:
        board = dashboard_build(payouts=False)
    assert board.queue and board.claims_per_day is not None
    assert board.payouts_by_status == [] and board.money == []
    assert board.deadline_soon is None and board.money_per_month == []
    with CaptureQueriesContext(connection) as everything:
        dashboard_build()
    assert len(claims_only) < len(everything)
