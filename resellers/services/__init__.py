"""Every write about users and reseller companies, one module per concern:

- `registration`: signing up (R1), the first user creating the company and a
  colleague joining it once their address is verified;
- `membership`: a person's language and place in a company (removed, made
  admin or approved by a company admin; moved by a program manager);
- `company_admins`: who is a company's admin (issue 27): the check before an
  admin's action, the last admin kept, an admin's end and its restoring,
  granting admin rights, the vendor appointing one;
- `companies`: the company's details, and what a program manager changes in
  admin (approval, status, organisation number, legal name); the only writer
  of a company's status.

Each function is one transaction; a refusal raises `ResellerError`. The names
below are the public ones: `from resellers.services import X`.
"""

from .companies import (
    PROFILE_FIELDS,
    org_number_taken_message,
    reseller_approve,
    reseller_legal_name_change,
    reseller_org_number_change,
    reseller_profile_update,
    reseller_status_set,
)
from .company_admins import (
    company_admin_appoint,
    company_admin_last_check,
    company_admin_require,
    company_admin_restore,
    company_admins_lock,
)
from .membership import (
    reseller_member_approve,
    reseller_member_make_admin,
    reseller_member_remove,
    user_membership_set,
    user_set_language,
)
from .registration import reseller_member_join_pending, reseller_register_user

__all__ = [
    "PROFILE_FIELDS",
    "company_admin_appoint",
    "company_admin_last_check",
    "company_admin_require",
    "company_admin_restore",
    "company_admins_lock",
    "org_number_taken_message",
    "reseller_approve",
    "reseller_legal_name_change",
    "reseller_member_approve",
    "reseller_member_join_pending",
    "reseller_member_make_admin",
    "reseller_member_remove",
    "reseller_org_number_change",
    "reseller_profile_update",
    "reseller_register_user",
    "reseller_status_set",
    "user_membership_set",
    "user_set_language",
]
