"""The offers app's refusal: a PortalError with a code from `Code`."""

from django.core.exceptions import ValidationError

from cashback.errors import PortalError


class OfferError(PortalError):
    """An offer change that is not allowed now; the messages say why, by field,
    the code says which rule refused it (`OfferError.Code`)."""

    class Code:
        TERMS_TEXT_REQUIRED = "terms_text_required"
        NOT_PUBLISHABLE = "not_publishable"

    @classmethod
    def by_field(cls, messages: dict, *, code: str) -> "OfferError":
        """One refusal for several fields: {field: [message, ...]}, each
        message with `code`."""
        return cls(
            {
                field: [ValidationError(message, code=code) for message in texts]
                for field, texts in messages.items()
            }
        )
