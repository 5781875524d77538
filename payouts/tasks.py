"""Periodic payout jobs: thin, they call the services (schedules live in beat)."""

from celery import shared_task

from .services import bank_results, batches, reminders, scheduling


@shared_task(name="payouts.send_reminders")
def send_reminders() -> dict:
    """Start notice windows, send due reminders, forfeit what has lapsed (R11)."""
    result = reminders.payouts_send_reminders()
    return vars(result)


@shared_task(name="payouts.schedule_payouts")
def schedule_payouts() -> int:
    """Move ready payouts whose release date has come to scheduled (R14)."""
    return scheduling.payouts_schedule()


@shared_task(name="payouts.deadline_summary")
def deadline_summary() -> int:
    """E-mail operators the payouts near or past their payment deadline (R16)."""
    return scheduling.operators_deadline_summary_send()


@shared_task(name="payouts.read_bank_files")
def read_bank_files() -> dict:
    """Send released batches not yet in the outbound folder (a lost enqueue),
    then read and apply each new file in the bank's inbound folder once (R22)."""
    from .bank.connection import batch_files_send_unsent
    from .bank.inbound import inbound_summary

    sent = batch_files_send_unsent()
    return {"sent": sent, **inbound_summary(bank_results.bank_files_read())}


@shared_task(name=batches.SEND_FILE_TASK)
def send_batch_file(batch_id: int) -> bool:
    """Put a released batch's pain.001 in the bank's outbound folder, once."""
    from .bank.connection import BankConnectionError, batch_file_send
    from .models import PaymentBatch

    batch = PaymentBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return False
    try:
        batch_file_send(batch=batch)
    except BankConnectionError:
        # The inbound job tries again; nothing was recorded.
        return False
    return True
