"""Bad input: hypothesis fuzzes every reseller form and the CSV imports.

Never a 500, never a half-written row, and every refusal carries a message on
the form the user sees. Each example starts from valid data and replaces some
fields with arbitrary text, so both acceptances and refusals are exercised.
"""

import io
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.ledger_import import LedgerImportError, ledger_import
from claims.models import Claim, ClaimEvent, OpenAgreement
from payouts.models import BankAccount, Payout
from resellers.importers import MissingColumnsError, memberships_import
from resellers.models import ProgramMembership, Reseller, User
from tests.claims.factories import ClaimFactory
from tests.offers.factories import OfferFactory
from tests.payouts.conftest import sign_in_fresh
from tests.payouts.factories import PayoutFactory
from tests.resellers.factories import ResellerFactory, UserFactory

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
# Arbitrary text, including control characters, NUL, RTL marks and emoji.
junk = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.sampled_from(["", " ", "\x00", "' OR 1=1 --", "<script>x</script>", "9" * 300]),
)


@contextmanager
def rolled_back():
    """Undo what the example wrote, so the next one starts from the same data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def fuzzed(valid: dict, draw_fields: dict) -> dict:
    data = dict(valid)
    data.update({k: v for k, v in draw_fields.items() if v is not None})
    return data


def field_overrides(fields: list[str]):
    return st.fixed_dictionaries({name: st.one_of(st.none(), junk) for name in fields})


def counts(*models) -> tuple[int, ...]:
    return tuple(model.objects.count() for model in models)


def assert_refused_on_the_form(response, form_name: str) -> None:
    assert response.status_code in {200, 400}
    form = response.context[form_name]
    assert form.errors, "a refusal without a message"
    assert all(str(m).strip() for ms in form.errors.values() for m in ms)


# Sign-up --------------------------------------------------------------------

SIGNUP = {
    "email": "anna@nordlicens.se",
    "first_name": "Anna",
    "last_name": "Berg",
    "password1": "correct-horse-battery-staple",
    "password2": "correct-horse-battery-staple",
    "legal_name": "Nordlicens AB",
    "country": "SE",
    "org_number": "559123-4561",
    "vat_number": "SE559123456101",
}


@pytest.fixture
def no_rate_limits(settings):
    settings.ACCOUNT_RATE_LIMITS = False  # allauth's limits would answer 429


@pytest.mark.django_db
@FUZZ
@given(overrides=field_overrides(list(SIGNUP)))
def test_signup_never_fails_or_half_registers(client, no_rate_limits, overrides):
    """Sign-up: a user and a company are created together, or neither is."""
    client.logout()
    before = counts(User, Reseller)
    with rolled_back():
        response = client.post(reverse("account_signup"), fuzzed(SIGNUP, overrides))
        after = counts(User, Reseller)
    assert response.status_code < 500
    if response.status_code == 302:
        assert after[0] == before[0] + 1
    else:
        assert_refused_on_the_form(response, "form")
        assert after == before


# Company profile --------------------------------------------------------------

COMPANY = {
    "legal_name": "Nordlicens AB",
    "street_address": "Sveavägen 44",
    "postal_code": "11134",
    "city": "Stockholm",
    "region": "",
    "preferred_currency": "EUR",
    "preferred_language": "sv",
}


@pytest.mark.django_db
@FUZZ
@given(overrides=field_overrides(list(COMPANY)))
def test_company_form_saves_whole_or_not_at_all(client, overrides):
    """Company profile: either every field is saved or the row is untouched."""
    reseller = Reseller.objects.filter(legal_name="Nordlicens AB").first()
    if reseller is None:
        reseller = ResellerFactory(legal_name="Nordlicens AB")
        UserFactory(reseller=reseller, is_company_admin=True)
    client.force_login(reseller.members.get())
    before = Reseller.objects.filter(pk=reseller.pk).values().get()
    data = fuzzed(COMPANY, overrides)
    response = client.post(reverse("resellers:company"), data)
    assert response.status_code < 500
    after = Reseller.objects.filter(pk=reseller.pk).values().get()
    if response.status_code == 302:
        assert after["city"] == data["city"].strip()
    else:
        assert_refused_on_the_form(response, "form")
        assert after == before


# Claim filing and dispute --------------------------------------------------------


@pytest.fixture
def in_window(time_machine):
    time_machine.move_to("2026-11-26 10:00:00+01:00", tick=False)


@pytest.mark.django_db
@FUZZ
@given(
    numbers=junk,
    accepted=st.sampled_from(["on", "", None, "\x00"]),
    version=st.one_of(st.none(), junk),
)
def test_claim_form_files_whole_or_refuses_on_the_form(
    client, in_window, numbers, accepted, version
):
    """Filing: a claim with its numbers and event, or nothing and a message."""
    user = User.objects.filter(email="fuzz@reseller.example").first()
    if user is None:
        user = UserFactory(email="fuzz@reseller.example")
        OfferFactory(slug="fuzz-offer")
    client.force_login(user)
    data = {"agreement_numbers": numbers}
    if accepted is not None:
        data["accepted_terms"] = accepted
    if version is not None:
        data["terms_version"] = version
    before = counts(Claim, ClaimEvent)
    response = client.post(reverse("claims:file", args=["fuzz-offer"]), data)
    assert response.status_code < 500
    if response.status_code == 302:
        claim = Claim.objects.latest("pk")
        assert claim.agreements.exists() and claim.events.exists()
        # Free the offer for the next example (one claim per company).
        claim.events.all().delete()
        claim.agreements.all().delete()
        claim.delete()
    else:
        assert_refused_on_the_form(response, "form")
        assert counts(Claim, ClaimEvent) == before


@pytest.mark.django_db
@FUZZ
@given(comment=junk)
def test_dispute_form_disputes_or_refuses_on_the_form(client, comment):
    """Dispute: the claim moves with its event, or stays and the form says why."""
    claim = ClaimFactory(status=Claim.Status.REJECTED)
    from django.utils import timezone

    Claim.objects.filter(pk=claim.pk).update(decided_at=timezone.now())
    client.force_login(claim.submitted_by)
    before = ClaimEvent.objects.filter(claim=claim).count()
    response = client.post(
        reverse("claims:dispute", args=[claim.reference]), {"comment": comment}
    )
    assert response.status_code < 500
    claim.refresh_from_db()
    if response.status_code == 302:
        assert claim.status == Claim.Status.DISPUTED
        assert ClaimEvent.objects.filter(claim=claim).count() == before + 1
    else:
        assert_refused_on_the_form(response, "dispute_form")
        assert claim.status == Claim.Status.REJECTED
        assert ClaimEvent.objects.filter(claim=claim).count() == before


# Bank details -------------------------------------------------------------------

BANK = {
    "account-beneficiary_name": "Nordlicens AB",
    "account-iban": "SE4550000000058398257466",
    "account-account_number": "",
    "account-bank_code": "",
    "account-bic": "ESSESESS",
    "account-bank_country": "SE",
    "account-currency": "SEK",
    "account-address_confirmed": "on",
}


@pytest.mark.django_db
@FUZZ
@given(overrides=field_overrides(list(BANK)))
def test_bank_details_form_stores_whole_or_refuses_on_the_form(client, overrides):
    """Bank details: a new account version and a ready payout, or neither."""
    reseller = Reseller.objects.filter(legal_name="Nordlicens AB").first()
    if reseller is None:
        reseller = ResellerFactory(legal_name="Nordlicens AB")
        sign_in_fresh(client, UserFactory(reseller=reseller, is_company_admin=True))
    payout = PayoutFactory(claim=ClaimFactory(reseller=reseller))
    before = counts(BankAccount)
    response = client.post(
        reverse("payouts:bank_details", args=[payout.pk]), fuzzed(BANK, overrides)
    )
    assert response.status_code < 500
    payout.refresh_from_db()
    if response.status_code == 302:
        assert payout.status == Payout.Status.READY
        assert counts(BankAccount)[0] == before[0] + 1
    else:
        assert_refused_on_the_form(response, "account_form")
        assert payout.status == Payout.Status.AWAITING_BANK_DETAILS
        assert counts(BankAccount) == before


# CSV imports --------------------------------------------------------------------

LEDGER_HEADER = (
    "agreement_number,reseller_org_number,reseller_name,customer_id,"
    "customer_segment,licence_type,product_sku,seats,revenue,currency,sale_date,"
    "new_customer"
)
cell = st.one_of(
    st.text(max_size=15).map(lambda s: s.replace('"', "")),
    st.sampled_from(["87000001", "10", "1.5", "-1", "SEK", "2026-08-15", "true"]),
)


def csv_text(header: str, rows: list[list[str]]) -> str:
    lines = [header] + [",".join(f'"{c}"' for c in row) for row in rows]
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(st.lists(cell, min_size=1, max_size=14), max_size=6),
    drop_header=st.booleans(),
)
def test_ledger_import_writes_good_rows_and_names_the_bad(rows, drop_header):
    """Ledger CSV: rows are written or rejected with their line; a broken file
    writes nothing."""
    header = LEDGER_HEADER.replace("seats,", "") if drop_header else LEDGER_HEADER
    before = OpenAgreement.objects.count()
    try:
        result = ledger_import(stream=io.StringIO(csv_text(header, rows)))
    except LedgerImportError as error:
        assert str(error)
        assert OpenAgreement.objects.count() == before
        return
    assert result.rows_read <= len(rows)  # wholly blank rows are skipped
    assert result.inserted + result.updated + result.unchanged + result.rejected == (
        result.rows_read
    )
    assert OpenAgreement.objects.count() == before + result.inserted
    assert all(line >= 2 and reason for line, reason in result.errors)


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(st.lists(cell, min_size=1, max_size=5), max_size=6),
    drop_header=st.booleans(),
)
def test_membership_import_writes_good_rows_and_names_the_bad(rows, drop_header):
    """Memberships CSV: a missing column writes nothing; each bad row is named."""
    header = "reseller_org_number,program,start_date,end_date"
    if drop_header:
        header = header.replace(",end_date", "")
    before = ProgramMembership.objects.count()
    text = csv_text(header, rows)
    try:
        report = memberships_import(io.StringIO(text))
    except MissingColumnsError as error:
        assert str(error)
        assert ProgramMembership.objects.count() == before
        return
    assert ProgramMembership.objects.count() == before + report.created
    assert all(reason for _line, reason in report.malformed)
