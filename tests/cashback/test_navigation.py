"""The layout's links (cashback.context_processors.navigation)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cashback.context_processors import NAVIGATION, navigation
from tests.resellers.factories import UserFactory

SECTIONS = (
    "dashboard",
    "offers:list",
    "claims:list",
    "payouts:list",
    "resellers:company",
)


def test_each_link_is_its_url_reversed_once():
    request = RequestFactory().get("/")
    links = navigation(request)["NAV"]
    assert links == {key: reverse(name) for key, name in NAVIGATION.items()}
    assert navigation(request)["NAV"] is links  # not reversed again


@pytest.mark.django_db
def test_the_signed_in_layout_links_every_section(client):
    client.force_login(UserFactory())
    page = client.get(reverse("dashboard")).content.decode()
    for name in SECTIONS:
        assert f'href="{reverse(name)}"' in page
    assert f'action="{reverse("account_logout")}"' in page
    assert f'action="{reverse("language_switch")}"' in page
