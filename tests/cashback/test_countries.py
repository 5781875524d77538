"""The country list in the reader's language and alphabet (issue 28)."""

import pytest
from django.urls import reverse
from django.utils import translation

from cashback.countries import country_choices


def test_the_swedish_list_is_swedish_and_in_swedish_order():
    with translation.override("sv"):
        names = [name for _, name in country_choices()]
    assert "Amerikanska Samoa" in names and "American Samoa" not in names
    assert "Sydsudan" in names and "South Sudan" not in names
    # Å, Ä and Ö come after Z in Swedish.
    assert names.index("Zimbabwe") < names.index("Åland") < names.index("Österrike")
    assert names.index("Albanien") < names.index("Belgien")


def test_the_english_list_is_in_english_order():
    with translation.override("en"):
        names = [name for _, name in country_choices()]
    assert names.index("Åland Islands") < names.index("Albania")


@pytest.mark.django_db
def test_the_sign_up_and_bank_forms_list_countries_in_swedish(client):
    response = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="sv")
    html = response.content.decode()
    assert ">Sverige<" in html
    assert ">American Samoa<" not in html
    assert html.index(">Zimbabwe<") < html.index(">Åland<")
