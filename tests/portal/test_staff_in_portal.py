"""Vendor staff who open the reseller portal are shown the way to admin, not
the reseller navigation and "your company is being checked" (issue 28)."""

import pytest
from django.urls import reverse

from tests.resellers.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_see_a_link_to_admin_instead_of_the_reseller_navigation(client):
    staff = StaffUserFactory()
    client.force_login(staff)
    response = client.get(reverse("dashboard"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your company is being checked" not in html
    assert f'href="{reverse("admin:index")}"' in html
    nav = html.split('id="main-nav"', 1)[1].split("</ul>", 1)[0]
    assert reverse("claims:list") not in nav
    assert reverse("payouts:list") not in nav


def test_resellers_keep_their_navigation(client):
    client.force_login(UserFactory())
    html = client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nav = html.split('id="main-nav"', 1)[1].split("</ul>", 1)[0]
    assert reverse("claims:list") in nav
    assert reverse("admin:index") not in nav
