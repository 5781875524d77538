"""The reseller's payout pages: scoping, re-authentication, no-store, queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from payouts.models import BankAccount, Payout
from payouts.services import bank_details_link
from tests.payouts.conftest import account_on_file, approve, sign_in_fresh
from tests.payouts.factories import PayoutFactory, approved_claim
from tests.resellers.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def payout():
    return approve(approved_claim())


@pytest.fixture
def member(payout):
    return payout.claim.submitted_by


def bank_url(payout) -> str:
    return reverse("payouts:bank_details", kwargs={"payout_id": payout.pk})


def test_the_list_shows_what_to_do_and_is_not_cached(client, member, payout):
    """Amount, state in words, the action; Cache-Control forbids storing it."""
    client.force_login(member)
    response = client.get(reverse("payouts:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "SEK\xa01,000.00" in html  # grouped, in English order
    assert "Waiting for bank details" in html
    assert bank_url(payout) in html


def test_the_list_runs_a_fixed_number_of_queries(
    client, member, payout, django_assert_num_queries
):
    """Five payouts or twenty: the same queries (the bank's events of the
    page's payouts in one of them)."""
    client.force_login(member)
    for _ in range(4):
        PayoutFactory(claim__reseller=payout.reseller)
    client.get(reverse("payouts:list"))  # warm the session
    with django_assert_num_queries(4) as captured:
        client.get(reverse("payouts:list"))
    for _ in range(15):
        PayoutFactory(claim__reseller=payout.reseller)
    with django_assert_num_queries(len(captured.captured_queries)):
        client.get(reverse("payouts:list"))


def test_another_company_gets_404(client, payout):
    """A foreign payout id is not found, on both pages; the other company's
    list shows its own payout and nothing of this one."""
    stranger = UserFactory()
    own = PayoutFactory(claim__reseller=stranger.reseller, amount=Decimal("2500.00"))
    sign_in_fresh(client, stranger)
    assert client.get(bank_url(payout)).status_code == 404
    token_url = bank_details_link(payout).split("8000", 1)[-1]
    assert client.get(token_url).status_code == 404
    html = client.get(reverse("payouts:list")).content.decode()
    # The amounts as the list's money filter prints them.
    assert "SEK\xa02,500.00" in html and own.claim.reference in html
    assert "SEK\xa01,000.00" not in html
    assert payout.claim.reference not in html


def test_the_bank_details_page_needs_fresh_reauthentication(client, member, payout):
    """Signed in long ago: allauth asks for the password before showing anything."""
    client.force_login(member)
    response = client.get(bank_url(payout))
    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response["Location"]


def test_a_visitor_is_sent_to_log_in(client, payout):
    """Not signed in: log in first."""
    response = client.get(bank_url(payout))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_email_link_leads_to_the_page(client, member, payout):
    """The signed link redirects to the payout's bank-details page."""
    sign_in_fresh(client, member)
    path = bank_details_link(payout).split("8000", 1)[-1]
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == bank_url(payout)


def test_a_forged_link_is_refused_politely(client, member):
    """A token that does not verify goes to the list with a message."""
    sign_in_fresh(client, member)
    response = client.get(
        reverse("payouts:bank_details_link", kwargs={"token": "1:forged"})
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("payouts:list")


def test_submitting_details_on_the_page(client, member, payout):
    """A valid form: saved, the payout is ready, only the last four are shown."""
    sign_in_fresh(client, member)
    page = client.get(bank_url(payout))
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    response = client.post(
        bank_url(payout),
        {
            "account-beneficiary_name": payout.reseller.legal_name,
            "account-iban": "SE45 5000 0000 0583 9825 7466",
            "account-bic": "ESSESESS",
            "account-bank_country": "SE",
            "account-currency": "SEK",
            "account-address_confirmed": "on",
            "account-submit": "1",
        },
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY
    assert BankAccount.objects.get().created_by == member


def test_field_errors_are_shown_on_the_fields(client, member, payout):
    """A person's name and a bad IBAN: both errors on the page, nothing saved."""
    sign_in_fresh(client, member)
    response = client.post(
        bank_url(payout),
        {
            "account-beneficiary_name": "Kim Lind",
            "account-iban": "SE4550000000058398257467",
            "account-bic": "ESSESESS",
            "account-bank_country": "SE",
            "account-currency": "SEK",
            "account-submit": "1",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "the company&#x27;s name" in html or "the company's name" in html
    assert "IBAN is not valid" in html
    assert "Confirm that the company" in html
    assert not BankAccount.objects.exists()


def test_confirming_the_current_account_in_one_click(client, member, payout):
    """The account on file is shown masked and confirmed with one button."""
    account_on_file(payout.reseller, member)
    sign_in_fresh(client, member)
    html = client.get(bank_url(payout)).content.decode()
    assert "****7466" in html and "58398257466" not in html
    response = client.post(
        bank_url(payout), {"confirm-address_confirmed": "on", "confirm-submit": "1"}
    )
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY


# Issue 28: "Expected payment by" showed past dates and disagreed with the
# release date; a payout whose notice had not gone out said "the number of
# days stated in the e-mail" instead of a date.


def _expected_cell(client) -> str:
    html = client.get(reverse("payouts:list"), HTTP_ACCEPT_LANGUAGE="en")
    return html.content.decode().split("<tbody>", 1)[1]


def test_expected_payment_is_never_before_the_release_date(client, time_machine):
    time_machine.move_to(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC), tick=False)
    payout = PayoutFactory(
        status=Payout.Status.READY,
        release_date=dt.date(2027, 5, 20),
        payment_deadline=dt.date(2027, 4, 29),
    )
    assert payout.expected_payment_by(dt.date(2027, 1, 10)) == dt.date(2027, 5, 20)
    client.force_login(payout.claim.submitted_by)
    body = _expected_cell(client)
    assert "29 April 2027" not in body
    assert body.count("20 May 2027") == 2  # release date and expected payment


def test_expected_payment_is_never_in_the_past(client, time_machine):
    """A payout past both dates and still waiting says when it will be paid
    in words, not by a date gone by."""
    time_machine.move_to(dt.datetime(2027, 6, 10, 12, tzinfo=dt.UTC), tick=False)
    payout = PayoutFactory(status=Payout.Status.AWAITING_BANK_DETAILS)
    assert payout.expected_payment_by(dt.date(2027, 6, 10)) is None
    client.force_login(payout.claim.submitted_by)
    body = _expected_cell(client)
    assert "29 April 2027" not in body
    assert "In the next payment run after the bank details are in" in body


def test_a_paid_payout_shows_no_expected_date(client):
    payout = PayoutFactory(status=Payout.Status.PAID)
    assert payout.expected_payment_by(dt.date(2027, 1, 1)) is None


def test_the_bank_details_deadline_is_a_date_before_the_notice_goes_out(
    client, time_machine
):
    time_machine.move_to(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC), tick=False)
    payout = PayoutFactory(status=Payout.Status.AWAITING_BANK_DETAILS)
    assert payout.notified_at is None
    client.force_login(payout.claim.submitted_by)
    body = _expected_cell(client)
    assert "number of days stated in the e-mail" not in body
    # The offer's five days from today, as the notice itself will state.
    assert "by 15 January 2027" in body


# Issue 28: a new account silently held every pending payout of the company;
# a bank-refused account was still offered with "Confirm this account".


def test_the_page_says_a_new_account_holds_every_pending_payout(client, member, payout):
    account_on_file(payout.reseller, member)
    PayoutFactory(claim__reseller=payout.reseller, status=Payout.Status.SCHEDULED)
    PayoutFactory(claim__reseller=payout.reseller, status=Payout.Status.PAID)
    sign_in_fresh(client, member)
    html = client.get(bank_url(payout), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    new_section = html.split("Or enter a new account", 1)[1]
    assert "all 2 payouts of the company will wait" in new_section


def test_the_confirmation_says_how_many_payouts_wait_and_until_when(
    client, member, payout, time_machine, settings
):
    settings.BANK_ACCOUNT_COOLING_OFF_DAYS = 3
    time_machine.move_to(dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC), tick=False)
    sign_in_fresh(client, member)
    response = client.post(
        bank_url(payout),
        {
            "account-beneficiary_name": payout.reseller.legal_name,
            "account-iban": "SE45 5000 0000 0583 9825 7466",
            "account-bic": "ESSESESS",
            "account-bank_country": "SE",
            "account-currency": "SEK",
            "account-address_confirmed": "on",
            "account-submit": "1",
        },
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "1 payout of the company waits until 13 January 2027" in html


def test_a_bank_refused_account_is_not_offered_for_confirmation(client, member, payout):
    account = account_on_file(payout.reseller, member)
    BankAccount.objects.filter(pk=account.pk).update(refused_at=timezone.now())
    sign_in_fresh(client, member)
    html = client.get(bank_url(payout), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Confirm this account" not in html
    assert "The bank refused the account on file" in html


# Issue 28: the bank-details invitation went to members who cannot act on it,
# and a member who is not an admin was asked for their password first.


def test_the_invitation_goes_to_company_admins_only(django_capture_on_commit_callbacks):
    from cashback.models import OutboxMessage

    claim = approved_claim()
    colleague = UserFactory(reseller=claim.reseller, email="colleague@reseller.example")
    payout = approve(claim)
    notice = OutboxMessage.objects.get(dedup_key__contains=f"payout:{payout.pk}:")
    assert claim.submitted_by.email in notice.recipients
    assert colleague.email not in notice.recipients


def test_members_are_told_an_admin_was_asked():
    """The approval e-mail every member reads says the admins were asked."""
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("en"):
        body = render_to_string("emails/claim_update_body.txt", {"kind": "approved"})
    assert "We will ask you to submit or confirm" not in body
    assert "We have asked your company admins" in body


def test_a_member_who_is_not_an_admin_is_told_before_any_password(client, payout):
    colleague = UserFactory(reseller=payout.reseller)
    client.force_login(colleague)  # signed in long ago: no fresh password
    response = client.get(bank_url(payout), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Only a company admin can enter or confirm" in response.content.decode()
