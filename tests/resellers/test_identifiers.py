"""Organisation and VAT numbers: validated per country, stored normalised."""

import pytest
from django.core.exceptions import ValidationError

from payouts.banking import beneficiary_check
from resellers.identifiers import (
    company_name_key,
    org_number_validate,
    vat_number_normalise,
)
from tests.resellers.factories import ResellerFactory


@pytest.mark.parametrize(
    ("country", "entered", "stored"),
    [
        ("SE", "556036-0793", "5560360793"),
        ("NO", "974 760 673", "974760673"),
        ("DK", "13 58 56 28", "13585628"),
        ("FI", "2077474-0", "20774740"),
        ("DE", "Aachen HRB 11223", "Aachen HRB 11223"),
        ("GB", "445790", "00445790"),
        ("GB", "sc123456", "SC123456"),
    ],
)
def test_valid_org_numbers_are_stored_normalised(country, entered, stored):
    """A valid number is accepted and stored in its compact form."""
    assert org_number_validate(country=country, value=entered) == stored


@pytest.mark.parametrize(
    ("country", "entered"),
    [
        ("SE", "556036-0794"),
        ("NO", "974 760 674"),
        ("DK", "13585627"),
        ("FI", "2077474-1"),
        ("DE", "Nowhere HRB 11223"),
        ("GB", "ABC"),
        ("SE", ""),
    ],
)
def test_invalid_org_numbers_are_refused(country, entered):
    """A wrong check digit or format is refused with a message."""
    with pytest.raises(ValidationError) as error:
        org_number_validate(country=country, value=entered)
    assert error.value.messages[0]


@pytest.mark.parametrize(
    ("country", "entered", "stored"),
    [
        ("SE", "SE 5560 3607 9301", "SE556036079301"),
        ("SE", "556036079301", "SE556036079301"),
        ("NO", "974760673MVA", "NO974760673MVA"),
        ("NO", "974 760 673", "NO974760673MVA"),
        ("DK", "DK 13585628", "DK13585628"),
        ("FI", "FI20774740", "FI20774740"),
        ("DE", "DE 136 695 976", "DE136695976"),
        ("GB", "GB 980 7806 84", "GB980780684"),
    ],
)
def test_valid_vat_numbers_are_stored_with_their_prefix(country, entered, stored):
    """A valid VAT number is stored compact, with the country prefix."""
    assert vat_number_normalise(country=country, value=entered) == stored


@pytest.mark.parametrize(
    ("country", "entered"),
    [
        ("SE", "SE556036079302"),
        ("NO", "974760674MVA"),
        ("DK", "DK13585627"),
        ("FI", "FI20774741"),
        ("DE", "DE136695978"),
        ("GB", "GB980780685"),
        ("SE", "DK13585628"),
    ],
)
def test_invalid_vat_numbers_are_refused(country, entered):
    """A wrong check digit, or another country's number, is refused."""
    with pytest.raises(ValidationError):
        vat_number_normalise(country=country, value=entered)


@pytest.mark.parametrize(
    "written",
    ["Nordlicens AB", "NORDLICENS A.B.", "nordlicens ab.", " Nordlicens  AB "],
)
def test_company_names_compare_on_one_key(written):
    """Legal suffix, case, punctuation and spacing do not change the key."""
    assert company_name_key(written) == "nordlicens"


def test_the_checks_read_the_stored_key():
    """The beneficiary check (R3) compares with Reseller.normalized_name."""
    reseller = ResellerFactory.build(legal_name="Nordlicens AB")
    assert reseller.normalized_name == company_name_key("Nordlicens AB")
    assert beneficiary_check(beneficiary_name="NORDLICENS A.B.", reseller=reseller)
    reseller.normalized_name = "somethingelse"
    with pytest.raises(ValidationError):
        beneficiary_check(beneficiary_name="Nordlicens AB", reseller=reseller)
