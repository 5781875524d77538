"""A company admin makes a colleague admin (issue 15): an event, and every
company admin is told; nobody else may."""

import pytest
from django.urls import reverse

from cashback.models import OutboxMessage
from resellers.models import ResellerEvent

from .factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_admin_makes_a_colleague_admin_and_every_admin_is_told(client):
    reseller = ResellerFactory()
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    swede = UserFactory(
        reseller=reseller, is_company_admin=True, preferred_language="sv"
    )
    colleague = UserFactory(reseller=reseller)
    client.force_login(admin)
    response = client.post(
        reverse("resellers:member_make_admin", kwargs={"member_id": colleague.pk})
    )
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_company_admin
    event = ResellerEvent.objects.get(kind=ResellerEvent.Kind.ADMIN_ADDED)
    assert (event.actor, event.detail) == (admin, {"email": colleague.email})
    told = {
        message.recipients[0]: message
        for message in OutboxMessage.objects.filter(
            dedup_key__startswith=f"reseller-admin-added:{event.pk}:"
        )
    }
    recipients = [email for m in told.values() for email in m.recipients]
    assert sorted(recipients) == sorted([admin.email, colleague.email, swede.email])
    assert "is now a company admin" in told[admin.email].subject
    assert "är nu företagsadministratör" in told[swede.email].subject


def test_a_plain_member_cannot_make_anyone_admin(client):
    """A 403 with nothing changed; another company's member is a 404."""
    reseller = ResellerFactory()
    UserFactory(reseller=reseller, is_company_admin=True)
    member = UserFactory(reseller=reseller)
    colleague = UserFactory(reseller=reseller)
    stranger = UserFactory()
    client.force_login(member)
    url = reverse("resellers:member_make_admin", kwargs={"member_id": colleague.pk})
    assert client.post(url).status_code == 403
    colleague.refresh_from_db()
    assert not colleague.is_company_admin
    assert not ResellerEvent.objects.filter(kind=ResellerEvent.Kind.ADMIN_ADDED)
    client.force_login(UserFactory(reseller=reseller, is_company_admin=True))
    other = reverse("resellers:member_make_admin", kwargs={"member_id": stranger.pk})
    assert client.post(other).status_code == 404
