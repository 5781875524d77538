"""The periodic jobs: commands, beat schedules, the operators' deadline summary."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cashback.models import OutboxMessage
from payouts.models import Payout, Reminder
from payouts.services import operators_deadline_summary_send
from payouts.tasks import schedule_payouts, send_reminders
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_beat_schedules_exist_for_operators_to_edit():
    """The data migration puts every payout job in django-celery-beat."""
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "payouts.send_reminders",
        "payouts.schedule_payouts",
        "payouts.deadline_summary",
    } <= tasks


def test_the_operators_group_has_the_payout_permissions():
    """Operators may change payouts and batches but not bank accounts."""
    codenames = set(
        Group.objects.get(name="Operators").permissions.values_list(
            "codename", flat=True
        )
    )
    assert {"change_paymentbatch", "add_exchangerate", "view_bankaccount"} <= codenames
    assert "change_bankaccount" not in codenames


def test_send_reminders_dry_run_changes_nothing():
    """--dry-run prints what would happen; the task does it."""
    due = timezone.now() - dt.timedelta(hours=1)
    PayoutFactory(notified_at=due, bank_details_due_at=due)
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    assert "reminders 1" in out.getvalue()
    assert not Reminder.objects.exists()
    assert send_reminders.delay().get()["reminders"] == 1
    assert Reminder.objects.count() == 1


def test_schedule_payouts_command(time_machine):
    """Ready payouts past their release date are scheduled; dry run first."""
    time_machine.move_to("2027-04-01 08:00:00+00:00", tick=False)
    payout = PayoutFactory(
        status=Payout.Status.READY, release_date=dt.date(2027, 3, 30)
    )
    out = StringIO()
    call_command("schedule_payouts", "--dry-run", stdout=out)
    assert "Would schedule 1" in out.getvalue()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY
    assert schedule_payouts.delay().get() == 1
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SCHEDULED


def test_deadline_summary_lists_near_and_past_payouts():
    """R16: within 7 days and past the deadline, e-mailed to Operators once a day."""
    operator = StaffUserFactory()
    operator.groups.add(Group.objects.get(name="Operators"))
    today = dt.date(2027, 4, 25)
    PayoutFactory(status=Payout.Status.SCHEDULED, payment_deadline=dt.date(2027, 4, 29))
    PayoutFactory(status=Payout.Status.READY, payment_deadline=dt.date(2027, 4, 20))
    PayoutFactory(status=Payout.Status.READY, payment_deadline=dt.date(2027, 5, 20))
    PayoutFactory(status=Payout.Status.PAID, payment_deadline=dt.date(2027, 4, 20))
    assert operators_deadline_summary_send(today=today) == 2
    assert operators_deadline_summary_send(today=today) == 2
    message = OutboxMessage.objects.get(dedup_key__startswith="payouts:deadline")
    assert message.recipients == [operator.email]
    assert "2 payouts" in message.subject


def test_no_summary_when_nothing_is_at_risk():
    """No payouts near their deadline: no e-mail."""
    PayoutFactory(payment_deadline=dt.date(2030, 1, 1))
    assert operators_deadline_summary_send(today=dt.date(2027, 4, 25)) == 0
    assert not OutboxMessage.objects.filter(dedup_key__startswith="payouts:").exists()
