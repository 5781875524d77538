"""Kept for `claims/admin.py` until it imports the corrections from
`claims.services` (issue 29): the corrections live in
`claims/services/corrections.py`; new code imports them from `claims.services`."""

from .services.corrections import (
    adjustment_needs_second_reviewer,
    claim_approval_reverse,
    claim_numbers_free,
    claim_reward_adjust,
    claim_reward_adjustment_confirm,
    claims_free_final_rejections,
)

__all__ = [
    "adjustment_needs_second_reviewer",
    "claim_approval_reverse",
    "claim_numbers_free",
    "claim_reward_adjust",
    "claim_reward_adjustment_confirm",
    "claims_free_final_rejections",
]
