"""Finance in admin: the documents list, the period export whose totals
reconcile to the paid batches, and the program's liability (R25)."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from payouts.models import PaymentBatch
from resellers.models import Reseller
from statements.models import VatDocument
from tests.payouts.conftest import approve
from tests.payouts.factories import approved_claim
from tests.resellers.factories import StaffUserFactory
from tests.statements.conftest import pay

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2027-03-01", "end": "2027-03-31"}


@pytest.fixture
def finance(client):
    staff = StaffUserFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_vatdocument", "export_vat_documents"]
        )
    )
    client.force_login(staff)
    return client


@pytest.fixture
def paid(django_capture_on_commit_callbacks):
    """Two SEK payments in one batch, one EUR payment in another; a company
    whose name a spreadsheet would read as a formula."""

    def hostile_name(payouts):
        Reseller.objects.filter(pk=payouts[0].reseller_id).update(
            legal_name='=HYPERLINK("http://x.example","AB")'
        )

    with django_capture_on_commit_callbacks(execute=True):
        return pay(count=2, before_booking=hostile_name) + pay(currency="EUR")


def _batch_sums() -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for batch in PaymentBatch.objects.all():
        sums[batch.currency] = sums.get(batch.currency, Decimal(0)) + batch.total_amount
    return sums


def test_the_period_totals_reconcile_to_the_paid_batches(finance, paid):
    response = finance.get(reverse("admin:statements_period"), PERIOD)
    assert response.status_code == 200
    totals = {total.currency: total for total in response.context["totals"]}
    sums = _batch_sums()
    assert set(totals) == set(sums) == {"SEK", "EUR"}
    for currency, total in totals.items():
        assert total.issued_total == total.batches_paid == sums[currency]
        assert total.reconciles
    assert totals["SEK"].documents == 2


def test_the_csv_export_has_a_row_per_document_and_rate_and_the_totals(finance, paid):
    response = finance.get(
        reverse("admin:statements_period"), {**PERIOD, "file_format": "csv"}
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    documents = [row for row in rows if row["number"] not in ("TOTAL", "PAID BATCHES")]
    assert sorted(row["number"] for row in documents) == sorted(
        VatDocument.objects.values_list("number", flat=True)
    )
    sums = _batch_sums()
    for currency in ("SEK", "EUR"):
        total = next(
            r for r in rows if r["number"] == "TOTAL" and r["currency"] == currency
        )
        paid_row = next(
            r
            for r in rows
            if r["number"] == "PAID BATCHES" and r["currency"] == currency
        )
        assert Decimal(total["total_amount"]) == sums[currency]
        assert Decimal(paid_row["total_amount"]) == sums[currency]
        assert (
            sum(
                Decimal(r["total_amount"])
                for r in documents
                if r["currency"] == currency
            )
            == sums[currency]
        )
    # A company name is text, never a formula.
    assert any(row["company"].startswith("'=HYPERLINK") for row in documents)


def test_the_excel_export_carries_the_same_totals(finance, paid):
    response = finance.get(
        reverse("admin:statements_period"), {**PERIOD, "file_format": "xlsx"}
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    headers = rows[0]
    totals = {
        row[headers.index("currency")]: row[headers.index("total_amount")]
        for row in rows[1:]
        if row[0] == "TOTAL"
    }
    sums = _batch_sums()
    assert {c: Decimal(str(v)) for c, v in totals.items()} == sums


def test_a_period_that_ends_before_it_starts_is_refused_on_the_field(finance):
    response = finance.get(
        reverse("admin:statements_period"),
        {"start": "2027-03-31", "end": "2027-03-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end"] == [
        "The period ends before it starts."
    ]


def test_the_export_needs_its_permission(client, paid):
    staff = StaffUserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_vatdocument"))
    client.force_login(staff)
    assert client.get(reverse("admin:statements_period"), PERIOD).status_code == 403
    assert client.get(reverse("admin:statements_liability")).status_code == 403


def test_the_list_filters_by_kind_company_and_currency(finance, paid):
    url = reverse("admin:statements_vatdocument_changelist")
    response = finance.get(url, {"currency": "EUR", "kind": "credit_note"})
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert [document.currency for document in listed] == ["EUR"]
    response = finance.get(url, {"q": paid[1].reseller.legal_name})
    assert [d.payout_id for d in response.context["cl"].result_list] == [paid[1].pk]


def test_the_liability_is_what_is_approved_and_unpaid(finance, paid):
    unpaid = approve(approved_claim())
    response = finance.get(
        reverse("admin:statements_liability"),
        {"at": unpaid.created_at.date().isoformat()},
    )
    rows = response.context["rows"]
    assert [(row.offer_id, row.amount) for row in rows] == [
        (unpaid.offer_id, unpaid.amount)
    ]
