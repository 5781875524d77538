"""Domain signals the resellers app sends; later apps connect them in ready().

These are the only signals that carry business meaning (DESIGN.md, Layout).
"""

from django.dispatch import Signal

# Sent inside the transaction that removed or demoted a company admin, after
# the CompanyAdminEnd row is written: payouts restarts the cooling-off of the
# company's account and e-mails every admin, the former one included, with
# the "this was not us" link (issue 27). Arguments: end
# (resellers.models.CompanyAdminEnd), actor (who removed or demoted them).
company_admin_ended = Signal()

# Sent inside the transaction that made someone a company admin (a colleague,
# a program manager, the vendor's appointment, a restoration): payouts sends
# the bank-details notice a company with no admin was owed, which starts its
# clock (issue 27). Arguments: reseller_id, user (the new admin).
company_admin_added = Signal()
