"""Forms of the bank-details page; the rules themselves live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cashback.countries import country_choices


class ConfirmAccountForm(forms.Form):
    """One click: pay to the current account, after confirming the address."""

    address_confirmed = forms.BooleanField(
        label=_("The company's postal address shown above is correct."),
        required=False,
    )


class BankAccountForm(forms.Form):
    """A new version of the company's bank account."""

    beneficiary_name = forms.CharField(
        label=_("Beneficiary name"),
        max_length=200,
        required=False,
        help_text=_("The company's legal name: the account must be the company's."),
    )
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=40,
        required=False,
        help_text=_("Only where your country has no IBAN."),
    )
    bank_code = forms.CharField(
        label=_("Bank code"),
        max_length=20,
        required=False,
        help_text=_("Routing or sort code, with an account number."),
    )
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)
    bank_country = forms.ChoiceField(
        label=_("Bank country"),
        choices=lambda: [("", "---------"), *country_choices()],
        required=False,
    )
    currency = forms.ChoiceField(label=_("Payout currency"), choices=())
    address_confirmed = forms.BooleanField(
        label=_("The company's postal address shown above is correct."),
        required=False,
    )

    def __init__(self, *args, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c, c) for c in currencies]
