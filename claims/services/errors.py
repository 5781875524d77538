"""The claims app's refusal: a PortalError with a code from `Code`."""

from cashback.errors import PortalError


class ClaimError(PortalError):
    """A claim action that is not allowed now; the message says why (by form
    field, NON_FIELD_ERRORS for the rest), the code says which rule refused it
    (`ClaimError.Code`). The values are the codes stored and tested before
    they had names."""

    class Code:
        REFUSED = "refused"
        TRANSITION_NOT_ALLOWED = "transition_not_allowed"
        FORBIDDEN = "forbidden"
        MESSAGE_REQUIRED = "message_required"
        INVALID_FILE = "invalid_file"
        OWN_COMPANY = "own_company"
        OWN_REJECTION = "own_rejection"
        NO_REWARD = "no_reward"
        REASON_REQUIRED = "reason_required"
        COMMENT_REQUIRED = "comment_required"
        ALREADY_DISPUTED = "already_disputed"
        DISPUTE_TOO_LATE = "dispute_too_late"
        INVALID_NUMBER = "invalid_number"
        REQUIRED = "required"
        TOO_MANY = "too_many"
        TERMS_NOT_ACCEPTED = "terms_not_accepted"
        UNVERIFIED = "unverified"
        EXISTING_CLAIM = "existing_claim"
        CONFLICT = "conflict"
        NOT_PUBLISHED = "not_published"
        NO_TERMS = "no_terms"
        TERMS_CHANGED = "terms_changed"
        ONE_PER_SALE = "one_per_sale"
        ALREADY_CLAIMED = "already_claimed"
        CLAIMED_BY_OTHER = "claimed_by_other"
        INVALID_AMOUNT = "invalid_amount"
        NOT_PENDING = "not_pending"
        FOUR_EYES = "four_eyes"
