"""Periodic payout jobs: thin, they call the services (schedules live in beat)."""

from celery import shared_task

from . import services


@shared_task(name="payouts.send_reminders")
def send_reminders() -> dict:
    """Start notice windows, send due reminders, forfeit what has lapsed (R11)."""
    result = services.payouts_send_reminders()
    return vars(result)


@shared_task(name="payouts.schedule_payouts")
def schedule_payouts() -> int:
    """Move ready payouts whose release date has come to scheduled (R14)."""
    return services.payouts_schedule()


@shared_task(name="payouts.deadline_summary")
def deadline_summary() -> int:
    """E-mail operators the payouts near or past their payment deadline (R16)."""
    return services.operators_deadline_summary_send()


@shared_task(name="payouts.read_bank_files")
def read_bank_files() -> dict:
    """Read each new file in the bank's inbound folder once (R22)."""
    from .bank.inbound import inbound_files_read, inbound_summary

    return inbound_summary(inbound_files_read())
