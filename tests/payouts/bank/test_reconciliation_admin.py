"""The operators' reconciliation view, the upload form for a bank file received
by other means, and the entries not applied, in admin."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from payouts.bank import answers
from payouts.bank.models import InboundBankFile
from payouts.bank.reconciliation import business_days_before
from payouts.models import Payout
from payouts.services import batch_create, batch_release
from tests.payouts.bank.answers import book, report
from tests.payouts.bank.conftest import MESSAGES
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

RECONCILIATION = "admin:payouts_batchreconciliation_changelist"
UPLOAD = "admin:payouts_inboundbankfile_upload"


@pytest.fixture
def operator(client):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Operators"))
    client.force_login(user)
    return client


@pytest.fixture
def client_factory():
    """A signed-in client of a new member of the Operators group."""

    def make() -> Client:
        user = StaffUserFactory()
        user.groups.add(Group.objects.get(name="Operators"))
        other = Client()
        other.force_login(user)
        return other

    return make


def released(count: int):
    payouts = [scheduled_payout() for _ in range(count)]
    batch = batch_create(currency="SEK", payouts=payouts, operator=StaffUserFactory())
    return batch_release(batch=batch, operator=StaffUserFactory()), payouts


def test_business_days_skip_the_weekend():
    """Three business days before Wednesday 3 March 2027 is Friday 26 February."""
    assert business_days_before(dt.date(2027, 3, 3), 3) == dt.date(2027, 2, 26)


@pytest.mark.parametrize("batches", [1, 6])
def test_reconciliation_counts_each_batch_in_fixed_queries(
    operator, django_assert_num_queries, batches
):
    """Each released batch with its payments counted by the bank's answer; the
    page's queries do not grow with the batches."""
    for _ in range(batches):
        batch, (accepted, booked, rejected) = released(3)
    report(batch, {accepted: ("ACCP", ""), rejected: ("RJCT", "AC04")})
    book(batch, [booked])
    with django_assert_num_queries(7):
        response = operator.get(reverse(RECONCILIATION))
    assert response.status_code == 200
    row = response.context["cl"].result_list.get(pk=batch.pk)
    assert (row.payments, row.accepted, row.booked, row.rejected, row.unanswered) == (
        3,
        1,
        1,
        1,
        0,
    )
    assert batch.message_id in response.text


def test_reconciliation_needs_the_batch_view_permission(client):
    """Staff without view_paymentbatch do not see it; with it they do."""
    user = StaffUserFactory()
    client.force_login(user)
    assert client.get(reverse(RECONCILIATION)).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_paymentbatch"))
    user = type(user).objects.get(pk=user.pk)
    client.force_login(user)
    assert client.get(reverse(RECONCILIATION)).status_code == 200


def test_an_uploaded_file_is_applied_when_a_second_operator_confirms_it(
    operator, client_factory
):
    """The upload keeps the file; another operator's confirm action applies it
    through the same reader and the same effects."""
    batch, (payout,) = released(1)
    content = answers.debit_notification(
        message_id="UPLOAD-C054-1",
        batch_message_id=batch.message_id,
        booking_date=dt.date(2027, 3, 1),
        entries=[(payout.claim.reference, payout.payout_amount, "SEK", "REF-1")],
    )
    form = operator.get(reverse(UPLOAD))
    assert form.status_code == 200
    response = operator.post(
        reverse(UPLOAD),
        {"file": SimpleUploadedFile("camt054.xml", content)},
        follow=True,
    )
    assert "applied when a second operator confirms it" in response.text
    payout.refresh_from_db()
    assert payout.status == Payout.Status.IN_BATCH
    uploaded = InboundBankFile.objects.get()
    assert (uploaded.name, uploaded.status) == ("camt054.xml", "awaiting")

    second = client_factory()
    response = second.post(
        reverse("admin:payouts_inboundbankfile_changelist"),
        {"action": "confirm_files", "_selected_action": [uploaded.pk]},
        follow=True,
    )
    assert "applied" in response.text
    payout.refresh_from_db()
    assert (payout.status, payout.payment_reference) == (Payout.Status.PAID, "REF-1")


def test_a_bad_upload_is_refused_with_its_reason_not_a_500(operator):
    """A truncated file: refused, the reason shown, nothing applied."""
    response = operator.post(
        reverse(UPLOAD),
        {
            "file": SimpleUploadedFile(
                "cut.xml", (MESSAGES / "bad_truncated.xml").read_bytes()
            )
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "refused, nothing applied: not_xml" in response.text
    assert InboundBankFile.objects.get().status == InboundBankFile.Status.FAILED


def test_the_upload_needs_its_permission(client):
    """Staff without the right to read bank files in cannot upload one."""
    client.force_login(StaffUserFactory())
    assert client.get(reverse(UPLOAD)).status_code == 403


def test_entries_not_applied_are_listed_for_operators(operator):
    """An amount that disagrees appears in admin with the reason."""
    batch, (payout,) = released(1)
    book(batch, [payout], amount=payout.payout_amount + 1)
    listing = operator.get(reverse("admin:payouts_bankdiscrepancy_changelist"))
    assert listing.status_code == 200
    assert payout.claim.reference in listing.text
    assert "Not applied" in listing.text
