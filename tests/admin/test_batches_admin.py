"""Payment batches in admin (issue 28): the batch page shows what it pays, release
is confirmed on its own page by another operator, and the messages name the
claims and say what happened."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from payouts.models import PaymentBatch, Payout
from payouts.services import batch_create
from tests.payouts.test_batches import scheduled_payout
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
BATCHES = reverse("admin:payouts_paymentbatch_changelist")


def operator():
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Operators"))
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def batch_of_two():
    first, second = scheduled_payout(), scheduled_payout()
    builder = operator()
    batch = batch_create(
        currency=first.payout_currency, payouts=[first, second], operator=builder
    )
    return batch, builder, [first, second]


def test_the_batch_page_lists_its_payouts_and_totals(
    client, batch_of_two, django_assert_max_num_queries
):
    batch, _builder, payouts = batch_of_two
    client.force_login(operator())
    url = reverse("admin:payouts_paymentbatch_change", args=[batch.pk])
    with translation.override("en"), django_assert_max_num_queries(25):
        html = client.get(url).content.decode()
    for payout in payouts:
        payout.refresh_from_db()
        assert payout.claim.reference in html
        assert payout.reseller.legal_name in html
        assert payout.bank_account.masked_account in html
    assert "Total: 2 payouts" in html


def test_the_operator_who_built_a_batch_is_not_offered_release(client, batch_of_two):
    batch, builder, _payouts = batch_of_two
    client.force_login(builder)
    page = client.get(reverse("admin:payouts_paymentbatch_change", args=[batch.pk]))
    release_url = reverse("admin:payouts_paymentbatch_release", args=[batch.pk])
    assert release_url not in page.content.decode()
    response = client.post(
        BATCHES,
        {"action": "release", "_selected_action": [batch.pk], "apply": "1"},
        follow=True,
    )
    assert any("another operator" in m for m in messages_of(response))
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT


def test_another_operator_confirms_the_release_on_its_own_page(client, batch_of_two):
    batch, _builder, payouts = batch_of_two
    client.force_login(operator())
    change = client.get(reverse("admin:payouts_paymentbatch_change", args=[batch.pk]))
    release_url = reverse("admin:payouts_paymentbatch_release", args=[batch.pk])
    assert release_url in change.content.decode()

    page = client.get(release_url)
    assert page.status_code == 200
    assert all(p.claim.reference in page.content.decode() for p in payouts)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT  # asking changes nothing

    done = client.post(release_url, {"apply": "1"}, follow=True)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.RELEASED
    with translation.override("en"):
        text = " ".join(messages_of(done))
    assert f"Released batch {batch.message_id}: 2 payouts" in text, text
    assert "done." not in text


def test_a_refused_batch_names_the_claim_not_a_payout_id(client):
    payout = scheduled_payout()
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.READY)
    client.force_login(operator())
    response = client.post(
        reverse("admin:payouts_payout_changelist"),
        {"action": "create_batch", "_selected_action": [payout.pk]},
        follow=True,
    )
    text = " ".join(messages_of(response))
    assert payout.claim.reference in text
    assert f"Payout {payout.pk}" not in text
    assert "(s)" not in text
