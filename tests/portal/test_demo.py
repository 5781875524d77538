"""The demo: every state on a first run, and nothing moved or changed after use.

`make run` loads the demo every time; a person who has approved, rejected,
batched and paid demo rows must find them as they left them (issue 22).
"""

import datetime as dt
import io
from unittest import mock

import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims import services as claim_services
from claims.models import Claim, OpenAgreement
from payouts import services as payout_services
from payouts.demo import DEMO_IBAN, demo_bank_answer
from payouts.models import Payout
from payouts.services import PayoutError
from portal.management.commands.seed_demo import local_demo_database
from resellers.models import User
from tests.payouts.conftest import notice_delivered

pytestmark = pytest.mark.django_db

DEMO_DAY = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
# Loaded again a month after the last use: reminders and forfeits would be
# due by then, so a run that swept or moved anything would show it.
LATER = dt.timedelta(days=30)
APPS = [
    "cashback",
    "resellers",
    "offers",
    "claims",
    "payouts",
    "statements",
    "auth",
    "account",
]


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    """Every row of the project's tables (and users' groups), every field."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


@pytest.fixture
def demo():
    with time_machine.travel(DEMO_DAY, tick=False):
        assert "Demo data is in place" in seed_demo()


def test_the_demo_loads_with_the_real_cooling_off_period(db, settings):
    """`make run` keeps the default cooling-off of new bank accounts (the test
    settings use none): the demo's operator verifies its account, so the demo
    still builds and releases its batches."""
    settings.BANK_ACCOUNT_COOLING_OFF_DAYS = 3
    with time_machine.travel(DEMO_DAY, tick=False):
        assert "Demo data is in place" in seed_demo()
    assert Payout.objects.filter(status=Payout.Status.IN_BATCH).exists()
    assert Payout.objects.filter(status=Payout.Status.PAID).exists()


def test_a_first_run_shows_every_claim_and_payout_state(demo):
    """Claims in every state; payouts waiting, ready, scheduled, in a batch,
    paid, failed into a new cycle and forfeited."""
    assert set(Claim.objects.values_list("status", flat=True)) == set(
        Claim.Status.values
    )
    assert set(Payout.objects.values_list("status", flat=True)) >= {
        Payout.Status.AWAITING_BANK_DETAILS,
        Payout.Status.READY,
        Payout.Status.SCHEDULED,
        Payout.Status.IN_BATCH,
        Payout.Status.PAID,
        Payout.Status.FORFEITED,
    }
    assert Payout.objects.filter(cycle=2, failure_reason__startswith="AC01").exists()
    assert Payout.objects.filter(reminders_sent__gte=1).exists()
    nordlicens = User.objects.get(email="anna@nordlicens.se").reseller
    assert OpenAgreement.objects.filter(
        reseller_org_number=nordlicens.org_number, sale_date__lt="2026-07-01"
    ).exists()  # a sale no offer counts, for the validation report


def test_the_demo_shows_a_paid_payout_with_its_statement_and_document(demo):
    from statements.models import PaymentStatement, VatDocument

    payout = Payout.objects.get(claim__reference="CB-DEMO-P006")
    assert payout.status == Payout.Status.PAID
    statement = PaymentStatement.objects.get(payout=payout)
    assert statement.pdf.read().startswith(b"%PDF")
    assert VatDocument.objects.get(payout=payout).kind == "credit_note"


def test_a_second_run_changes_nothing_and_says_so_in_one_line(demo):
    """Nothing is created or changed; the first line says the data was kept and
    how to start afresh."""
    before = snapshot()
    with time_machine.travel(DEMO_DAY + LATER, tick=False):
        output = seed_demo()
    assert snapshot() == before
    first = output.splitlines()[0]
    assert "already there" in first
    assert "make demo-reset" in first


def test_both_demo_reseller_users_are_approved_members(demo, client):
    """Erik, a plain member, sees the whole company as an approved one (R20)."""
    erik = User.objects.get(email="erik@nordlicens.se")
    assert erik.is_approved_member and not erik.is_company_admin
    assert User.objects.get(email="anna@nordlicens.se").is_approved_member
    client.force_login(erik)
    assert client.get("/company/").status_code == 200


def test_a_missing_demo_object_is_created_again(demo):
    """Create-only, not all-or-nothing: a deleted demo user comes back."""
    User.objects.filter(email="erik@nordlicens.se").delete()
    assert "Demo data is in place" in seed_demo()
    assert User.objects.filter(email="erik@nordlicens.se").exists()


# What a person can do in the browser and admin, each through its service.
# An action picks the first row it applies to and returns False when none does.


def _staff(email: str) -> User:
    return User.objects.get(email=email)


def _first(**filters) -> Claim | None:
    return Claim.objects.filter(**filters).order_by("pk").first()


def approve() -> bool:
    # Not a dispute: the demo's one reviewer rejected it, and a reviewer never
    # hears the dispute of their own rejection.
    claim = _first(status__in=["submitted", "in_review"])
    if claim is None:
        return False
    claim_services.claim_approve(claim=claim, actor=_staff("reviewer@vendor.example"))
    return True


def reject() -> bool:
    claim = _first(status__in=["submitted", "in_review", "disputed"])
    if claim is None:
        return False
    claim_services.claim_reject(
        claim=claim,
        actor=_staff("reviewer@vendor.example"),
        reason_code="other",
        reason="Tried it.",
    )
    return True


def dispute() -> bool:
    claim = _first(status="rejected", disputed_at__isnull=True)
    if claim is None:
        return False
    user = claim.reseller.members.order_by("pk").first()
    claim_services.claim_dispute(claim=claim, user=user, comment="Please look again.")
    return True


def withdraw() -> bool:
    claim = _first(status__in=["submitted", "in_review", "info_requested"])
    if claim is None:
        return False
    claim_services.claim_withdraw(claim=claim, user=claim.submitted_by)
    return True


def submit_bank_details() -> bool:
    anna = User.objects.get(email="anna@nordlicens.se")
    payout = (
        Payout.objects.filter(reseller=anna.reseller, status="awaiting_bank_details")
        .order_by("pk")
        .first()
    )
    if payout is None:
        return False
    account = payout_services.bank_account_submit(
        reseller=anna.reseller,
        user=anna,
        beneficiary_name=anna.reseller.legal_name,
        iban=DEMO_IBAN,
        bic="ESSESESS",
        bank_country="SE",
        currency="SEK",
        payout=payout,
    )
    notice_delivered(account)  # its cooling-off runs from delivery (issue 27)
    return True


def build_and_release_a_batch() -> bool:
    payout_services.payouts_schedule()
    payout = Payout.objects.filter(status="scheduled").order_by("pk").first()
    if payout is None:
        return False
    batch = payout_services.batch_create(
        currency=payout.payout_currency,
        payouts=[payout],
        operator=_staff("operator1@vendor.example"),
    )
    payout_services.batch_release(
        batch=batch, operator=_staff("operator2@vendor.example")
    )
    return True


def _demo_operators():
    return (_staff("operator1@vendor.example"), _staff("operator2@vendor.example"))


def mark_paid() -> bool:
    payout = Payout.objects.filter(status="in_batch").order_by("pk").first()
    if payout is None:
        return False
    # the bank's pain.002 and camt.054
    demo_bank_answer(payout, paid=True, operators=_demo_operators())
    return True


def mark_failed() -> bool:
    payout = Payout.objects.filter(status="in_batch").order_by("-pk").first()
    if payout is None:
        return False
    # the bank's pain.002 refusal
    demo_bank_answer(payout, paid=False, operators=_demo_operators())
    return True


def reminder_sweep_a_week_later() -> bool:
    result = payout_services.payouts_send_reminders()
    return bool(result.windows_started or result.reminders or result.forfeited)


ACTIONS = [
    approve,
    reject,
    dispute,
    withdraw,
    # Before the bank details: new details move every waiting payout of the
    # company on, and the sweep reminds the waiting ones.
    reminder_sweep_a_week_later,
    submit_bank_details,
    build_and_release_a_batch,
    mark_paid,
    mark_failed,
]


def act(action, day: dt.datetime) -> tuple[dt.datetime, bool]:
    """Run one action on `day` (the sweep a week later); a refusal the service
    gives a person (a batch with a held account, say) counts as not done."""
    if action is reminder_sweep_a_week_later:
        day += dt.timedelta(days=7)
    with time_machine.travel(day, tick=False):
        try:
            with transaction.atomic():
                return day, action()
        except (ValidationError, PayoutError):
            return day, False


def test_seeding_again_after_every_kind_of_use_changes_nothing(demo):
    """Approve, reject, dispute, withdraw, bank details, a released batch, paid,
    failed and a reminder sweep a week later; then the demo is loaded again."""
    day = DEMO_DAY
    done = {}
    for action in ACTIONS:
        day, done[action.__name__] = act(action, day)
    assert all(done.values()), done
    before = snapshot()
    with time_machine.travel(day + LATER, tick=False):
        output = seed_demo()
    assert "already there" in output.splitlines()[0]
    assert snapshot() == before


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8))
def test_seeding_again_after_any_sequence_of_use_changes_nothing(demo, actions):
    """Whatever a person did, in whatever order, a new run creates nothing and
    moves nothing."""
    with transaction.atomic():
        day = DEMO_DAY
        for action in actions:
            day, _done = act(action, day)
        before = snapshot()
        with time_machine.travel(day + LATER, tick=False):
            output = seed_demo()
        assert "already there" in output.splitlines()[0]
        assert snapshot() == before
        transaction.set_rollback(True)  # the next example starts from the demo


def test_reset_is_refused_against_any_database_but_the_local_file(demo):
    """--reset on PostgreSQL stops with a clear message and deletes nothing."""
    before = snapshot()
    with pytest.raises(CommandError, match="only deletes the local demo database"):
        call_command("seed_demo", reset=True, interactive=False, stdout=io.StringIO())
    assert snapshot() == before


def test_only_the_default_sqlite_file_under_var_counts_as_the_local_demo(tmp_path):
    """The reset's guard: the var/db.sqlite3 file make run creates, nothing else."""
    local = django_settings.VAR_DIR / "db.sqlite3"
    sqlite = "django.db.backends.sqlite3"
    assert local_demo_database() is None  # the suite's PostgreSQL
    for name, expected in [(local, local.resolve()), (tmp_path / "db.sqlite3", None)]:
        databases = {"default": {"ENGINE": sqlite, "NAME": name}}
        with mock.patch.dict(django_settings.DATABASES, databases):
            assert local_demo_database() == expected


def test_every_demo_company_has_an_admin(demo):
    """Somebody at each demo company may give its bank details (issue 27):
    Fjällsoft AB's only user was a member nobody approved."""
    from resellers.models import Reseller

    for company in Reseller.objects.all():
        assert company.members.filter(is_active=True, is_company_admin=True), company
