"""Where the money goes (issue 15): only company admins give bank details,
every admin is told, and a new, frozen, shared or refused account is held."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cashback.models import OutboxMessage
from payouts.models import BankAccount, PaymentBatch, Payout
from payouts.services import (
    PayoutError,
    bank_account_confirm,
    bank_account_refuse,
    bank_account_shared_clear,
    bank_account_verify,
    batch_create,
    batch_release,
    payouts_schedule,
)
from payouts.services.holds import account_payment_block, bank_account_objection_link
from resellers.services import reseller_legal_name_change
from tests.payouts.bank.answers import report
from tests.payouts.bank.conftest import reseller_iban
from tests.payouts.conftest import account_on_file, approve, sign_in_fresh
from tests.payouts.factories import approved_claim
from tests.payouts.test_bank_details import submit
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

S = Payout.Status
NOW = dt.datetime(2027, 3, 30, 9, 0, tzinfo=dt.UTC)  # the factories' release date


@pytest.fixture
def cooling_off(settings):
    settings.BANK_ACCOUNT_COOLING_OFF_DAYS = 3


@pytest.fixture
def payout():
    return approve(approved_claim())


def scheduled(payout, **overrides):
    """`payout` ready on a new account of its own, then scheduled."""
    overrides.setdefault("iban", reseller_iban(payout.pk))
    account = submit(payout, **overrides)
    payouts_schedule(today=payout.release_date)
    payout.refresh_from_db()
    assert payout.status == S.SCHEDULED
    return account


def refused_code(call) -> str:
    with pytest.raises(PayoutError) as caught:
        call()
    return caught.value.code


# Who may change where the money goes ------------------------------------------


def test_a_member_who_is_not_a_company_admin_cannot_submit_or_confirm(payout):
    """The service refuses a plain member, with a code, and writes nothing."""
    member = UserFactory(reseller=payout.reseller)
    code = refused_code(lambda: submit(payout, user=member))
    assert code == PayoutError.Code.NOT_COMPANY_ADMIN
    assert not BankAccount.objects.exists()
    account_on_file(payout.reseller)
    code = refused_code(
        lambda: bank_account_confirm(
            reseller=payout.reseller, user=member, payout=payout
        )
    )
    assert code == PayoutError.Code.NOT_COMPANY_ADMIN
    payout.refresh_from_db()
    assert payout.status == S.AWAITING_BANK_DETAILS


def test_a_plain_member_sees_who_the_admins_are_and_a_post_is_403(client, payout):
    """The page says details are needed and names the admins; a POST is a 403
    with the message, never a 500, and nothing is saved."""
    admin = payout.claim.submitted_by
    member = UserFactory(reseller=payout.reseller)
    sign_in_fresh(client, member)
    url = reverse("payouts:bank_details", kwargs={"payout_id": payout.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert admin.display_name in page.content.decode()
    assert "Only a company admin" in page.content.decode()
    response = client.post(
        url,
        {
            "account-beneficiary_name": payout.reseller.legal_name,
            "account-iban": reseller_iban(1),
            "account-currency": "SEK",
            "account-address_confirmed": "on",
            "account-submit": "1",
        },
    )
    assert response.status_code == 403
    assert "Only a company admin" in response.content.decode()
    assert not BankAccount.objects.exists()


# Every change is told ---------------------------------------------------------


def test_every_admin_is_told_in_their_language_with_a_not_us_link(payout):
    """A new account and a confirmation each e-mail every company admin, in
    each one's language, with the masked account, who and the objection link;
    a plain member is not told."""
    submitter = payout.claim.submitted_by
    swede = UserFactory(
        reseller=payout.reseller, is_company_admin=True, preferred_language="sv"
    )
    member = UserFactory(reseller=payout.reseller)
    account = submit(payout)
    messages = {
        message.recipients[0]: message
        for message in OutboxMessage.objects.filter(
            dedup_key__startswith=f"bank-account:{account.pk}:new"
        )
    }
    assert set(messages) == {submitter.email, swede.email}
    assert member.email not in str([m.recipients for m in messages.values()])
    english, swedish = messages[submitter.email], messages[swede.email]
    assert "New bank account" in english.subject
    assert "Nytt bankkonto" in swedish.subject
    for message in (english, swedish):
        assert "****7466" in message.text_body
        assert "58398257466" not in message.text_body
        assert submitter.email in message.text_body
        assert "/payouts/account-objection/" in message.text_body

    second = approve(approved_claim(reseller=payout.reseller))
    bank_account_confirm(reseller=payout.reseller, user=swede, payout=second)
    confirmed = OutboxMessage.objects.filter(
        dedup_key__startswith=f"bank-account:{account.pk}:confirmed"
    )
    assert {m.recipients[0] for m in confirmed} == {submitter.email, swede.email}


def test_the_not_us_link_freezes_the_account_and_alerts_the_operators(
    client, payout, operators
):
    """GET only asks (a mail scanner freezes nothing); POST freezes without
    signing in, alerts the operators, and builder and release refuse it."""
    operator = StaffUserFactory(email="ops@vendor.example")
    operator.groups.add(Group.objects.get(name="Operators"))
    account = scheduled(payout)
    batch = batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    link = bank_account_objection_link(account)
    assert client.get(link).status_code == 200
    account.refresh_from_db()
    assert account.frozen_at is None
    assert client.post(link).status_code == 200
    account.refresh_from_db()
    assert account.frozen_at is not None
    alert = OutboxMessage.objects.get(dedup_key=f"bank-account:{account.pk}:frozen")
    assert alert.recipients == [operator.email]
    code = refused_code(lambda: batch_release(batch=batch, operator=operators[1]))
    assert code == PayoutError.Code.ACCOUNT_HELD
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT and not batch.payment_file
    Payout.objects.filter(pk=payout.pk).update(batch=None)
    code = refused_code(
        lambda: batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    )
    assert code == PayoutError.Code.ACCOUNT_HELD


def test_a_forged_not_us_link_is_a_404_and_freezes_nothing(client, payout):
    account = submit(payout)
    url = reverse("payouts:bank_account_objection", kwargs={"token": f"{account.pk}:x"})
    assert client.post(url).status_code == 404
    account.refresh_from_db()
    assert account.frozen_at is None


# Held before the first payment ------------------------------------------------


def test_a_new_account_waits_for_its_cooling_off_date(
    client, cooling_off, payout, operators, time_machine
):
    """Before the date the builder refuses and the page says until when;
    after it, with no objection, the payout can be batched."""
    time_machine.move_to(NOW, tick=False)
    scheduled(payout)
    code = refused_code(
        lambda: batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    )
    assert code == PayoutError.Code.ACCOUNT_HELD
    sign_in_fresh(client, payout.claim.submitted_by)
    html = client.get(reverse("payouts:list")).content.decode()
    assert "new account, verification until 2 April 2027" in html
    assert "payment-redirection fraud" in html  # the page says why
    client.post(reverse("language_switch"), {"language": "sv", "next": "/"})
    html = client.get(reverse("payouts:list")).content.decode()
    assert "nytt konto, kontroll till 2 april 2027" in html
    assert "bedrägerier med ändrade betalningsuppgifter" in html
    time_machine.move_to(NOW + dt.timedelta(days=3, minutes=1), tick=False)
    batch = batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    assert batch.payouts.get() == payout


def test_an_operator_verification_releases_the_hold_at_once(
    cooling_off, payout, operators
):
    """Verified (and how) before the cooling-off date: it may be batched."""
    account = scheduled(payout)
    code = refused_code(
        lambda: bank_account_verify(account=account, operator=operators[0], method=" ")
    )
    assert code == PayoutError.Code.REASON_REQUIRED
    bank_account_verify(
        account=account, operator=operators[0], method="Called +46 8 123 45 67"
    )
    batch = batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    assert batch.payouts.get() == payout


def test_a_shared_account_is_never_paid_until_cleared(payout, operators):
    """Two companies, one account: builder and release refuse until an
    operator clears it with a reason."""
    other = approve(approved_claim())
    scheduled(other)
    account = scheduled(payout, iban=reseller_iban(other.pk))
    assert account.shared_with_other_reseller
    code = refused_code(
        lambda: batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    )
    assert code == PayoutError.Code.ACCOUNT_HELD
    bank_account_shared_clear(
        account=account, operator=operators[0], reason="Same group, checked"
    )
    batch = batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    BankAccount.objects.filter(pk=account.pk).update(shared_cleared_at=None)
    code = refused_code(lambda: batch_release(batch=batch, operator=operators[1]))
    assert code == PayoutError.Code.ACCOUNT_HELD


def test_a_legal_name_change_makes_the_old_account_need_a_new_confirmation(
    payout, operators
):
    """The beneficiary is checked against the current legal name at the
    confirmation and at batch creation."""
    scheduled(payout)
    program_manager = StaffUserFactory()
    reseller_legal_name_change(
        reseller=payout.reseller, actor=program_manager, legal_name="Renamed Nordic AB"
    )
    code = refused_code(
        lambda: batch_create(currency="SEK", payouts=[payout], operator=operators[0])
    )
    assert code == PayoutError.Code.ACCOUNT_HELD
    waiting = approve(approved_claim(reseller=payout.reseller))
    payout.reseller.refresh_from_db()
    code = refused_code(
        lambda: bank_account_confirm(
            reseller=payout.reseller, user=payout.claim.submitted_by, payout=waiting
        )
    )
    assert code == PayoutError.Code.INVALID_BANK_DETAILS


# New details for every open payout, and back after a refusal --------------------


def test_new_details_move_every_open_payout_and_a_refusal_moves_them_back(
    payout, operators
):
    """Waiting and scheduled payouts of the company move to the new account;
    the bank's refusal sends the unpaid ones back to waiting for details, and
    the refused number cannot be entered again."""
    first = scheduled(payout)
    waiting = approve(approved_claim(reseller=payout.reseller))
    new = submit(waiting, iban=reseller_iban(waiting.pk))
    payout.refresh_from_db()
    waiting.refresh_from_db()
    assert payout.bank_account == new and payout.status == S.SCHEDULED
    assert waiting.bank_account == new and waiting.status == S.READY
    third = approve(approved_claim(reseller=payout.reseller))
    third.refresh_from_db()
    assert third.status == S.AWAITING_BANK_DETAILS
    assert first.pk != new.pk

    bank_account_refuse(account=new, reason="AC04 account closed")
    for row in (payout, waiting):
        row.refresh_from_db()
        assert row.status == S.AWAITING_BANK_DETAILS
        assert row.failure_reason == "AC04 account closed"
    code = refused_code(lambda: submit(third, iban=reseller_iban(waiting.pk)))
    assert code == PayoutError.Code.ACCOUNT_REFUSED_BEFORE


def test_a_pain002_refusal_refuses_the_account_and_moves_its_siblings_back(
    payout, operators
):
    """A reseller-side RJCT (AC04) of one payment refuses its account: that
    payout starts cycle 2, the company's scheduled payout on the same account
    leaves its draft batch for waiting, with the bank's reason in words; the
    number is refused as a "new" account; a second RJCT of another payment on
    the account changes nothing more."""
    account = scheduled(payout)
    in_draft = approve(approved_claim(reseller=payout.reseller))
    bank_account_confirm(
        reseller=payout.reseller, user=payout.claim.submitted_by, payout=in_draft
    )
    also_sent = approve(approved_claim(reseller=payout.reseller))
    bank_account_confirm(
        reseller=payout.reseller, user=payout.claim.submitted_by, payout=also_sent
    )
    payouts_schedule(today=payout.release_date)
    builder, releaser = operators
    batch = batch_create(currency="SEK", payouts=[payout, also_sent], operator=builder)
    batch_release(batch=batch, operator=releaser)
    draft = batch_create(currency="SEK", payouts=[in_draft], operator=builder)
    waiting = approve(approved_claim(reseller=payout.reseller))

    report(batch, {payout: ("RJCT", "AC04")})

    account.refresh_from_db()
    assert account.refused_at is not None
    assert account.refusal_reason.startswith("AC04")
    payout.refresh_from_db()
    assert (payout.status, payout.cycle) == (S.AWAITING_BANK_DETAILS, 2)
    in_draft.refresh_from_db()
    assert (in_draft.status, in_draft.cycle, in_draft.batch_id) == (
        S.AWAITING_BANK_DETAILS,
        2,
        None,
    )
    assert in_draft.failure_code == "AC04"
    draft.refresh_from_db()
    assert draft.total_amount == 0
    also_sent.refresh_from_db()
    assert also_sent.status == S.IN_BATCH  # a released batch is the bank's
    code = refused_code(lambda: submit(waiting, iban=reseller_iban(payout.pk)))
    assert code == PayoutError.Code.ACCOUNT_REFUSED_BEFORE

    refused_at = account.refused_at
    report(batch, {also_sent: ("RJCT", "AC04")})
    account.refresh_from_db()
    assert account.refused_at == refused_at
    for row, cycle in ((payout, 2), (in_draft, 2), (also_sent, 2)):
        row.refresh_from_db()
        assert (row.status, row.cycle) == (S.AWAITING_BANK_DETAILS, cycle)


def test_an_operator_verifies_an_account_in_admin_and_says_how(client, cooling_off):
    """The admin action asks how it was verified, then records it; the hold
    is over at once."""
    account = submit(approve(approved_claim()))
    operator = StaffUserFactory()
    operator.groups.add(Group.objects.get(name="Operators"))
    client.force_login(operator)
    url = reverse("admin:payouts_bankaccount_changelist")
    selection = {"action": "verify_accounts", "_selected_action": [account.pk]}
    asked = client.post(url, selection)
    assert asked.status_code == 200
    assert "How it was verified" in asked.content.decode()
    client.post(url, {**selection, "apply": "1", "reason": "Called the CFO"})
    account.refresh_from_db()
    assert (account.verified_by, account.verification_method) == (
        operator,
        "Called the CFO",
    )
    assert account_payment_block(account, now=account.created_at) is None


def test_a_rate_used_for_a_payout_cannot_be_changed_in_admin(client):
    """Once a payout was converted with it, the rate is read-only and cannot
    be deleted; an unused rate can still be corrected."""
    from tests.payouts.factories import ExchangeRateFactory

    payout = approve(approved_claim())
    used = ExchangeRateFactory(rate_date=payout.offer.calculation_date)
    unused = ExchangeRateFactory(rate_date=dt.date(2020, 1, 1))
    submit(
        payout,
        iban=reseller_iban(payout.pk, "DE"),
        bic="COBADEFFXXX",
        bank_country="DE",
        currency="EUR",
    )
    client.force_login(StaffUserFactory(is_superuser=True))
    for rate, editable in ((used, False), (unused, True)):
        url = reverse("admin:payouts_exchangerate_change", args=[rate.pk])
        html = client.get(url).content.decode()
        assert ('name="rate"' in html) is editable
        delete = reverse("admin:payouts_exchangerate_delete", args=[rate.pk])
        assert (client.get(delete).status_code == 200) is editable
