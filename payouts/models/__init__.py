"""Bank accounts, payouts, reminders, exchange rates and payment batches, one
module each:

- `accounts`: a company's bank account, each version kept;
- `rates`: exchange rates, under a second operator;
- `batches`: payment batches and why a payout left one (`BatchChangeReason`),
  and the operators' staff group;
- `payout`: the payout of one approved claim and its reminders;
- `events`: a payout's history.

The names below are the public ones: `from payouts.models import X`.
"""

from .accounts import BankAccount, BankAccountQuerySet
from .batches import (
    OPERATORS_GROUP,
    BatchChangeReason,
    PaymentBatch,
    batch_reason_in_words,
)
from .events import PayoutEvent
from .payout import Payout, PayoutQuerySet, Reminder
from .rates import ExchangeRate, ExchangeRateQuerySet

# isort: split
# The bank connection's records live beside its code (payouts/bank/); imported
# here so that Django and its migrations see them as this app's models.
from payouts.bank.models import (
    BankDiscrepancy,
    BatchPayment,
    InboundBankFile,
    OutboundBankFile,
    ReturnedPayout,
)

__all__ = [
    "OPERATORS_GROUP",
    "BankAccount",
    "BankAccountQuerySet",
    "BankDiscrepancy",
    "BatchChangeReason",
    "BatchPayment",
    "ExchangeRate",
    "ExchangeRateQuerySet",
    "InboundBankFile",
    "OutboundBankFile",
    "PaymentBatch",
    "Payout",
    "PayoutEvent",
    "PayoutQuerySet",
    "Reminder",
    "ReturnedPayout",
    "batch_reason_in_words",
]
