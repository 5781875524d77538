"""The payouts app's refusal: a PortalError with a code from `Code`."""

from cashback.errors import PortalError


class PayoutError(PortalError):
    """A payout action that is not allowed now; the message says why, the code
    says which rule refused it (`PayoutError.Code`)."""

    class Code:
        TRANSITION_NOT_ALLOWED = "transition_not_allowed"
        OTHER_COMPANY = "other_company"
        NO_REWARD_AMOUNT = "no_reward_amount"
        INVALID_BANK_DETAILS = "invalid_bank_details"
        ADDRESS_INCOMPLETE = "address_incomplete"
        ADDRESS_NOT_CONFIRMED = "address_not_confirmed"
        CURRENCY_NOT_OFFERED = "currency_not_offered"
        NO_EXCHANGE_RATE = "no_exchange_rate"
        NO_CURRENT_ACCOUNT = "no_current_account"
        ACCOUNT_REFUSED_BEFORE = "account_refused_before"
        EMPTY_SELECTION = "empty_selection"
        NOT_SCHEDULED = "not_scheduled"
        WRONG_CURRENCY = "wrong_currency"
        ALREADY_IN_BATCH = "already_in_batch"
        BATCH_RELEASED = "batch_released"
        FOUR_EYES = "four_eyes"
        BATCH_EMPTY = "batch_empty"
        REASON_REQUIRED = "reason_required"
        NOT_IN_BATCH = "not_in_batch"
        ACCOUNT_HELD = "account_held"
        NOT_COMPANY_ADMIN = "not_company_admin"
        ACCOUNT_FROZEN = "account_frozen"
        RATE_IN_USE = "rate_in_use"
        RATE_NOT_AWAITING = "rate_not_awaiting"
        INVALID_RATE = "invalid_rate"
        NOT_PERMITTED = "not_permitted"
        BANK_FILE_NOT_AWAITING = "bank_file_not_awaiting"
        NOT_AWAITING_DECISION = "not_awaiting_decision"
        NOT_SHARED = "not_shared"
