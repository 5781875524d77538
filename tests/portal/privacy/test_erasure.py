"""'Close my account': the person can no longer sign in and no text column of
any table names them, while every amount, document and bank file stays."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cashback.models import SecurityEvent
from claims.models import InvoiceDocument
from payouts.bank.models import BatchPayment
from payouts.models import BankAccount, PaymentBatch, Payout
from portal.privacy.erasure import (
    PrivacyError,
    account_close,
    account_close_refusal,
    user_pseudonym,
)
from portal.privacy.models import AccountClosure
from resellers.models import User
from statements.models import PaymentStatement, VatDocument
from statements.services import payment_documents_issue
from tests.claims.factories import ClaimFactory
from tests.payouts.conftest import FACTORY_PASSWORD, sign_in_fresh
from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT_TYPES = {"character varying", "text", "jsonb", "json", "character"}


def _text_columns_naming(needles: list[str]) -> list[str]:
    """Every text column of every table (PostgreSQL's catalogue, so a table
    the register forgot is scanned too) that holds one of `needles`."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type = ANY(%s)",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" '  # noqa: S608 - catalogue names
                    f'WHERE "{column}"::text ILIKE %s',
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column} holds {needle!r}")
    return found


def colleague_admin(person) -> User:
    """Another company admin: the person is then not the last one."""
    return UserFactory(reseller=person.reseller, is_company_admin=True)


def paid_with_documents(person) -> PaymentBatch:
    """The person's payout in a batch the bank booked, and the statement and
    VAT document issued for that payment to the person's company."""
    batch = PaymentBatch.objects.create(
        currency="SEK",
        message_id="PRIVACY-TEST-1",
        created_by=StaffUserFactory(),
        payment_file="<Document>pain.001 paying 1000.00 SEK</Document>",
    )
    payout = person.claim.payout
    Payout.objects.filter(pk=payout.pk).update(batch=batch)
    BatchPayment.objects.create(
        batch=batch,
        payout=payout,
        end_to_end_id=payout.claim.reference,
        amount=payout.amount,
        currency=payout.currency,
        answer=BatchPayment.Answer.BOOKED,
        answered_at=timezone.now(),
    )
    payment_documents_issue(
        payout_id=payout.pk, batch_id=batch.pk, booked_on=timezone.localdate()
    )
    assert VatDocument.objects.filter(reseller=person.reseller).exists()
    return batch


def _money_and_files(person) -> dict:
    return {
        "payout": Payout.objects.filter(reseller=person.reseller).values_list(
            "amount", "currency", "bank_account_id"
        )[::1],
        "invoices": list(
            InvoiceDocument.objects.filter(claim__reseller=person.reseller).values_list(
                "file", "sha256", "size"
            )
        ),
        "accounts": list(
            BankAccount.objects.filter(reseller=person.reseller).values_list(
                "account_number_encrypted", "account_fingerprint", "account_last4"
            )
        ),
        "claim": (person.claim.reference, person.claim.reward_amount),
        "statements": list(
            PaymentStatement.objects.filter(reseller=person.reseller).values_list(
                "payment_id", "amount", "content", "pdf"
            )
        ),
        "vat_documents": list(
            VatDocument.objects.filter(reseller=person.reseller).values_list(
                "number", "total_amount", "content", "pdf"
            )
        ),
    }


@pytest.mark.postgres
def test_closing_leaves_no_name_or_address_while_money_and_documents_stay(
    person, stranger, client, django_capture_on_commit_callbacks
):
    """After closing, no text column of any table holds the person's name or
    any of their addresses; the claim, payout, invoice copy, bank details, the
    payment file, the statement and VAT document of the payment (rows and
    PDFs) stay whole; the stranger is untouched."""
    colleague_admin(person)
    with django_capture_on_commit_callbacks(execute=True):  # the issue task
        batch = paid_with_documents(person)
    payment_file = batch.payment_file
    person.user.first_name = "Ingrid"  # the change is in the history too
    person.user.save()
    before = _money_and_files(person)
    needles = [person.email, person.name, "Västerberg Data AB"]
    assert _text_columns_naming(needles[:2])  # the scan sees them before

    sign_in_fresh(client, person.user)
    response = client.post(reverse("privacy:close"), {"confirm": "yes"})
    assert response.status_code == 302

    assert _text_columns_naming([person.email, person.name]) == []
    assert _money_and_files(person) == before
    batch.refresh_from_db()
    assert batch.payment_file == payment_file
    for invoice in InvoiceDocument.objects.filter(claim=person.claim):
        assert invoice.file.storage.exists(invoice.file.name)
    for statement in PaymentStatement.objects.filter(reseller=person.reseller):
        assert statement.pdf.storage.exists(statement.pdf.name)
    assert _text_columns_naming(["Oxelgren"])  # the stranger is untouched
    user = User.objects.get(pk=person.user.pk)
    pseudonym = user_pseudonym(user)
    assert user.email == f"{pseudonym}@erased.invalid"
    assert not user.is_active and not user.has_usable_password()
    assert person.claim.__class__.objects.get(pk=person.claim.pk).submitted_by == user


def test_after_closing_signing_in_fails_and_the_session_is_gone(person, client):
    """The password no longer signs in, and the open session ends."""
    colleague_admin(person)
    sign_in_fresh(client, person.user)
    client.post(reverse("privacy:close"), {"confirm": "yes"})
    other = client.__class__()
    response = other.post(
        reverse("account_login"), {"login": person.email, "password": FACTORY_PASSWORD}
    )
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in other.session
    assert client.get(reverse("privacy:account")).status_code == 302


def test_the_page_says_what_happens_and_needs_the_password_again(person, client):
    colleague_admin(person)
    client.force_login(person.user)
    response = client.get(reverse("privacy:close"))
    assert response.status_code == 302
    assert reverse("account_reauthenticate") in response["Location"]
    sign_in_fresh(client, person.user)
    page = client.get(reverse("privacy:close")).content.decode()
    assert "pseudonym" in page and "seven years" in page
    assert client.post(reverse("privacy:close"), {}).status_code == 200
    assert User.objects.get(pk=person.user.pk).is_active  # not confirmed


def test_the_last_admin_stays_while_the_company_has_open_claims(person, client):
    """The only company admin with an open payout is refused with what to do;
    once a colleague is admin too, they may close."""
    assert person.claim.payout.status in Payout.objects.open().values_list(
        "status", flat=True
    )
    refusal = account_close_refusal(user=person.user)
    assert refusal is not None and refusal.code == "last_admin"
    sign_in_fresh(client, person.user)
    page = client.get(reverse("privacy:close")).content.decode()
    assert "Make a colleague company admin" in page
    response = client.post(reverse("privacy:close"), {"confirm": "yes"})
    assert response.status_code == 409
    assert User.objects.get(pk=person.user.pk).is_active

    colleague_admin(person)
    assert account_close_refusal(user=person.user) is None
    assert client.post(reverse("privacy:close"), {"confirm": "yes"}).status_code == 302


def test_a_member_who_is_not_admin_may_always_close(db):
    claim = ClaimFactory()
    member = UserFactory(reseller=claim.reseller)
    assert account_close_refusal(user=member) is None


def test_staff_close_an_account_only_with_the_permission_and_a_reason(person):
    """Staff need privacy.close_account (the "Data protection" group) and a
    written request; the closure is in the security log."""
    colleague_admin(person)
    staff = StaffUserFactory()
    with pytest.raises(PrivacyError) as refused:
        account_close(user=person.user, actor=staff, reason="Letter of 1 Dec")
    assert refused.value.code == "forbidden"
    staff.groups.add(Group.objects.get(name="Data protection"))
    staff = User.objects.get(pk=staff.pk)
    with pytest.raises(PrivacyError) as refused:
        account_close(user=person.user, actor=staff, reason=" ")
    assert refused.value.code == "reason_required"
    closure = account_close(user=person.user, actor=staff, reason="Letter of 1 Dec")
    assert closure.closed_by == staff
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ACCOUNT_CLOSED)
    assert event.user == staff
    assert event.detail["account"] == closure.pseudonym
    with pytest.raises(PrivacyError) as refused:
        account_close(user=person.user, actor=staff, reason="Again")
    assert refused.value.code == "closed"


def test_staff_close_from_admin(person, client):
    """The admin's "add closed account" page runs the service."""
    colleague_admin(person)
    staff = StaffUserFactory(is_superuser=False)
    staff.groups.add(Group.objects.get(name="Data protection"))
    sign_in_fresh(client, staff)
    url = reverse("admin:privacy_accountclosure_add")
    response = client.post(url, {"user": person.user.pk, "reason": "Letter"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AccountClosure.objects.get(user=person.user).reason == "Letter"
