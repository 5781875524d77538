"""The cooling-off of a new account counts from delivery, not from queueing
(issue 27): the account is paid only once the notice of it was handed to the
mail server for every admin, and a stuck or failed notice keeps it held and
shows on the operators' dashboard."""

import datetime as dt
import socket

import pytest
from django.utils import timezone

from cashback.models import OutboxMessage
from cashback.outbox import outbox_relay
from payouts.models import BankAccount
from payouts.services import payouts_send_reminders
from payouts.services.holds import account_payment_block
from portal.admin_dashboard import dashboard_build
from tests.payouts.bank.conftest import reseller_iban
from tests.payouts.conftest import approve
from tests.payouts.factories import approved_claim
from tests.payouts.test_bank_details import submit

pytestmark = pytest.mark.django_db

QUEUED = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
DELIVERED = QUEUED + dt.timedelta(days=10)


def closed_port() -> int:
    """A local port nothing listens on: the mail server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def undelivered_figure() -> int:
    figures = {f.label: f.value for f in dashboard_build(claims=False).needs_operator}
    return figures["Account notices not delivered yet"]


def test_a_stuck_or_failed_notice_keeps_the_account_held(settings, time_machine):
    settings.BANK_ACCOUNT_COOLING_OFF_DAYS = 3
    time_machine.move_to(QUEUED, tick=False)
    payout = approve(approved_claim())
    account = submit(payout, iban=reseller_iban(payout.pk), delivered=False)
    notice = OutboxMessage.objects.get(
        dedup_key__startswith=f"bank-account:{account.pk}:new"
    )

    # Stuck: queued, never handed to the mail server (a worker down).
    time_machine.move_to(QUEUED + dt.timedelta(days=5), tick=False)
    payouts_send_reminders(now=timezone.now())
    account.refresh_from_db()
    assert "has not reached every company admin" in account_payment_block(
        account, now=timezone.now()
    )
    assert undelivered_figure() == 1

    # Failed: the mail server refuses the connection.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_TIMEOUT = 2
    outbox_relay(older_than=dt.timedelta(0))
    notice.refresh_from_db()
    assert notice.sent_at is None and notice.last_error
    payouts_send_reminders(now=timezone.now())
    account.refresh_from_db()
    assert account.admins_told_at is None
    assert account_payment_block(account, now=timezone.now()) is not None

    # Delivered ten days after it was queued: three days from then.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(DELIVERED, tick=False)
    assert outbox_relay(older_than=dt.timedelta(0)) >= 1
    time_machine.move_to(DELIVERED + dt.timedelta(minutes=15), tick=False)
    assert payouts_send_reminders(now=timezone.now()).accounts_told == 1
    account.refresh_from_db()
    assert account.admins_told_at == DELIVERED
    assert account.cooling_off_until == DELIVERED + dt.timedelta(days=3)
    assert undelivered_figure() == 0
    almost = DELIVERED + dt.timedelta(days=3) - dt.timedelta(minutes=1)
    assert account_payment_block(account, now=almost) is not None
    after = DELIVERED + dt.timedelta(days=3, minutes=1)
    assert account_payment_block(account, now=after) is None


def test_an_operator_verification_needs_no_delivery(settings, time_machine):
    """Verified through a channel the requester does not control: paid."""
    from payouts.services import bank_account_verify
    from tests.resellers.factories import StaffUserFactory

    time_machine.move_to(QUEUED, tick=False)
    payout = approve(approved_claim())
    account = submit(payout, iban=reseller_iban(payout.pk), delivered=False)
    account = bank_account_verify(
        account=account, operator=StaffUserFactory(), method="Called the CFO"
    )
    assert account_payment_block(account, now=timezone.now()) is None
    assert not BankAccount.objects.notice_undelivered().exists()
