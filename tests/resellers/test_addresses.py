"""One home for "the company's postal address is complete for its country"."""

import pytest
from django.core.exceptions import ValidationError

from payouts.models import Payout
from payouts.services import bank_account_submit
from resellers.addresses import address_is_complete, address_missing_fields
from tests.payouts.conftest import approve
from tests.payouts.factories import approved_claim

from .factories import ResellerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("country", ["IE", "HK"])
def test_no_postal_code_is_needed_where_the_country_has_none(country):
    """Street and city make a complete address in Ireland and Hong Kong."""
    reseller = ResellerFactory.build(country=country, postal_code="")
    assert address_is_complete(reseller)


def test_the_parts_each_country_needs_are_required():
    """Sweden needs a postal code, the US a state too; blanks are named."""
    assert address_missing_fields(ResellerFactory.build(postal_code=" ")) == [
        "postal_code"
    ]
    american = ResellerFactory.build(country="US", postal_code="10001", region="")
    assert address_missing_fields(american) == ["region"]


@pytest.mark.parametrize("country", ["IE", "HK"])
def test_an_address_the_company_page_saves_can_be_paid(client, country):
    """The company page and the bank-details check agree: no postal code in
    IE or HK is accepted by both, so the company can be paid."""
    claim = approved_claim()
    reseller = claim.reseller
    reseller.country = country
    reseller.save(update_fields=["country"])
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    client.force_login(admin)
    response = client.post(
        "/company/",
        {
            "legal_name": reseller.legal_name,
            "street_address": "1 Harbour Road",
            "postal_code": "",
            "city": "Dublin" if country == "IE" else "Wan Chai",
            "region": "",
            "preferred_currency": "EUR",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 302
    reseller.refresh_from_db()
    assert reseller.postal_code == ""
    payout = approve(claim)
    bank_account_submit(
        reseller=reseller,
        user=admin,
        beneficiary_name=reseller.legal_name,
        iban="SE4550000000058398257466",
        bic="ESSESESS",
        bank_country="SE",
        currency="SEK",
        payout=payout,
    )
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY


def test_the_company_page_refuses_a_missing_city(client):
    """The form requires what the rule requires: a blank city is refused."""
    reseller = ResellerFactory(country="IE", postal_code="")
    admin = UserFactory(reseller=reseller, is_company_admin=True)
    client.force_login(admin)
    response = client.post(
        "/company/",
        {
            "legal_name": reseller.legal_name,
            "street_address": "1 Harbour Road",
            "postal_code": "",
            "city": "",
            "region": "",
            "preferred_currency": "EUR",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 200
    assert "city" in response.context["form"].errors


def test_an_incomplete_address_cannot_be_paid():
    """The bank-details check refuses an address the rule calls incomplete."""
    claim = approved_claim()
    reseller = claim.reseller
    reseller.city = ""
    reseller.save(update_fields=["city"])
    payout = approve(claim)
    with pytest.raises(ValidationError) as caught:
        bank_account_submit(
            reseller=reseller,
            user=claim.submitted_by,
            beneficiary_name=reseller.legal_name,
            iban="SE4550000000058398257466",
            bic="ESSESESS",
            bank_country="SE",
            currency="SEK",
            payout=payout,
        )
    assert "address_confirmed" in caught.value.message_dict
