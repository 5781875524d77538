"""A hypothesis state machine drives claims and payouts through random sequences
of allowed and forbidden actions, only through the services, and checks the
program's invariants after every step."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cashback.outbox import outbox_relay
from claims import services as claims
from claims import services as corrections
from claims.models import Claim, ClaimEvent, RewardAdjustment
from offers.models import Offer
from payouts import models as payouts_models
from payouts import services as payouts
from payouts.models import PaymentBatch, Payout, PayoutEvent
from resellers.identifiers import company_name_key
from tests.claims.factories import OpenAgreementFactory
from tests.offers.factories import OfferFactory
from tests.payouts.bank.answers import book, report
from tests.resellers.factories import (
    ResellerFactory,
    ReviewerFactory,
    StaffUserFactory,
    UserFactory,
)

START = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
IBAN = "SE4550000000058398257466"
SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# What a refused action may raise: a message for the user, never anything else.
REFUSED = (ValidationError, payouts.PayoutError)
S = Payout.Status


class ProgramMachine(RuleBasedStateMachine):
    """One company, one offer, a reviewer and two operators; time moves forward."""

    traveller = None  # the time_machine fixture, set by the test

    @initialize()
    def setup(self):
        # Each example starts from the same empty database: the jobs and the
        # batch builder see every company, so rows an earlier example left
        # behind (dated after START) would make a replay behave differently.
        self.savepoint = transaction.savepoint()
        self.traveller.move_to(START, tick=False)
        self.reseller = ResellerFactory()
        self.user = UserFactory(reseller=self.reseller, is_company_admin=True)
        self.reviewer = ReviewerFactory()
        self.second_reviewer = ReviewerFactory()
        self.operators = [StaffUserFactory(), StaffUserFactory()]
        self.offer = OfferFactory(claim_mode=Offer.ClaimMode.ONE_PER_SALE)
        self.numbers = [
            OpenAgreementFactory(
                reseller_org_number=self.reseller.org_number,
                reseller_name=self.reseller.legal_name,
            ).agreement_number
            for _ in range(3)
        ] + ["99999999"]  # not in the ledger
        self.released_checked: set[int] = set()

    def teardown(self):
        if getattr(self, "savepoint", None) is not None:
            transaction.savepoint_rollback(self.savepoint)

    # Helpers -------------------------------------------------------------

    def claims(self):
        return list(Claim.objects.filter(reseller=self.reseller).order_by("pk"))

    def payouts(self, *statuses):
        rows = Payout.objects.filter(reseller=self.reseller).order_by("pk")
        return list(rows.filter(status__in=statuses) if statuses else rows)

    def attempt(self, action):
        # The test runs in one transaction: run what would run after commit
        # (validation, outbox delivery), as it does in production.
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                action()
        except REFUSED:
            pass

    # Claims --------------------------------------------------------------

    @rule(number=st.integers(0, 3), accept=st.booleans())
    def file(self, number, accept):
        self.attempt(
            lambda: claims.claim_file(
                reseller=self.reseller,
                offer=self.offer,
                user=self.user,
                agreement_numbers=[self.numbers[number]],
                accepted_terms=accept,
                ip="192.0.2.1",
            )
        )

    @rule(
        action=st.sampled_from(
            ["start_review", "request_invoice", "approve", "reject", "upload"]
        ),
        pick=st.integers(0, 10),
    )
    def review(self, action, pick):
        found = self.claims()
        if not found:
            return
        claim = found[pick % len(found)]
        calls = {
            "start_review": lambda: claims.claim_start_review(
                claim=claim, actor=self.reviewer
            ),
            "request_invoice": lambda: claims.claim_request_invoice(
                claim=claim, actor=self.reviewer, message="The invoice, please."
            ),
            "approve": lambda: claims.claim_approve(claim=claim, actor=self.reviewer),
            "reject": lambda: claims.claim_reject(
                claim=claim,
                actor=self.reviewer,
                reason_code="other",
                reason="Not eligible.",
            ),
            "upload": lambda: claims.claim_upload_invoice(
                claim=claim,
                user=self.user,
                upload=SimpleUploadedFile("i.pdf", SMALL_PDF, "application/pdf"),
            ),
        }
        self.attempt(calls[action])

    @rule(pick=st.integers(0, 10), dispute=st.booleans())
    def reseller_acts(self, pick, dispute):
        found = self.claims()
        if not found:
            return
        claim = found[pick % len(found)]
        if dispute:
            self.attempt(
                lambda: claims.claim_dispute(
                    claim=claim, user=self.user, comment="We did sell it."
                )
            )
        else:
            self.attempt(lambda: claims.claim_withdraw(claim=claim, user=self.user))

    # Payouts -------------------------------------------------------------

    @rule(
        pick=st.integers(0, 10),
        beneficiary=st.sampled_from(["company", "shouting", "person", "other"]),
        currency=st.sampled_from(["SEK", "EUR"]),
        confirm=st.booleans(),
    )
    def bank_details(self, pick, beneficiary, currency, confirm):
        found = self.payouts()
        if not found:
            return
        payout = found[pick % len(found)]
        if confirm:
            self.attempt(
                lambda: payouts.bank_account_confirm(
                    reseller=self.reseller, user=self.user, payout=payout
                )
            )
            return
        name = {
            "company": self.reseller.legal_name,
            "shouting": f"  {self.reseller.legal_name.upper()}.",
            "person": "Kim Lind",
            "other": "Another Company AB",
        }[beneficiary]
        self.attempt(
            lambda: payouts.bank_account_submit(
                reseller=self.reseller,
                user=self.user,
                beneficiary_name=name,
                iban=IBAN,
                bic="ESSESESS",
                bank_country="SE",
                currency=currency,
                payout=payout,
            )
        )

    @rule(
        action=st.sampled_from(["object", "verify", "share", "clear", "bank_refuses"])
    )
    def account_checks(self, action):
        """Where the money goes (issue 15): an admin objects, an operator
        verifies or clears, another company enters the same account, the bank
        refuses it."""
        account = payouts_models.BankAccount.objects.filter(
            reseller=self.reseller, is_current=True
        ).first()
        if action == "share":
            other = ResellerFactory()
            self.attempt(
                lambda: payouts.bank_account_submit(
                    reseller=other,
                    user=UserFactory(reseller=other, is_company_admin=True),
                    beneficiary_name=other.legal_name,
                    iban=IBAN,
                    bic="ESSESESS",
                    bank_country="SE",
                    currency="SEK",
                )
            )
            return
        if account is None:
            return
        calls = {
            "object": lambda: payouts.bank_account_freeze(
                account=account, reason="Not us"
            ),
            "verify": lambda: payouts.bank_account_verify(
                account=account, operator=self.operators[0], method="Called them"
            ),
            "clear": lambda: payouts.bank_account_shared_clear(
                account=account, operator=self.operators[0], reason="Same group"
            ),
            "bank_refuses": lambda: payouts.bank_account_refuse(
                account=account, reason="AC04"
            ),
        }
        self.attempt(calls[action])

    @rule(days=st.integers(1, 60))
    def time_passes(self, days):
        self.traveller.shift(dt.timedelta(days=days))

    @rule()
    def jobs_run(self):
        # The outbox relay (every minute) delivers what commits queued; the
        # reminder job then starts the cooling-off of accounts told (issue 27).
        self.attempt(lambda: outbox_relay(older_than=dt.timedelta(0)))
        self.attempt(payouts.payouts_send_reminders)
        self.attempt(payouts.payouts_schedule)

    @rule(builder=st.integers(0, 1), everything=st.booleans())
    def batch_create(self, builder, everything):
        chosen = self.payouts() if everything else self.payouts(S.SCHEDULED)
        self.attempt(
            lambda: payouts.batch_create(
                currency="SEK", payouts=chosen, operator=self.operators[builder]
            )
        )

    @rule(releaser=st.integers(0, 1))
    def batch_release(self, releaser):
        batch = PaymentBatch.objects.filter(
            status=PaymentBatch.Status.DRAFT, payouts__reseller=self.reseller
        ).first()
        if batch is not None:
            self.attempt(
                lambda: payouts.batch_release(
                    batch=batch, operator=self.operators[releaser]
                )
            )

    @rule(pick=st.integers(0, 10), paid=st.booleans())
    def bank_answers(self, pick, paid):
        """The bank books or refuses (AC04) a payment of a released batch,
        through the one way in: its file, read by the portal."""
        found = [p for p in self.payouts() if p.batch_id is not None]
        if not found:
            return
        payout = found[pick % len(found)]
        if paid:
            self.attempt(lambda: book(payout.batch, [payout]))
        else:
            self.attempt(lambda: report(payout.batch, {payout: ("RJCT", "AC04")}))

    @rule(pick=st.integers(0, 10))
    def advance(self, pick):
        """The next allowed step for one claim or payout, so runs get deep."""
        C = Claim.Status
        payout_list = self.payouts(S.AWAITING_BANK_DETAILS, S.READY, S.SCHEDULED)
        payout_list += self.payouts(S.IN_BATCH)
        open_claims = [
            c for c in self.claims() if c.status not in {C.APPROVED, C.WITHDRAWN}
        ]
        choices = payout_list + open_claims
        if not choices:
            return self.file(number=pick % 3, accept=True)
        target = choices[pick % len(choices)]
        if isinstance(target, Claim):
            if target.status == C.INFO_REQUESTED:
                return self.review("upload", self.claims().index(target))
            if target.status == C.REJECTED:
                return self.reseller_acts(self.claims().index(target), dispute=True)
            return self.review("approve", self.claims().index(target))
        index = self.payouts().index(target)
        if target.status == S.AWAITING_BANK_DETAILS:
            return self.bank_details(index, "company", "SEK", confirm=False)
        if target.status == S.READY:
            self.jobs_run()  # too early, unless the release date has come
            today = timezone.localdate()
            if today < target.release_date:
                self.traveller.shift(target.release_date - today)
            return self.jobs_run()
        if target.status == S.SCHEDULED:
            self.batch_create(builder=0, everything=False)
            return self.batch_release(releaser=1)
        return self.bank_answers(index, paid=pick % 4 != 0)

    # Corrections (issue 17) ---------------------------------------------

    @rule(
        action=st.sampled_from(
            [
                "reverse_to_review",
                "reverse_to_rejected",
                "adjust_cut",
                "adjust_raise",
                "confirm_by_proposer",
                "confirm_by_another",
                "cancel_payout",
                "free_numbers",
            ]
        ),
        pick=st.integers(0, 10),
    )
    def correct(self, action, pick):
        found = self.claims()
        if not found:
            return
        claim = found[pick % len(found)]
        pending = RewardAdjustment.objects.filter(
            claim=claim, status=RewardAdjustment.Status.PENDING
        ).first()
        payout = Payout.objects.filter(claim=claim).first()
        calls = {
            "reverse_to_review": lambda: corrections.claim_approval_reverse(
                claim=claim, actor=self.reviewer, reason_code="decided_in_error"
            ),
            "reverse_to_rejected": lambda: corrections.claim_approval_reverse(
                claim=claim,
                actor=self.reviewer,
                to=Claim.Status.REJECTED,
                reason_code="not_in_ledger",
            ),
            "adjust_cut": lambda: corrections.claim_reward_adjust(
                claim=claim,
                actor=self.reviewer,
                amount=Decimal(pick * 10),
                reason_code="calculation_error",
            ),
            "adjust_raise": lambda: corrections.claim_reward_adjust(
                claim=claim,
                actor=self.reviewer,
                amount=Decimal(5000 + pick),
                reason_code="new_information",
            ),
            "confirm_by_proposer": lambda: (
                pending
                and corrections.claim_reward_adjustment_confirm(
                    adjustment=pending, actor=self.reviewer
                )
            ),
            "confirm_by_another": lambda: (
                pending
                and corrections.claim_reward_adjustment_confirm(
                    adjustment=pending, actor=self.second_reviewer
                )
            ),
            "cancel_payout": lambda: (
                payout
                and payouts.payout_cancel(
                    payout=payout,
                    actor=self.operators[0],
                    reason_code="decided_in_error",
                )
            ),
            "free_numbers": lambda: corrections.claims_free_final_rejections(),
        }
        self.attempt(calls[action])

    # Invariants ----------------------------------------------------------

    @precondition(lambda self: hasattr(self, "reseller"))
    @invariant()
    def a_payout_only_for_an_approved_claim_and_one_each(self):
        live = Payout.objects.filter(reseller=self.reseller).exclude(status=S.CANCELLED)
        for payout in live.select_related("claim"):
            assert payout.claim.status == Claim.Status.APPROVED
            assert payout.claim.reseller_id == payout.reseller_id
        claim_ids = list(
            Payout.objects.filter(reseller=self.reseller).values_list(
                "claim_id", flat=True
            )
        )
        assert len(claim_ids) == len(set(claim_ids))
        approved = Claim.objects.filter(
            reseller=self.reseller, status=Claim.Status.APPROVED
        )
        assert set(approved.values_list("pk", flat=True)) == set(
            live.values_list("claim_id", flat=True)
        )

    @precondition(lambda self: hasattr(self, "reseller"))
    @invariant()
    def no_payment_for_a_reversed_or_cancelled_payout(self):
        for payout in self.payouts(S.CANCELLED):
            assert payout.batch_id is None
            assert payout.paid_at is None
            assert not payout.events.filter(kind=PayoutEvent.Kind.PAID).exists()
        for batch in PaymentBatch.objects.exclude(status=PaymentBatch.Status.DRAFT):
            for payout in batch.payouts.all():
                assert payout.status != S.CANCELLED
                assert payout.claim.reference in batch.payment_file_xml()

    @precondition(lambda self: hasattr(self, "reseller"))
    @invariant()
    def the_amount_paid_is_the_adjusted_amount(self):
        for payout in self.payouts():
            if payout.status in (S.CANCELLED, S.FORFEITED):
                continue
            assert payout.amount == payout.claim.reward_to_pay
        for adjustment in RewardAdjustment.objects.filter(
            claim__reseller=self.reseller
        ):
            assert adjustment.confirmed_by_id != adjustment.requested_by_id
            if adjustment.status == RewardAdjustment.Status.PENDING:
                assert adjustment.claim.adjusted_reward_amount != adjustment.amount or (
                    adjustment.claim.reward_adjustments.filter(
                        status=RewardAdjustment.Status.APPLIED,
                        amount=adjustment.amount,
                    ).exists()
                )

    @precondition(lambda self: hasattr(self, "reseller"))
    @invariant()
    def no_payment_before_release_or_to_a_foreign_account(self):
        legal = company_name_key(self.reseller.legal_name)
        for payout in self.payouts(S.SCHEDULED, S.IN_BATCH, S.PAID):
            scheduled = payout.events.filter(kind=PayoutEvent.Kind.SCHEDULED).last()
            assert scheduled is not None
            local = timezone.localdate(scheduled.created_at)
            assert local >= payout.release_date
            if payout.batch_id and payout.batch.released_at:
                assert timezone.localdate(payout.batch.released_at) >= (
                    payout.release_date
                )
        for payout in self.payouts(S.READY, S.SCHEDULED, S.IN_BATCH, S.PAID):
            account = payout.bank_account
            assert account is not None
            assert account.reseller_id == self.reseller.pk
            assert company_name_key(account.beneficiary_name) == legal
        for batch in PaymentBatch.objects.filter(payouts__reseller=self.reseller):
            assert batch.released_by_id != batch.created_by_id

    @precondition(lambda self: hasattr(self, "reseller"))
    @invariant()
    def no_payment_to_a_frozen_shared_or_unverified_new_account(self):
        """A batch released in the last step paid no account that was, at
        that moment, frozen, refused, shared and not cleared, or new and
        neither verified nor past its cooling-off date counted from when the
        notice of it reached every admin (issue 27)."""
        now = timezone.now()
        released = PaymentBatch.objects.filter(
            payouts__reseller=self.reseller, released_at__isnull=False
        ).exclude(pk__in=self.released_checked)
        for batch in released.distinct():
            for payout in batch.payouts.select_related("bank_account"):
                account = payout.bank_account
                assert account.frozen_at is None
                assert account.refused_at is None
                assert (
                    not account.shared_with_other_reseller
                    or account.shared_cleared_at is not None
                )
                assert account.verified_at is not None or (
                    account.admins_told_at is not None
                    and account.cooling_off_until <= now
                )
            self.released_checked.add(batch.pk)

    @precondition(lambda self: hasattr(self, "reseller"))
    @invariant()
    def amounts_are_never_negative(self):
        for payout in self.payouts():
            assert payout.amount >= 0
            assert payout.payout_amount is None or payout.payout_amount >= 0
        for claim in self.claims():
            assert claim.reward_amount is None or claim.reward_amount >= Decimal(0)

    @precondition(lambda self: hasattr(self, "reseller"))
    @invariant()
    def every_state_has_its_event(self):
        for claim in self.claims():
            last = (
                ClaimEvent.objects.filter(claim=claim)
                .exclude(to_status="")
                .order_by("pk")
                .last()
            )
            assert last is not None and last.to_status == claim.status
        for payout in self.payouts():
            last = payout.events.exclude(to_status="").order_by("pk").last()
            assert last is not None and last.to_status == payout.status
            assert (
                payout.reminders_sent
                == payout.reminders.filter(cycle=payout.cycle).count()
            )


@pytest.mark.django_db
def test_claims_and_payouts_keep_their_invariants(time_machine, settings_override):
    """Random sequences of allowed and forbidden actions never break a rule."""
    ProgramMachine.traveller = time_machine
    run_state_machine_as_test(
        ProgramMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )


@pytest.fixture
def settings_override(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.BANK_ACCOUNT_COOLING_OFF_DAYS = 3
