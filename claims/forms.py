"""Forms of the reseller pages; the services decide, the forms only carry input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .uploads import MAX_INVOICE_BYTES


class ClaimFileForm(forms.Form):
    """Agreement numbers and the acceptance of the terms shown above the form."""

    agreement_numbers = forms.CharField(
        label=_("Open agreement numbers"),
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        help_text=_(
            "One per line, or separated by commas or semicolons. Spaces, dashes, "
            "dots and slashes inside a number do not matter."
        ),
        max_length=20000,
        required=False,
    )
    # Not required here: the service gives the one message for a missing tick.
    accepted_terms = forms.BooleanField(
        label=_("I have read and accept the terms"), required=False
    )
    terms_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The terms version shown, signed (claims.services.filing_token).
    filing = forms.CharField(widget=forms.HiddenInput, required=False)


class DisputeForm(forms.Form):
    comment = forms.CharField(
        label=_("Why is the rejection wrong?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
    )


class InvoiceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Customer invoice copy"),
        help_text=_("PDF, PNG or JPEG, at most 10 MB."),
        allow_empty_file=True,  # the service says why an empty file is refused
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/png,image/jpeg"}
        ),
    )

    max_size = MAX_INVOICE_BYTES
