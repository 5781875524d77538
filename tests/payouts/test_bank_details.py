"""Bank details (R3, R12): validation, encryption at rest, versions, conversion."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payouts.crypto import account_number_decrypt
from payouts.models import BankAccount, Payout
from payouts.services import (
    PayoutError,
    bank_account_confirm,
    bank_account_submit,
    bank_accounts_reencrypt,
)
from tests.payouts.conftest import approve, notice_delivered
from tests.payouts.factories import ExchangeRateFactory, approved_claim

pytestmark = pytest.mark.django_db

IBAN = "SE4550000000058398257466"


@pytest.fixture
def payout():
    return approve(approved_claim())


def submit(target, *, delivered: bool = True, **overrides):
    """Submit bank details for `target`'s payout; unless `delivered` is
    false, the notice of the account then reaches the admins (conftest)."""
    values = {
        "reseller": target.reseller,
        "user": target.claim.submitted_by,
        "beneficiary_name": target.reseller.legal_name,
        "iban": IBAN,
        "bic": "ESSESESS",
        "bank_country": "SE",
        "currency": "SEK",
        "payout": target,
    }
    values.update(overrides)
    account = bank_account_submit(**values)
    return notice_delivered(account) if delivered else account


def errors_of(payout, **overrides) -> dict:
    with pytest.raises(ValidationError) as caught:
        submit(payout, **overrides)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.AWAITING_BANK_DETAILS
    assert not BankAccount.objects.exists()  # nothing half-written
    return caught.value.message_dict


def test_valid_details_make_the_payout_ready(payout):
    """A valid company account moves the payout to ready on that account."""
    account = submit(payout)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY
    assert payout.bank_account == account
    assert (payout.payout_amount, payout.payout_currency) == (Decimal("1000.00"), "SEK")
    assert account.masked_account == "****7466"


@pytest.mark.parametrize(
    "name",
    ["", "Kim Lind", "Other Company AB", "Nordic Licensing Holding AB"],
)
def test_the_beneficiary_must_be_the_company(payout, name):
    """R3: a person, another company or no name is refused, naming the rule."""
    errors = errors_of(payout, beneficiary_name=name)
    assert "the company's name" in errors["beneficiary_name"][0]


def test_the_name_matches_after_normalisation(payout):
    """Case, punctuation and the legal suffix do not matter."""
    name = payout.reseller.legal_name.upper().replace(" AB", " AB.")
    submit(payout, beneficiary_name=name)
    assert BankAccount.objects.count() == 1


def test_a_wrong_iban_check_digit_is_refused(payout):
    """schwifty's checksum check: a typo in the IBAN is caught."""
    errors = errors_of(payout, iban="SE4550000000058398257467")
    assert "IBAN" in errors["iban"][0]


def test_a_malformed_bic_is_refused(payout):
    """A BIC must have 8 or 11 characters in the right format."""
    assert "BIC" in errors_of(payout, bic="ESS1")["bic"][0]


def test_the_bic_country_must_agree_with_the_iban(payout):
    """A German BIC with a Swedish IBAN is refused on the BIC field."""
    errors = errors_of(payout, bic="COBADEFFXXX")
    assert "DE" in errors["bic"][0]


def test_a_national_account_needs_its_bank_code(payout):
    """Without an IBAN, the account number needs a bank code and a BIC."""
    errors = errors_of(
        payout, iban="", account_number="12345678", bank_country="US", bic=""
    )
    assert set(errors) >= {"bank_code", "bic"}


def test_a_currency_outside_the_offers_list_is_refused(payout):
    """The payout currency is one of the offer's payout currencies."""
    assert "currency" in errors_of(payout, currency="USD")


def test_a_missing_exchange_rate_is_refused_clearly(payout):
    """Paying in EUR needs the rate of the calculation date."""
    errors = errors_of(payout, currency="EUR")
    assert "exchange rate" in errors["currency"][0]


def test_conversion_uses_the_rate_of_the_calculation_date(payout):
    """The converted amount and the rate are recorded on the payout."""
    ExchangeRateFactory(rate_date=payout.offer.calculation_date)
    submit(payout, currency="EUR")
    payout.refresh_from_db()
    assert payout.payout_currency == "EUR"
    assert payout.payout_amount == Decimal("87.00")
    assert payout.exchange_rate == Decimal("0.087")


def test_the_number_is_encrypted_and_versions_are_kept(payout):
    """Stored encrypted; a change is a new current version; the old one stays."""
    first = submit(payout)
    assert IBAN not in first.account_number_encrypted
    assert account_number_decrypt(first.account_number_encrypted) == IBAN
    second = submit(
        payout,
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        bank_country="DE",
        payout=None,
    )
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    assert (first.version, second.version) == (1, 2)


def test_keys_rotate_without_losing_accounts(payout, settings):
    """A new key in front: old tokens still decrypt; re-encryption uses the new."""
    from cryptography.fernet import Fernet

    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    account = submit(payout)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    assert account_number_decrypt(account.account_number_encrypted) == IBAN
    assert bank_accounts_reencrypt() == 2  # the account and its history row
    account.refresh_from_db()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert account_number_decrypt(account.account_number_encrypted) == IBAN


def test_one_account_at_two_resellers_is_flagged(payout):
    """The keyed hash notices the same account at another reseller; only the
    newcomer's account is flagged (issue 27: the first holder is not held)."""
    submit(payout)
    other = approve(approved_claim())
    second = submit(other)
    first = BankAccount.objects.exclude(pk=second.pk).get()
    assert second.shared_with_other_reseller
    assert not first.shared_with_other_reseller
    assert first.account_fingerprint == second.account_fingerprint


def test_confirming_needs_an_account_on_file(payout):
    """One-click confirmation without an account says what to do."""
    with pytest.raises(PayoutError):
        bank_account_confirm(
            reseller=payout.reseller, user=payout.claim.submitted_by, payout=payout
        )


def test_confirming_needs_the_address_confirmed(payout):
    """R12: the postal address must be confirmed too."""
    with pytest.raises(ValidationError) as caught:
        bank_account_confirm(
            reseller=payout.reseller,
            user=payout.claim.submitted_by,
            payout=payout,
            address_confirmed=False,
        )
    assert "address_confirmed" in caught.value.message_dict
