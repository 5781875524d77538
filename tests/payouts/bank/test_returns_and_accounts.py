"""A return (pacs.004) changes a payout only when it is the bank's word on one
of our payments, a statement only when it is about our paying account, and a
returned payment waits for an operator instead of asking the company for bank
details while its account is still on file (issue 27)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cashback.models import OutboxMessage
from cashback.money import money
from payouts.bank import answers
from payouts.bank.models import BankDiscrepancy, InboundBankFile
from payouts.models import Payout
from payouts.services import (
    PayoutError,
    payout_return_resend,
)
from tests.payouts.bank.answers import operator, upload_confirmed
from tests.payouts.bank.conftest import batch_payouts, released_batch

pytestmark = pytest.mark.django_db

S = Payout.Status


def state(payout: Payout) -> tuple:
    payout.refresh_from_db()
    account = payout.bank_account
    account.refresh_from_db()
    return payout.status, payout.cycle, payout.batch_id, account.refused_at


def a_return(payout: Payout, *, batch_message_id: str, amount=None, msg="R-1"):
    return answers.payment_return(
        message_id=msg,
        batch_message_id=batch_message_id,
        end_to_end_id=payout.claim.reference,
        amount=payout.payout_amount if amount is None else amount,
        currency=payout.payout_currency,
        reason="AC04",
        settled_on=dt.date(2027, 3, 4),
    )


def test_a_forged_return_naming_no_batch_is_listed_and_changes_no_payout():
    """The attack: a pacs.004 naming only the (guessable) claim reference made
    the company give its bank details again. Now it lands on the list."""
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    before = state(payout)

    result = upload_confirmed("r.xml", a_return(payout, batch_message_id=""))

    assert result.status == InboundBankFile.Status.READ
    assert state(payout) == before
    (listed,) = BankDiscrepancy.objects.all()
    assert listed.payout is None and listed.end_to_end_id == payout.claim.reference
    assert "names no payment" in listed.reason


def test_a_return_naming_another_batch_is_listed():
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    before = state(payout)
    upload_confirmed("r.xml", a_return(payout, batch_message_id="CB-OTHER-1"))
    assert state(payout) == before
    assert BankDiscrepancy.objects.get().end_to_end_id == payout.claim.reference


def test_a_return_of_another_amount_is_listed_with_its_payout():
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    before = state(payout)
    upload_confirmed(
        "r.xml",
        a_return(
            payout,
            batch_message_id=batch.message_id,
            amount=payout.payout_amount - Decimal("1.00"),
        ),
    )
    assert state(payout) == before
    listed = BankDiscrepancy.objects.get()
    assert listed.payout == payout
    assert listed.reason == (
        f"The bank returns {money(payout.payout_amount - 1, payout.payout_currency)}; "
        f"the payout is {money(payout.payout_amount, payout.payout_currency)}. "
        "Not applied."
    )


def test_a_notification_about_another_account_is_refused():
    """A camt.054 whose account is not PAYOUT_DEBTOR_IBAN cannot pay a payout."""
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    before = state(payout)
    content = answers.debit_notification(
        message_id="C054-OTHER",
        batch_message_id=batch.message_id,
        booking_date=dt.date(2027, 3, 1),
        entries=[(payout.claim.reference, payout.payout_amount, "SEK", "X-1")],
        account_iban="SE3550000000054910000003",
    )
    result = upload_confirmed("c.xml", content)
    assert (result.status, result.code) == ("failed", "not_our_account")
    assert state(payout) == before


def test_a_return_to_an_account_still_on_file_waits_for_an_operator(client):
    """The company is not asked again; the payout waits in failed, listed in
    admin for the operators, who pay it again or refuse the account."""
    batch = released_batch(2)
    first, second = batch_payouts(batch)
    for payout in (first, second):
        upload_confirmed(
            f"r-{payout.pk}.xml",
            a_return(payout, batch_message_id=batch.message_id, msg=f"R-{payout.pk}"),
        )
    status, cycle, _batch, refused_at = state(first)
    assert (status, cycle, refused_at) == (S.FAILED, 1, None)
    asked = OutboxMessage.objects.filter(dedup_key__startswith=f"payout:{first.pk}:")
    assert not asked.filter(dedup_key__contains=":cycle:2:").exists()

    staff = operator()
    client.force_login(staff)
    listing = client.get(reverse("admin:payouts_returnedpayout_changelist"))
    assert listing.status_code == 200
    assert first.claim.reference in listing.text

    with pytest.raises(PayoutError) as no_reason:
        payout_return_resend(payout=first, operator=staff, reason=" ")
    assert no_reason.value.code == PayoutError.Code.REASON_REQUIRED

    payout_return_resend(payout=first, operator=staff, reason="Bank's fault")
    assert state(first)[:3] == (S.READY, 1, None)
    with pytest.raises(PayoutError) as twice:
        payout_return_resend(payout=first, operator=staff, reason="again")
    assert twice.value.code == PayoutError.Code.TRANSITION_NOT_ALLOWED

    response = client.post(
        reverse("admin:payouts_returnedpayout_changelist"),
        {
            "action": "refuse_accounts",
            "_selected_action": [second.pk],
            "apply": "1",
            "reason": "The company says the account is closed",
        },
        follow=True,
    )
    assert response.status_code == 200
    status, cycle, _batch, refused_at = state(second)
    assert (status, cycle) == (S.AWAITING_BANK_DETAILS, 2)
    assert refused_at is not None


def test_a_return_to_an_account_already_replaced_starts_a_new_cycle():
    """Nothing to decide when the account is no longer the company's: asked
    again as before."""
    batch = released_batch(1)
    (payout,) = batch_payouts(batch)
    type(payout.bank_account).objects.filter(pk=payout.bank_account_id).update(
        is_current=False
    )
    upload_confirmed("r.xml", a_return(payout, batch_message_id=batch.message_id))
    payout.refresh_from_db()
    assert (payout.status, payout.cycle) == (S.AWAITING_BANK_DETAILS, 2)


def test_operators_may_decide_and_others_may_not(client):
    from tests.resellers.factories import StaffUserFactory

    assert (
        Group.objects.get(name="Operators")
        .permissions.filter(codename="record_bank_result")
        .exists()
    )
    client.force_login(StaffUserFactory())
    listing = client.get(reverse("admin:payouts_returnedpayout_changelist"))
    assert listing.status_code == 403
