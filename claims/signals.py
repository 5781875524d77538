"""Domain signals the claims app sends; later apps connect them in ready().

These are the only signals that carry business meaning (DESIGN.md, Layout).
"""

from django.dispatch import Signal

# Sent inside the approving transaction, after the claim is saved as approved:
# receivers write in the same transaction (one payout per claim).
# Arguments: claim (claims.models.Claim), actor (the reviewer).
claim_approved = Signal()

# Sent inside the reversing transaction, after the claim has left "approved":
# the payout is cancelled in the same transaction; a receiver refuses (raises a
# PortalError) when the payment is already with the bank, which rolls the
# reversal back. Arguments: claim, actor, reason_code, reason.
claim_approval_reversed = Signal()

# Sent inside the adjusting transaction of an approved claim, after its
# `adjusted_reward_amount` is saved: the payout's amount follows; a receiver
# refuses as above. Arguments: claim, actor, reason_code, reason.
claim_reward_adjusted = Signal()
