"""Grouping a company's recipients by language: one home for every e-mail."""

import pytest

from resellers.selectors import recipients_by_language

from .factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_user_gets_their_language_else_the_companys(django_assert_num_queries):
    """A user's own language wins, else the company's; inactive users and other
    companies are left out; one query for many companies."""
    swedish = ResellerFactory(preferred_language="sv")
    own_en = UserFactory(reseller=swedish, preferred_language="en")
    company_sv = UserFactory(reseller=swedish, preferred_language="")
    UserFactory(reseller=swedish, is_active=False)
    silent = ResellerFactory()
    UserFactory()  # another company
    with django_assert_num_queries(1):
        groups = recipients_by_language(reseller_ids=[swedish.pk, silent.pk])
    assert groups[swedish.pk] == {"en": [own_en.email], "sv": [company_sv.email]}
    assert groups[silent.pk] == {}
    assert own_en.language == "en" and company_sv.language == "sv"
