"""The statements app's refusal: a PortalError with a code from `Code`."""

from cashback.errors import PortalError


class StatementError(PortalError):
    """A statements action that is not allowed; the code says which rule."""

    class Code:
        NOT_COMPANY_ADMIN = "not_company_admin"
        ALREADY_ACCEPTED = "already_accepted"
        NOT_ACCEPTED = "not_accepted"
        NOT_PAID = "not_paid"
        BAD_PERIOD = "bad_period"
