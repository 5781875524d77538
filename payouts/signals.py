"""Domain signals the payouts app sends; later apps connect them in ready().

These are the only signals that carry business meaning (DESIGN.md, Layout).
"""

from django.dispatch import Signal

# Sent inside the transaction that applies the bank's booking (camt.054 or
# camt.053), after the payout is saved as paid. Receivers schedule their work
# after commit (statements/ issues the payment statement and VAT document).
# Arguments: payout (payouts.models.Payout), batch_id (the released batch it
# was paid in), booked_on (the bank's booking date).
payout_paid = Signal()

# Sent inside the transaction that applies a pacs.004 returning a payout that
# was paid, after it has failed. Receivers schedule their work after commit
# (statements/ issues a correction of the documents of that payment).
# Arguments: payout, batch_id (the batch the returned payment was in),
# reason (the bank's code and words).
payout_returned = Signal()
