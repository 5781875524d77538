"""Every write about claims, one module per concern (R6-R10, R24):

- `transitions`: the state machine (`TRANSITIONS`, `claim_lock`,
  `claim_move`), the only writer of a claim's status;
- `errors`: `ClaimError` and its codes (`ClaimError.Code`);
- `access`: who may review, act for the company, decide impartially;
- `filing`: filing a claim, its reference and its "claim received" e-mail;
- `review`: the review workflow (review, invoice copy, approve, reject,
  withdraw, dispute);
- `validating`: the validation engine's stored result;
- `corrections`: a reversed approval, an adjusted reward (four eyes on a
  raise), the numbers of a final rejection freed;
- `notifications`: the company's e-mail about a claim's event.

Each function is one transaction. State changes lock the claim row, check the
transition is allowed, write the new state and a ClaimEvent, and send the
reseller's users an e-mail through the outbox; a refusal raises `ClaimError`
and leaves nothing written. The names below are the public ones:
`from claims.services import X`.
"""

from .access import user_may_review
from .corrections import (
    adjustment_needs_second_reviewer,
    claim_approval_reverse,
    claim_numbers_free,
    claim_reward_adjust,
    claim_reward_adjustment_confirm,
    claims_free_final_rejections,
)
from .errors import ClaimError
from .filing import (
    claim_existing_reference,
    claim_file,
    claim_reference_next,
    filing_terms_version,
    filing_token,
)
from .notifications import event_message_in_words
from .review import (
    claim_approve,
    claim_can_dispute,
    claim_dispute,
    claim_reject,
    claim_request_invoice,
    claim_start_review,
    claim_upload_invoice,
    claim_withdraw,
)
from .transitions import ACTION_LABELS, TRANSITIONS, claim_can_withdraw
from .validating import claim_validate

__all__ = [
    "ACTION_LABELS",
    "TRANSITIONS",
    "ClaimError",
    "adjustment_needs_second_reviewer",
    "claim_approval_reverse",
    "claim_approve",
    "claim_can_dispute",
    "claim_can_withdraw",
    "claim_dispute",
    "claim_existing_reference",
    "claim_file",
    "claim_numbers_free",
    "claim_reference_next",
    "claim_reject",
    "claim_request_invoice",
    "claim_reward_adjust",
    "claim_reward_adjustment_confirm",
    "claim_start_review",
    "claim_upload_invoice",
    "claim_validate",
    "claim_withdraw",
    "claims_free_final_rejections",
    "event_message_in_words",
    "filing_terms_version",
    "filing_token",
    "user_may_review",
]
