"""Language: the user's choice, then the cookie, then the browser, then English."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page_language(client, **headers) -> str:
    html = client.get("/", **headers).content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_cookie_beats_the_browser(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert page_language(client, HTTP_ACCEPT_LANGUAGE="en") == "sv"


def test_users_choice_beats_cookie_and_browser(client, django_user_model):
    user = django_user_model.objects.create_user(
        email="ola@reseller.example", password="x", preferred_language="sv"
    )
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert page_language(client, HTTP_ACCEPT_LANGUAGE="en") == "sv"


def test_switcher_sets_cookie_for_a_visitor(client):
    """The switcher works without being signed in and returns to the page."""
    response = client.post(reverse("language_switch"), {"language": "sv", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert page_language(client, HTTP_ACCEPT_LANGUAGE="en") == "sv"


def test_switcher_remembers_the_choice_on_the_user(client, django_user_model):
    user = django_user_model.objects.create_user(
        email="a@reseller.example", password="x"
    )
    client.force_login(user)
    client.post(reverse("language_switch"), {"language": "sv", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "sv"


def test_switcher_ignores_an_unknown_language(client, django_user_model):
    user = django_user_model.objects.create_user(
        email="b@reseller.example", password="x"
    )
    client.force_login(user)
    response = client.post(reverse("language_switch"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert response.status_code == 302
    assert user.preferred_language == ""


def test_swedish_catalogue_is_complete():
    """Every message of the Swedish catalogue has a translation."""
    from babel.messages.pofile import read_po

    with open(settings.LOCALE_PATHS[0] / "sv/LC_MESSAGES/django.po", "rb") as handle:
        catalogue = read_po(handle)
    untranslated = [
        message.id
        for message in catalogue
        if message.id
        and not (
            all(message.string) if isinstance(message.string, tuple) else message.string
        )
    ]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []
