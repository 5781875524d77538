"""The resellers app's refusal: a PortalError with a code from `Code`."""

from cashback.errors import PortalError


class ResellerError(PortalError):
    """A change to a company or its members that is not allowed; the message
    says why (on its form field), the code says which rule refused it
    (`ResellerError.Code`)."""

    class Code:
        ORG_NUMBER_TAKEN = "org_number_taken"
        INVALID_ORG_NUMBER = "invalid_org_number"
        LEGAL_NAME_LOCKED = "legal_name_locked"
        SELF_REMOVAL = "self_removal"
        INVALID_STATUS = "invalid"
        REQUIRED = "required"
        LAST_ADMIN = "last_admin"
        NO_COMPANY = "no_company"
        NOT_VERIFIED = "not_verified"
