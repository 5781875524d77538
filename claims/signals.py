"""Domain signals the claims app sends; later apps connect them in ready().

These are the only signals that carry business meaning (DESIGN.md, Layout).
"""

from django.dispatch import Signal

# Sent inside the approving transaction, after the claim is saved as approved:
# receivers write in the same transaction (one payout per claim).
# Arguments: claim (claims.models.Claim), actor (the reviewer).
claim_approved = Signal()
