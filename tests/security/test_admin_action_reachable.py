"""An admin action declared in code is one an administrator can run (issue 27:
`set_membership` was hidden by a second `actions` list)."""

import pytest
from django.urls import reverse

from resellers.models import ResellerEvent
from tests.resellers.factories import ResellerFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_set_membership_is_offered_and_runs_through_its_service(client):
    chief = StaffUserFactory(is_superuser=True)
    client.force_login(chief)
    user, company = UserFactory(), ResellerFactory()
    changelist = reverse("admin:resellers_user_changelist")

    page = client.get(changelist)
    assert 'value="set_membership"' in page.text

    form = client.post(
        changelist, {"action": "set_membership", "_selected_action": [user.pk]}
    )
    assert form.status_code == 200
    client.post(
        changelist,
        {
            "action": "set_membership",
            "_selected_action": [user.pk],
            "confirm": "1",
            "reseller": company.pk,
            "is_company_admin": "on",
        },
    )
    user.refresh_from_db()
    assert (user.reseller, user.is_company_admin) == (company, True)
    assert ResellerEvent.objects.filter(kind="member_changed").exists()
