"""Operators in admin: masked accounts, deadline filters, batch actions."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from payouts.models import PaymentBatch, Payout
from tests.payouts.conftest import approve
from tests.payouts.factories import PayoutFactory, approved_claim
from tests.payouts.test_bank_details import IBAN, submit
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def operator_client(client):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Operators"))
    client.force_login(user)
    return user


def test_bank_accounts_are_masked_in_admin(client):
    """The full account number appears nowhere in the list or the detail page."""
    account = submit(approve(approved_claim()))
    operator_client(client)
    listing = client.get(reverse("admin:payouts_bankaccount_changelist"))
    detail = client.get(reverse("admin:payouts_bankaccount_change", args=[account.pk]))
    for response in (listing, detail):
        html = response.content.decode()
        assert response.status_code == 200
        assert "****7466" in html
        assert IBAN[4:] not in html


def test_deadline_filters_list_payouts_at_risk(client, time_machine):
    """'Within 7 days' and 'past deadline' show the right open payouts."""
    time_machine.move_to("2027-04-25 08:00:00+00:00", tick=False)
    soon = PayoutFactory(
        status=Payout.Status.READY, payment_deadline=dt.date(2027, 4, 29)
    )
    past = PayoutFactory(
        status=Payout.Status.READY, payment_deadline=dt.date(2027, 4, 1)
    )
    operator_client(client)
    url = reverse("admin:payouts_payout_changelist")
    soon_html = client.get(url, {"deadline": "soon"}).content.decode()
    past_html = client.get(url, {"deadline": "past"}).content.decode()
    assert soon.claim.reference in soon_html and past.claim.reference not in soon_html
    assert past.claim.reference in past_html and soon.claim.reference not in past_html


def test_batch_actions_in_admin_keep_four_eyes(client):
    """One operator creates the batch, the same one cannot release it, another can."""
    payout = scheduled_payout()
    operator_client(client)
    client.post(
        reverse("admin:payouts_payout_changelist"),
        {"action": "create_batch", "_selected_action": [payout.pk]},
    )
    batch = PaymentBatch.objects.get()
    batches_url = reverse("admin:payouts_paymentbatch_changelist")
    client.post(batches_url, {"action": "release", "_selected_action": [batch.pk]})
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
    operator_client(client)
    # Release asks first on its own page, then releases once confirmed.
    client.post(batches_url, {"action": "release", "_selected_action": [batch.pk]})
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT
    client.post(
        batches_url,
        {"action": "release", "_selected_action": [batch.pk], "apply": "1"},
    )
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RELEASED
    download = client.post(
        batches_url, {"action": "download_file", "_selected_action": [batch.pk]}
    )
    assert download["Content-Type"] == "application/xml"
    assert batch.message_id.encode() in download.content


def test_there_is_no_manual_mark_paid_or_failed(client):
    """The bank's files are the one way in: no action marks a payout paid or
    failed by hand."""
    operator_client(client)
    html = client.get(reverse("admin:payouts_payout_changelist")).content.decode()
    assert 'value="create_batch"' in html
    assert "mark_paid" not in html and "mark_failed" not in html
