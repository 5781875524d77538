"""Operators see the bank files in admin, read-only, in a fixed number of queries."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from payouts.bank.models import InboundBankFile, OutboundBankFile
from tests.payouts.bank.conftest import in_batch
from tests.resellers.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Operators"))
    client.force_login(user)
    return client


def refused(number: int) -> InboundBankFile:
    return InboundBankFile.objects.create(
        name=f"cut-{number}.xml",
        status=InboundBankFile.Status.FAILED,
        reason="not_xml: The file is not well-formed XML (cut short?)",
    )


@pytest.mark.parametrize("rows", [1, 20])
def test_operators_see_refused_files_with_their_reason(
    operator, django_assert_num_queries, rows
):
    """The reason is on the list; the page's queries do not grow with the rows."""
    for number in range(rows):
        refused(number)
    with django_assert_num_queries(7):
        response = operator.get(reverse("admin:payouts_inboundbankfile_changelist"))
    assert response.status_code == 200
    assert "cut-0.xml" in response.text
    assert "not well-formed XML" in response.text


def test_the_sent_files_are_listed_and_cannot_be_changed(operator):
    """Sent files list with their batch; no add, change or delete."""
    batch = in_batch("CB-SENT-1", ["CB-2027-000101"])
    record = OutboundBankFile.objects.create(batch=batch, name="pain.001-CB-SENT-1.xml")
    listing = operator.get(reverse("admin:payouts_outboundbankfile_changelist"))
    assert "pain.001-CB-SENT-1.xml" in listing.text
    assert (
        operator.get(reverse("admin:payouts_outboundbankfile_add")).status_code == 403
    )
    delete = reverse("admin:payouts_outboundbankfile_delete", args=[record.pk])
    assert operator.post(delete, {"post": "yes"}).status_code == 403
    assert OutboundBankFile.objects.filter(pk=record.pk).exists()
