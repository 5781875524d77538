"""What a program manager changes in admin goes through the services."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from cashback.errors import PortalError
from cashback.models import OutboxMessage
from payouts.banking import beneficiary_check
from resellers.errors import ResellerError
from resellers.models import Reseller, ResellerEvent
from resellers.services import (
    reseller_legal_name_change,
    reseller_org_number_change,
    reseller_status_set,
    user_membership_set,
)

from .factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    reseller = ResellerFactory(legal_name="Nordlicens AB", preferred_language="sv")
    admin_sv = UserFactory(reseller=reseller, is_company_admin=True)
    admin_en = UserFactory(
        reseller=reseller, is_company_admin=True, preferred_language="en"
    )
    UserFactory(reseller=reseller)  # not an admin: not asked
    return reseller, admin_sv, admin_en


def test_a_legal_name_change_recomputes_the_key_and_asks_the_admins(company):
    """The new name's key is stored at once, so the old name no longer passes
    the beneficiary check; each admin is e-mailed in their language to
    re-confirm the bank details, and the change is an event."""
    reseller, admin_sv, admin_en = company
    manager = StaffUserFactory()
    reseller_legal_name_change(
        reseller=reseller, actor=manager, legal_name="Licensia Norden AB"
    )
    reseller.refresh_from_db()
    assert reseller.legal_name == "Licensia Norden AB"
    assert reseller.normalized_name == "licensianorden"
    with pytest.raises(ValidationError):
        beneficiary_check(beneficiary_name="Nordlicens AB", reseller=reseller)
    event = ResellerEvent.objects.get(kind=ResellerEvent.Kind.LEGAL_NAME_CHANGED)
    assert event.actor == manager
    assert event.detail == {"from": "Nordlicens AB", "to": "Licensia Norden AB"}
    messages = {tuple(m.recipients): m for m in OutboxMessage.objects.all()}
    assert set(messages) == {(admin_sv.email,), (admin_en.email,)}
    assert "bekräfta era bankuppgifter" in messages[(admin_sv.email,)].text_body
    assert "confirm your bank details" in messages[(admin_en.email,)].text_body
    assert "Nordlicens AB" in messages[(admin_en.email,)].text_body


def test_the_same_name_changes_nothing(company):
    reseller, *_admins = company
    reseller_legal_name_change(
        reseller=reseller, actor=StaffUserFactory(), legal_name=" Nordlicens  AB "
    )
    assert not ResellerEvent.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_status_org_number_and_membership_record_events():
    reseller = ResellerFactory()
    other = ResellerFactory()
    manager = StaffUserFactory()
    assert reseller_status_set(
        reseller=reseller, actor=manager, status=Reseller.Status.SUSPENDED
    )
    with pytest.raises(ValidationError) as caught:
        reseller_org_number_change(reseller=reseller, actor=manager, org_number="1")
    assert "org_number" in caught.value.message_dict
    with pytest.raises(ValidationError):
        reseller_org_number_change(
            reseller=reseller, actor=manager, org_number=other.org_number
        )
    reseller_org_number_change(
        reseller=reseller, actor=manager, org_number="556036-0793"
    )
    user = UserFactory(reseller=reseller)
    user_membership_set(user=user, actor=manager, reseller=other, is_company_admin=True)
    user.refresh_from_db()
    assert (user.reseller, user.is_company_admin) == (other, True)
    reseller.refresh_from_db()
    assert (reseller.status, reseller.org_number) == ("suspended", "5560360793")
    kinds = set(ResellerEvent.objects.values_list("kind", flat=True))
    assert kinds == {"status_changed", "org_number_changed", "member_changed"}


def test_admin_cannot_edit_what_a_service_owns(client):
    """The fields are read-only in admin; the action changes the name."""
    manager = StaffUserFactory(is_superuser=True)
    manager.user_permissions.add(*Permission.objects.filter(codename="change_reseller"))
    reseller = ResellerFactory(legal_name="Nordlicens AB")
    client.force_login(manager)
    page = client.get(f"/admin/resellers/reseller/{reseller.pk}/change/")
    assert page.status_code == 200
    form_fields = page.context["adminform"].form.fields
    for name in ("legal_name", "org_number", "status"):
        assert name not in form_fields
    response = client.post(
        "/admin/resellers/reseller/",
        {
            "action": "change_legal_name",
            "_selected_action": [reseller.pk],
            "confirm": "yes",
            "legal_name": "Licensia Norden AB",
        },
    )
    assert response.status_code == 302
    reseller.refresh_from_db()
    assert reseller.normalized_name == "licensianorden"


def test_a_refusal_is_a_reseller_error_with_its_code_on_its_field():
    """The companies' services refuse with a ResellerError (a PortalError):
    the message on the form field it is about, the rule's code, nothing
    written."""
    reseller = ResellerFactory()
    other = ResellerFactory(org_number="5560360793")  # a valid Swedish number
    manager = StaffUserFactory()
    cases = [
        (
            lambda: reseller_org_number_change(
                reseller=reseller, actor=manager, org_number="1"
            ),
            "org_number",
            ResellerError.Code.INVALID_ORG_NUMBER,
        ),
        (
            lambda: reseller_org_number_change(
                reseller=reseller, actor=manager, org_number=other.org_number
            ),
            "org_number",
            ResellerError.Code.ORG_NUMBER_TAKEN,
        ),
        (
            lambda: reseller_status_set(reseller=reseller, actor=manager, status="x"),
            "status",
            ResellerError.Code.INVALID_STATUS,
        ),
        (
            lambda: reseller_legal_name_change(
                reseller=reseller, actor=manager, legal_name=" "
            ),
            "legal_name",
            ResellerError.Code.REQUIRED,
        ),
    ]
    for refused_call, field, code in cases:
        with pytest.raises(ResellerError) as refused:
            refused_call()
        assert isinstance(refused.value, PortalError)
        assert list(refused.value.message_dict) == [field]
        assert refused.value.code == code
    assert not ResellerEvent.objects.filter(reseller=reseller).exists()
