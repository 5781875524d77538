"""Sign-up, e-mail change and company profile forms."""

from functools import cache

from allauth.account.forms import AddEmailForm, ChangeEmailForm, SignupForm
from babel import Locale
from babel.numbers import get_territory_currencies
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import postnummer

from cashback.countries import country_choices

from .addresses import address_required_fields
from .domain_policy import email_domain_validate
from .identifiers import (
    org_number_validate,
    vat_number_normalise,
    vat_required,
)
from .models import Reseller
from .selectors import Registration, registration_plan
from .services import org_number_taken_message, reseller_register_user


class CompanySignupFields(forms.Form):
    """The person and company fields every sign-up asks, by e-mail or Microsoft.

    `company_clean` checks the numbers for the country and whether the company
    can be registered; `company_register` attaches the new user to it.
    """

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    legal_name = forms.CharField(
        label=_("Company legal name"),
        max_length=200,
        help_text=_("As registered, e.g. “Nordlicens AB”."),
    )
    country = forms.ChoiceField(
        label=_("Country"), choices=lambda: [("", "---------"), *country_choices()]
    )
    org_number = forms.CharField(
        label=_("Organisation number"),
        max_length=40,
        help_text=_("The company's registration number in its country."),
    )
    vat_number = forms.CharField(
        label=_("VAT number"),
        max_length=40,
        required=False,
        help_text=_("Required in the EU, Norway, Switzerland and the UK."),
    )

    def company_clean(self, cleaned: dict) -> None:
        """Normalise the numbers for the country; refuse a taken number."""
        country = cleaned.get("country")
        if not country:
            return
        if "org_number" in cleaned:
            try:
                cleaned["org_number"] = org_number_validate(
                    country=country, value=cleaned["org_number"]
                )
            except forms.ValidationError as error:
                self.add_error("org_number", error)
        vat = cleaned.get("vat_number", "")
        if vat:
            try:
                cleaned["vat_number"] = vat_number_normalise(country=country, value=vat)
            except forms.ValidationError as error:
                self.add_error("vat_number", error)
        elif vat_required(country) and "vat_number" not in self.errors:
            self.add_error(
                "vat_number",
                _("Enter the company's VAT number: companies in %(country)s have one.")
                % {"country": countries.name(country)},
            )
        email = cleaned.get("email")
        if email and "org_number" in cleaned and not self.errors:
            plan = registration_plan(
                email=email, country=country, org_number=cleaned["org_number"]
            )
            if plan.outcome == Registration.TAKEN:
                self.add_error("org_number", org_number_taken_message())

    def company_register(self, user) -> None:
        """Attach the new user to their company (call inside the user's transaction)."""
        reseller_register_user(
            user=user,
            legal_name=self.cleaned_data["legal_name"],
            country=self.cleaned_data["country"],
            org_number=self.cleaned_data["org_number"],
            vat_number=self.cleaned_data.get("vat_number", ""),
            language=translation.get_language() or "en",
        )


class ResellerSignupForm(CompanySignupFields, SignupForm):
    """Sign-up of a person and their company in one form (R1)."""

    field_order = [
        "email",
        "first_name",
        "last_name",
        "password1",
        "password2",
        "legal_name",
        "country",
        "org_number",
        "vat_number",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Work e-mail address")
        self.fields["email"].help_text = _(
            "On your company's own domain: private and webmail addresses are refused."
        )
        for name, autocomplete in {
            "first_name": "given-name",
            "last_name": "family-name",
            "legal_name": "organization",
            "country": "country",
        }.items():
            self.fields[name].widget.attrs["autocomplete"] = autocomplete
        for name in ("email", "password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("You"), "email", "first_name", "last_name", "password1", "password2"
            ),
            Fieldset(
                _("Your company"), "legal_name", "country", "org_number", "vat_number"
            ),
        )

    def clean_email(self) -> str:
        email = super().clean_email()
        email_domain_validate(email)
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        self.company_clean(cleaned)
        return cleaned

    def save(self, request):
        # The user and their company are written together or not at all.
        with transaction.atomic():
            user = super().save(request)
            self.company_register(user)
        return user


class PolicyAddEmailForm(AddEmailForm):
    """Adding an address passes the same domain check as sign-up."""

    def clean_email(self) -> str:
        email = super().clean_email()
        email_domain_validate(email)
        return email


class PolicyChangeEmailForm(ChangeEmailForm):
    """Changing the address passes the same domain check as sign-up."""

    def clean_email(self) -> str:
        email = super().clean_email()
        email_domain_validate(email)
        return email


@cache
def _tender_currencies() -> tuple[str, ...]:
    """ISO 4217 codes in use as legal tender somewhere today (from Babel/CLDR)."""
    codes: set[str] = set()
    for territory in Locale("en").territories:
        if territory.isalpha():
            codes.update(get_territory_currencies(territory))
    return tuple(sorted(codes))


def currency_choices() -> list[tuple[str, str]]:
    """ISO 4217 currencies with their names in the current language."""
    locale = Locale.parse(translation.to_locale(translation.get_language() or "en"))
    return [("", "---------")] + [
        (code, f"{code} – {locale.currencies.get(code, code)}")
        for code in _tender_currencies()
    ]


class CompanyForm(forms.ModelForm):
    """What the company admin edits on /company/."""

    preferred_currency = forms.ChoiceField(
        label=_("Preferred payout currency"), choices=currency_choices
    )

    class Meta:
        model = Reseller
        fields = [
            "legal_name",
            "street_address",
            "postal_code",
            "city",
            "region",
            "preferred_currency",
            "preferred_language",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        country = self.instance.country.code
        required = address_required_fields(country)
        for name in ("street_address", "postal_code", "city", "region"):
            self.fields[name].required = name in required
        self.fields["preferred_currency"].required = True
        for name, autocomplete in {
            "legal_name": "organization",
            "street_address": "street-address",
            "postal_code": "postal-code",
            "city": "address-level2",
            "region": "address-level1",
        }.items():
            self.fields[name].widget.attrs["autocomplete"] = autocomplete
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("Company"), "legal_name"),
            Fieldset(
                _("Postal address"), "street_address", "postal_code", "city", "region"
            ),
            Fieldset(_("Preferences"), "preferred_currency", "preferred_language"),
        )
        self.helper.add_input(Submit("save", _("Save changes"), css_class="btn-brand"))

    def clean_postal_code(self) -> str:
        value = " ".join(self.cleaned_data["postal_code"].split()).upper()
        if self.instance.country.code == "SE" and value:
            try:
                return postnummer.format(postnummer.validate(value))
            except StdnumError:
                raise forms.ValidationError(
                    _("A Swedish postal code has five digits, e.g. 111 22."),
                    code="invalid_postal_code",
                ) from None
        return value
