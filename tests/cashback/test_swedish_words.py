"""The portal's Swedish voice on every page, allauth's included (issue 28)."""

import re

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse


def _catalogue():
    with open(settings.LOCALE_PATHS[0] / "sv/LC_MESSAGES/django.po", "rb") as handle:
        return list(read_po(handle))


def _strings(message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else message.string


def test_a_claim_is_an_anspråk_throughout():
    """One word for the noun: no "ansökan" nor "ansökningar" for a claim."""
    wrong = [
        message.id
        for message in _catalogue()
        if message.id
        and any(re.search(r"ansökning|ansökan", s, re.I) for s in _strings(message))
    ]
    assert wrong == []


def test_no_epost_adress_in_the_portal_voice():
    wrong = [
        message.id
        for message in _catalogue()
        if message.id and any(re.search(r"\bepost", s, re.I) for s in _strings(message))
    ]
    assert wrong == []


@pytest.mark.django_db
def test_the_swedish_log_in_page_offers_sign_up_in_its_own_words(client):
    html = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="sv")
    text = html.content.decode()
    assert "Har du redan ett konto" not in text
    assert "Epost" not in text and "epost" not in text
    signup = reverse("account_signup")
    assert re.search(rf'href="{signup}[^"]*">Skapa ett konto</a>', text), text[-3000:]


@pytest.mark.django_db
def test_allauth_pages_use_e_postadress(client):
    for name in ("account_login", "account_signup", "account_reset_password"):
        text = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
        assert "Epost" not in text and "epost-adress" not in text, name
