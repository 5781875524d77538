"""Release, scheduling, payment batches and their pain.001 files (R13-R16)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cashback.models import OutboxMessage
from claims.models import ClaimAgreement
from offers.models import ReturnPeriod
from payouts.models import PaymentBatch, Payout, PayoutEvent
from payouts.pain001 import PaymentFileError, pain001_validate
from payouts.services import (
    PayoutError,
    batch_create,
    batch_release,
    payouts_schedule,
)
from tests.claims.factories import OpenAgreementFactory
from tests.payouts.bank.answers import book, report
from tests.payouts.bank.conftest import reseller_iban
from tests.payouts.conftest import approve
from tests.payouts.factories import ExchangeRateFactory, approved_claim
from tests.payouts.test_bank_details import submit

pytestmark = pytest.mark.django_db


def test_release_date_is_the_calculation_date_when_returns_end_before():
    """Sales long before the calculation date: released on the calculation date."""
    agreement = OpenAgreementFactory(sale_date=dt.date(2026, 8, 15))
    payout = approve(approved_claim(agreement_numbers=[agreement.agreement_number]))
    assert payout.release_date == dt.date(2027, 2, 28)
    assert payout.payment_deadline == dt.date(2027, 2, 28) + dt.timedelta(days=60)


def test_release_date_waits_for_the_countrys_return_period():
    """A late sale plus the reseller country's return period moves the release."""
    late = OpenAgreementFactory(sale_date=dt.date(2027, 2, 1))
    early = OpenAgreementFactory(sale_date=dt.date(2026, 9, 1))
    claim = approved_claim(
        agreement_numbers=[late.agreement_number, early.agreement_number]
    )
    ReturnPeriod.objects.create(offer=claim.offer, country="SE", days=45)
    payout = approve(claim)
    assert payout.release_date == dt.date(2027, 2, 1) + dt.timedelta(days=45)
    assert ClaimAgreement.objects.filter(claim=claim).count() == 2


def test_schedule_moves_ready_payouts_on_their_release_date():
    """R14: not a day before the release date."""
    payout = approve(approved_claim())
    submit(payout)
    assert payouts_schedule(today=payout.release_date - dt.timedelta(days=1)) == 0
    assert payouts_schedule(today=payout.release_date) == 1
    payout.refresh_from_db()
    assert payout.status == Payout.Status.SCHEDULED
    assert payouts_schedule(today=payout.release_date) == 0


def scheduled_payout(currency="SEK", **submit_overrides):
    payout = approve(approved_claim())
    # Each company an account of its own: a shared one is not paid (issue 15).
    if currency == "EUR":
        ExchangeRateFactory(rate_date=payout.offer.calculation_date)
        submit_overrides.setdefault("iban", reseller_iban(payout.pk, "DE"))
        submit_overrides.setdefault("bic", "COBADEFFXXX")
        submit_overrides.setdefault("bank_country", "DE")
    submit_overrides.setdefault("iban", reseller_iban(payout.pk))
    submit(payout, currency=currency, **submit_overrides)
    payouts_schedule(today=payout.release_date)
    payout.refresh_from_db()
    return payout


@pytest.mark.parametrize("currency", ["EUR", "SEK"])
def test_a_released_batch_has_a_valid_pain001_file(operators, currency):
    """SEPA for EUR, the generic transfer otherwise; both validate against the XSD."""
    builder, releaser = operators
    payouts = [scheduled_payout(currency), scheduled_payout(currency)]
    batch = batch_create(currency=currency, payouts=payouts, operator=builder)
    batch = batch_release(batch=batch, operator=releaser)
    assert batch.status == PaymentBatch.Status.RELEASED
    pain001_validate(batch.payment_file_xml().encode())
    assert batch.message_id in batch.payment_file_xml()
    assert f'Ccy="{currency}"' in batch.payment_file_xml()
    assert ("<Cd>SEPA</Cd>" in batch.payment_file_xml()) == (currency == "EUR")
    for payout in payouts:
        payout.refresh_from_db()
        assert payout.status == Payout.Status.IN_BATCH
        assert payout.claim.reference in batch.payment_file_xml()


def test_a_broken_file_does_not_validate():
    """The schema check is real: a file without its header is refused."""
    with pytest.raises(PaymentFileError):
        pain001_validate(
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
            b"<CstmrCdtTrfInitn/></Document>"
        )


def test_four_eyes_the_builder_cannot_release(operators):
    """The service refuses, and the database constraint refuses too."""
    builder, _releaser = operators
    batch = batch_create(currency="SEK", payouts=[scheduled_payout()], operator=builder)
    with pytest.raises(PayoutError):
        batch_release(batch=batch, operator=builder)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DRAFT and not batch.payment_file
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentBatch.objects.filter(pk=batch.pk).update(released_by=builder)


def test_a_payout_is_in_one_open_batch_only(operators):
    """A second batch with the same payout is refused."""
    builder, _ = operators
    payout = scheduled_payout()
    batch_create(currency="SEK", payouts=[payout], operator=builder)
    with pytest.raises(PayoutError):
        batch_create(currency="SEK", payouts=[payout], operator=builder)


def test_a_batch_takes_one_currency(operators):
    """An EUR payout cannot go into a SEK batch."""
    with pytest.raises(PayoutError):
        batch_create(
            currency="SEK", payouts=[scheduled_payout("EUR")], operator=operators[0]
        )


def test_releasing_twice_produces_one_file(operators):
    """The second release is refused; the file is not rewritten."""
    builder, releaser = operators
    batch = batch_create(currency="SEK", payouts=[scheduled_payout()], operator=builder)
    released = batch_release(batch=batch, operator=releaser)
    with pytest.raises(PayoutError):
        batch_release(batch=batch, operator=releaser)
    batch.refresh_from_db()
    assert batch.payment_file == released.payment_file


def test_booked_twice_is_paid_once(operators):
    """Paid once with the bank's reference and booking date; a second
    booking of it changes nothing but the timeline."""
    builder, releaser = operators
    payout = scheduled_payout()
    batch = batch_create(currency="SEK", payouts=[payout], operator=builder)
    batch_release(batch=batch, operator=releaser)
    assert book(batch, [payout]).status == "read"
    assert book(batch, [payout], booked_on=dt.date(2027, 3, 9)).status == "read"
    payout.refresh_from_db()
    assert (payout.status, payout.payment_reference) == (
        Payout.Status.PAID,
        f"BANK-{payout.pk}",
    )
    assert timezone.localdate(payout.paid_at) == dt.date(2027, 3, 1)
    assert payout.events.filter(kind=PayoutEvent.Kind.PAID).count() == 1
    assert payout.events.filter(kind=PayoutEvent.Kind.BANK_CONFIRMED).count() == 1
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CLOSED


def test_a_failed_payment_starts_a_new_cycle(operators):
    """R13: failed -> awaiting details, cycle 2, reminders reset, reseller told."""
    builder, releaser = operators
    payout = scheduled_payout()
    batch = batch_create(currency="SEK", payouts=[payout], operator=builder)
    batch_release(batch=batch, operator=releaser)
    report(batch, {payout: ("RJCT", "AC01")})
    payout.refresh_from_db()
    assert payout.status == Payout.Status.AWAITING_BANK_DETAILS
    assert (payout.cycle, payout.reminders_sent, payout.batch) == (2, 0, None)
    assert payout.bank_details_due_at is None
    notice = OutboxMessage.objects.get(
        dedup_key__startswith=f"payout:{payout.pk}:cycle:2:"
    )
    assert "the account number is wrong" in notice.text_body
    kinds = list(payout.events.values_list("kind", "to_status"))
    assert (PayoutEvent.Kind.FAILED, Payout.Status.FAILED) in kinds
    # The refused account cannot simply be confirmed again.
    from payouts.services import bank_account_confirm

    with pytest.raises(PayoutError):
        bank_account_confirm(
            reseller=payout.reseller, user=payout.claim.submitted_by, payout=payout
        )
