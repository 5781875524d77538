"""Every write on payouts, one module per concern (R3, R11-R16):

- `transitions`: the state machine (`TRANSITIONS`, `payout_lock`, `payout_move`), the
  set-based `payouts_move_set` and the keyset loop `locked_batches`;
- `opening`: the payout of an approved claim, and a new bank-details cycle;
- `bank_details`: account versions, confirmation, conversion, key rotation;
- `reminders`: notice windows, reminders and forfeiture;
- `scheduling`: release dates and the operators' deadline summary;
- `batches`: payment batches, their pain.001 file and the lines of a
  released batch;
- `bank_results`: what the bank's messages do (accepted, paid, refused),
  the inbound job and an uploaded file's four eyes;
- `bank_returns`: a paid transfer sent back, and the operators' decision on
  a return to an account still on file;
- `bank_records`: what both record of the bank's word (a batch line's
  answer, a note, a discrepancy, a reseller-side failure, the alerts);
- `corrections`: cancelling a payout, and the payout's side of a claim's
  reversed approval or adjusted reward (on the claims app's signals);
- `rates`: exchange rates, their second operator and their lock once used;
- `holds`: when an account may be paid (issue 15), and freezing, verifying,
  clearing and refusing an account;
- `notifications`: the link, the e-mail context, the recipients, the notice.

Each function is one transaction; rows two actors can race for are locked;
every state change writes a PayoutEvent; e-mails go through the outbox in the
same transaction as the change that causes them. The names below are the
public ones: `from payouts.services import X`.
"""

from .bank_details import (
    bank_account_confirm,
    bank_account_submit,
    bank_accounts_reencrypt,
    payment_files_reencrypt,
    payouts_a_new_account_takes,
)
from .bank_results import (
    bank_file_confirm,
    bank_file_upload,
    bank_files_read,
    bank_message_apply,
)
from .bank_returns import (
    payout_return_account_refuse,
    payout_return_awaits_operator,
    payout_return_resend,
)
from .batches import batch_cancel, batch_create, batch_payout_remove, batch_release
from .corrections import payout_cancel
from .errors import PayoutError
from .holds import (
    account_payment_block,
    bank_account_freeze,
    bank_account_objection_account_id,
    bank_account_refuse,
    bank_account_shared_clear,
    bank_account_shared_refuse,
    bank_account_verify,
    company_admin_objection,
    company_admin_objection_end_id,
    cooling_off_estimate,
    on_company_admin_ended,
)
from .notifications import (
    bank_details_due,
    bank_details_link,
    bank_details_link_payout_id,
    notice_dedup_keys,
)
from .opening import on_claim_approved, payout_cycle_restart, payout_open
from .rates import (
    exchange_rate_add,
    exchange_rate_change,
    exchange_rate_confirm,
    exchange_rate_delete,
    exchange_rate_needs_second_operator,
)
from .reminders import SweepResult, payouts_send_reminders
from .scheduling import (
    OPERATORS_GROUP,
    operators_deadline_summary_send,
    payouts_schedule,
)
from .transitions import TRANSITIONS, transition_allowed

__all__ = [
    "OPERATORS_GROUP",
    "TRANSITIONS",
    "PayoutError",
    "SweepResult",
    "account_payment_block",
    "bank_account_confirm",
    "bank_account_freeze",
    "bank_account_objection_account_id",
    "bank_account_refuse",
    "bank_account_shared_clear",
    "bank_account_shared_refuse",
    "bank_account_submit",
    "bank_account_verify",
    "bank_accounts_reencrypt",
    "bank_details_due",
    "bank_details_link",
    "bank_details_link_payout_id",
    "bank_file_confirm",
    "bank_file_upload",
    "bank_files_read",
    "bank_message_apply",
    "batch_cancel",
    "batch_create",
    "batch_payout_remove",
    "batch_release",
    "company_admin_objection",
    "company_admin_objection_end_id",
    "cooling_off_estimate",
    "exchange_rate_add",
    "exchange_rate_change",
    "exchange_rate_confirm",
    "exchange_rate_delete",
    "exchange_rate_needs_second_operator",
    "notice_dedup_keys",
    "on_claim_approved",
    "on_company_admin_ended",
    "operators_deadline_summary_send",
    "payment_files_reencrypt",
    "payout_cancel",
    "payout_cycle_restart",
    "payout_open",
    "payout_return_account_refuse",
    "payout_return_awaits_operator",
    "payout_return_resend",
    "payouts_a_new_account_takes",
    "payouts_schedule",
    "payouts_send_reminders",
    "transition_allowed",
]
