"""The one base class of the errors a service raises to refuse an action.

A refusal carries a stable code (for tests, logs and the next screen) and a
message for the user, keyed by the form field it is about (NON_FIELD_ERRORS
for the rest). It is a ValidationError, so a view catches one kind and puts
each message on its field; each app subclasses it (`ClaimError`,
`PayoutError`).
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class PortalError(ValidationError):
    """A refused action: `PortalError(message, code=..., field=...)`, or a dict
    {field: [ValidationError(message, code=...), ...]} for several at once."""

    def __init__(self, message, *, code: str = "refused", field: str | None = None):
        if isinstance(message, dict):
            super().__init__(message)
        else:
            error = ValidationError(message, code=code)
            super().__init__({field or NON_FIELD_ERRORS: [error]})

    @property
    def codes(self) -> list[str]:
        """The code of every message, in field order."""
        return [
            error.code
            for errors in self.error_dict.values()
            for error in errors
            if error.code
        ]

    @property
    def code(self) -> str | None:
        """The first message's code (most refusals carry one)."""
        return next(iter(self.codes), None)

    def __str__(self) -> str:
        return " ".join(self.messages)
