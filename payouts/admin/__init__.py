"""Admin for operators: read-only payouts and accounts (accounts.py), rates
(rates.py), payouts and reminders (payouts.py), batches and their actions
(batches.py), the bank files (payouts/bank/admin.py). Every action calls a
service; nothing here writes a status itself. Importing the modules registers
them."""

from payouts.bank import admin as bank

from . import accounts, batches, payouts, rates

__all__ = ["accounts", "bank", "batches", "payouts", "rates"]
