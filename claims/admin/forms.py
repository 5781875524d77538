"""The words a reviewer gives with an action: each a reason form of the kernel
(cashback.reasons.ReasonForm), with the field names the actions post."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cashback.reasons import ReasonForm

from ..models import CorrectionReason, RejectionReason


class ClaimReasonForm(ReasonForm):
    """A claim's reason: posted as `reason` (the code) and `details` (words)."""

    code_field = "reason"
    words_field = "details"


class RejectForm(ClaimReasonForm):
    reason_choices = RejectionReason.choices


class ReverseApprovalForm(ClaimReasonForm):
    """The approval goes back to review: a correction reason only. To reject,
    the reviewer then rejects it with a rejection reason as usual."""

    reason_choices = CorrectionReason.choices


class AdjustRewardForm(ClaimReasonForm):
    reason_choices = CorrectionReason.choices
    field_order = ["amount"]

    amount = forms.DecimalField(
        label=_("Corrected reward"), min_value=0, max_digits=14, decimal_places=2
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["amount", self.code_field, self.words_field])


class RequestInvoiceForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the reseller"),
        help_text=ReasonForm.words_help,
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=_("Please upload a copy of the customer invoice for this sale."),
    )
