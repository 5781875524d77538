"""The bank's results file marks a released batch's payouts paid or failed."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payouts.models import PaymentBatch, Payout
from payouts.services import (
    BankResultsError,
    bank_results_apply,
    batch_create,
    batch_release,
)
from tests.payouts.test_batches import scheduled_payout

pytestmark = pytest.mark.django_db

HEADER = "end_to_end_id,status,bank_reference,reason\n"


@pytest.fixture
def released(operators):
    builder, releaser = operators
    payouts = [scheduled_payout(), scheduled_payout()]
    batch = batch_create(currency="SEK", payouts=payouts, operator=builder)
    return batch_release(batch=batch, operator=releaser), payouts


def test_paid_and_failed_rows_are_applied_and_twice_changes_nothing(
    released, operators
):
    batch, (good, bad) = released
    text = (
        HEADER
        + f"{good.claim.reference},ACSC,BANKREF-1,\n"
        + f"{bad.claim.reference},RJCT,,AC01 Incorrect account number\n"
    )
    first = bank_results_apply(batch=batch, text=text, actor=operators[1])
    assert (first.paid, first.failed, first.problems) == (1, 1, [])
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == Payout.Status.PAID
    assert good.payment_reference == "BANKREF-1"
    assert bad.status == Payout.Status.AWAITING_BANK_DETAILS
    assert bad.cycle == 2
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CLOSED

    again = bank_results_apply(batch=batch, text=text, actor=operators[1])
    assert (again.paid, again.failed, again.unchanged) == (0, 0, 2)
    bad.refresh_from_db()
    assert bad.cycle == 2


def test_unknown_rows_are_reported_by_line(released, operators):
    batch, (good, _bad) = released
    text = HEADER + "CB-1999-000001,paid,X,\n" + f"{good.claim.reference},maybe,,\n"
    result = bank_results_apply(batch=batch, text=text, actor=operators[1])
    assert [p.split(":")[0] for p in result.problems] == ["Line 2", "Line 3"]
    good.refresh_from_db()
    assert good.status == Payout.Status.IN_BATCH


def test_a_missing_column_applies_nothing(released, operators):
    batch, (good, _bad) = released
    with pytest.raises(BankResultsError, match="reason"):
        bank_results_apply(
            batch=batch,
            text=f"end_to_end_id,status,bank_reference\n{good.claim.reference},paid,X\n",
            actor=operators[1],
        )
    good.refresh_from_db()
    assert good.status == Payout.Status.IN_BATCH


def test_the_command_applies_a_file(released, operators, tmp_path, capsys):
    batch, (good, _bad) = released
    results = tmp_path / "results.csv"
    results.write_text(HEADER + f"{good.claim.reference},paid,REF9,\n")
    call_command(
        "apply_bank_results",
        batch.message_id,
        str(results),
        operator=operators[1].email,
    )
    assert "1 paid, 0 failed" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command(
            "apply_bank_results", "NOPE", str(results), operator=operators[1].email
        )
