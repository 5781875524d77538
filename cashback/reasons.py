"""Reasons people give for a decision or a correction: a code from a list, shown
in the reader's language, and the person's own words, sent as written.

One home for the rules every app's reasons share: "Other" needs words, a reason
reads as "the code's label. the words", and the form that asks for both.
"""

from collections.abc import Iterable, Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import PortalError

OTHER = "other"  # the code every reason list ends with: the words say it all
REASON_REQUIRED = "reason_required"  # the refusal's code when either is missing


def reason_in_words(code: str, text: str, labels: Mapping[str, str]) -> str:
    """A reason in the current language: the code's label, then the person's
    own words; "other" (and no code) shows only the words."""
    text = (text or "").strip()
    if not code or code == OTHER or code not in labels:
        return text
    label = str(labels[code])
    return f"{label}. {text}" if text else label


def reason_words_require(
    *,
    code: str,
    words: str,
    codes: Iterable[str],
    error: type[PortalError] = PortalError,
    code_field: str = "reason_code",
    words_field: str = "reason",
    missing_code: str | None = None,
) -> str:
    """The person's words, stripped, once the reason is complete: a code from
    `codes`, and words when the code is "other". Otherwise `error` is raised on
    the field that is missing, with the code REASON_REQUIRED."""
    words = (words or "").strip()
    if code not in set(codes):
        raise error(
            missing_code or _("Choose a reason from the list."),
            code=REASON_REQUIRED,
            field=code_field,
        )
    if code == OTHER and not words:
        raise error(
            _("Explain the reason for “Other”."),
            code=REASON_REQUIRED,
            field=words_field,
        )
    return words


def words_require(
    words: str,
    *,
    message: str,
    error: type[PortalError] = PortalError,
    field: str = "reason",
) -> str:
    """The person's words, stripped, when a decision needs words and no code
    (a hold cleared, a return paid again): else `error` with `message` on
    `field`, with the code REASON_REQUIRED."""
    words = (words or "").strip()
    if not words:
        raise error(message, code=REASON_REQUIRED, field=field)
    return words


class ReasonForm(forms.Form):
    """A reason code from `reason_choices` (none preselected) and words.

    The field names are the ones each service's admin action has always posted
    (`code_field`, `words_field`); the words go to the reseller as written, the
    code's label in the reseller's language, which the help text says."""

    reason_choices: Iterable[tuple[str, str]] = ()
    code_field = "reason_code"
    words_field = "reason"
    code_label = _("Reason")
    words_label = _("Explanation for the reseller")
    words_help = _(
        "Sent as you write it, not translated: the reason above is shown in the "
        "reseller's language, your words as they are."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.code_field] = forms.ChoiceField(
            label=self.code_label,
            choices=[("", "---------"), *self.reason_choices],
        )
        self.fields[self.words_field] = forms.CharField(
            label=self.words_label,
            help_text=self.words_help,
            widget=forms.Textarea(attrs={"rows": 4}),
            required=False,
        )

    def clean(self):
        data = super().clean()
        code = data.get(self.code_field)
        if code:
            try:
                data[self.words_field] = reason_words_require(
                    code=code,
                    words=data.get(self.words_field, ""),
                    codes=[value for value, _label in self.reason_choices],
                    code_field=self.code_field,
                    words_field=self.words_field,
                )
            except PortalError as error:
                self.add_error(None, error)
        return data

    @property
    def code(self) -> str:
        return self.cleaned_data[self.code_field]

    @property
    def words(self) -> str:
        return self.cleaned_data[self.words_field]
