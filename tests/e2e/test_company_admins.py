"""A company admin removed by a co-admin, in the browser (issue 27): the
removal asks for the password again, and the removed admin's e-mailed "this
was not us" link, opened signed out, restores them and freezes the money."""

import datetime as dt
import re

import pytest

from cashback.outbox import outbox_relay
from payouts.models import BankAccount
from tests.e2e.conftest import screenshot
from tests.e2e.helpers import PASSWORD, click, log_in, press_enter
from tests.payouts.conftest import account_on_file
from tests.resellers.factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://[^/\s]+(/payouts/account-objection/[^\s\"<>]+)")


def test_a_removed_co_admin_restores_themself_from_the_email(page, time_machine):
    reseller = ResellerFactory(legal_name="Nordlicens AB")
    attacker = UserFactory(
        reseller=reseller, is_company_admin=True, preferred_language="sv"
    )
    victim = UserFactory(
        reseller=reseller,
        is_company_admin=True,
        first_name="Bo",
        last_name="Berg",
        preferred_language="en",
    )
    account = account_on_file(reseller, attacker)

    log_in(page, attacker.email, next_url="/company/")
    # Later than a log-in that counts as re-authentication (issue 28).
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    page.reload()
    click(page, f"form[action='/company/members/{victim.pk}/remove/'] button")
    assert "/accounts/reauthenticate/" in page.url, page.url
    screenshot(page, "admin-removal-01-password-again")
    page.fill("input[name=password]", PASSWORD)
    press_enter(page, "input[name=password]")
    if f"/company/members/{victim.pk}/remove/" in page.url:
        click(page, "main form button.btn-danger")  # the page asks first
    victim.refresh_from_db()
    assert victim.reseller_id is None
    screenshot(page, "admin-removal-02-removed")

    outbox_relay(older_than=dt.timedelta(0))
    notice = next(
        m
        for m in victim_mails(victim.email)
        if "was removed as a company admin" in m.subject
    )
    path = LINK.search(notice.text_body)[1]

    page.goto("/accounts/logout/")
    click(page, "main form button[type=submit]")
    page.goto(path)
    screenshot(page, "admin-removal-03-not-us")
    click(page, "main form button.btn-danger")
    assert "Bo Berg är åter företagsadministratör för Nordlicens AB" in page.content()
    screenshot(page, "admin-removal-04-restored")
    victim.refresh_from_db()
    assert (victim.reseller_id, victim.is_company_admin) == (reseller.pk, True)
    assert BankAccount.objects.get(pk=account.pk).frozen_at is not None


def victim_mails(email: str):
    from cashback.models import OutboxMessage

    return [m for m in OutboxMessage.objects.order_by("pk") if email in m.recipients]
