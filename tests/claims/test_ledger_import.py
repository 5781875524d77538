"""The ledger import: good, duplicate and malformed rows, a missing column, a
re-import; on SQLite (batched) and on PostgreSQL (COPY and one upsert)."""

import io
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.ledger_import import (
    PROGRESS_EVERY,
    LedgerImportError,
    agreement_import_run,
    ledger_import,
)
from claims.models import (
    AgreementImport,
    Claim,
    ClaimAgreement,
    ClaimEvent,
    OpenAgreement,
)
from claims.services import claim_validate
from offers.models import Product
from tests.claims.factories import ClaimFactory
from tests.offers.factories import (
    CustomerSegmentFactory,
    LicenceTypeFactory,
    ProductFactory,
)
from tests.resellers.factories import StaffUserFactory

HEADER = (
    "agreement_number,reseller_org_number,reseller_name,customer_id,"
    "customer_segment,licence_type,product_sku,seats,revenue,currency,sale_date,"
    "new_customer,extra\n"
)
GOOD = [
    "87000001,5567037485,Nordlicens AB,C-1,COMMERCIAL,OPEN_LICENSE,SKU-1,10,"
    "10000.00,SEK,2026-08-15,true,x\n",
    "8700-0002,5567037485,Nordlicens AB,C-2,COMMERCIAL,OPEN_LICENSE,SKU-1,5,"
    "250.5,sek,2026-09-01,FALSE,y\n",
]
DUPLICATE = (
    "87000001,5567037485,Nordlicens AB,C-9,COMMERCIAL,OPEN_LICENSE,SKU-1,1,1,SEK,"
    "2026-08-15,true,z\n"
)
MALFORMED = [
    "12,5567037485,Nordlicens AB,C-3,COMMERCIAL,OPEN_LICENSE,SKU-1,1,1,SEK,"
    "2026-08-15,true,\n",
    "87000004,5567037485,Nordlicens AB,C-4,NOPE,OPEN_LICENSE,SKU-1,1,1,SEK,"
    "2026-08-15,true,\n",
    "87000005,5567037485,Nordlicens AB,C-5,COMMERCIAL,OPEN_LICENSE,SKU-1,-1,1,SEK,"
    "2026-08-15,true,\n",
    "87000006,5567037485,Nordlicens AB,C-6,COMMERCIAL,OPEN_LICENSE,SKU-1,1,1.001,"
    "SEK,2026-08-15,true,\n",
    "87000007,5567037485,Nordlicens AB,C-7,COMMERCIAL,OPEN_LICENSE,SKU-1,1,1,SEK,"
    "15/08/2026,true,\n",
    "87000008,5567037485,Nordlicens AB,C-8,COMMERCIAL,OPEN_LICENSE,SKU-1,1,1,SEK,"
    "2026-08-15,yes,\n",
    "87000009,too,few\n",
]


@pytest.fixture
def codes(db):
    CustomerSegmentFactory(code="COMMERCIAL")
    LicenceTypeFactory(code="OPEN_LICENSE")
    ProductFactory(sku="SKU-1")


def run(text: str):
    return ledger_import(stream=io.StringIO(text))


def check_a_mixed_file() -> None:
    result = run(HEADER + "".join(GOOD) + DUPLICATE + "".join(MALFORMED))
    assert (result.inserted, result.updated, result.rejected) == (2, 0, 8)
    lines = dict(result.errors)
    assert "repeats line 2" in lines[4]
    assert "agreement_number" in lines[5]
    assert "customer_segment 'NOPE'" in lines[6]
    assert "seats" in lines[7]
    assert "at most 2 decimals" in lines[8]
    assert "sale_date" in lines[9]
    assert "new_customer" in lines[10]
    assert "too few" in lines[11]
    second = OpenAgreement.objects.get(agreement_number="87000002")
    assert second.revenue == Decimal("250.50")
    assert second.currency == "SEK" and second.new_customer is False
    first = OpenAgreement.objects.get(agreement_number="87000001")
    assert first.customer_id == "C-1"  # the duplicate did not overwrite it


def check_a_reimport() -> None:
    run(HEADER + "".join(GOOD))
    changed = GOOD[1].replace(",5,", ",7,")
    result = run(HEADER + GOOD[0] + changed)
    assert result.inserted == 0 and result.updated >= 1
    assert OpenAgreement.objects.get(agreement_number="87000002").seats == 7
    assert OpenAgreement.objects.count() == 2


def check_a_missing_column() -> None:
    header = HEADER.replace("licence_type,", "")
    with pytest.raises(LedgerImportError, match="licence_type"):
        run(header + "".join(GOOD))
    assert not OpenAgreement.objects.exists()


def test_mixed_file_batched(codes):
    check_a_mixed_file()


def test_reimport_batched(codes):
    check_a_reimport()


def test_missing_column_batched(codes):
    check_a_missing_column()


@pytest.mark.postgres
def test_mixed_file_copy(codes):
    check_a_mixed_file()


@pytest.mark.postgres
def test_reimport_copy_counts_only_changed_rows(codes):
    run(HEADER + "".join(GOOD))
    result = run(HEADER + GOOD[0] + GOOD[1].replace(",5,", ",7,"))
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    assert OpenAgreement.objects.get(agreement_number="87000002").seats == 7


@pytest.mark.postgres
def test_missing_column_copy(codes):
    check_a_missing_column()


def test_command_reports_lines_and_missing_columns(codes, tmp_path, capsys):
    path = tmp_path / "ledger.csv"
    path.write_text(HEADER + "".join(GOOD) + MALFORMED[0], encoding="utf-8")
    call_command("import_agreements", str(path), verbosity=0)
    out, err = capsys.readouterr()
    assert "2 new" in out and "1 rejected" in out
    assert "line 4:" in err
    path.write_text("agreement_number,seats\n87000001,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="reseller_org_number"):
        call_command("import_agreements", str(path), verbosity=0)


def test_a_file_that_is_not_utf8_imports_nothing(codes, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes((HEADER + GOOD[0]).encode() + "Å,ö\n".encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_agreements", str(path), verbosity=0)
    assert not OpenAgreement.objects.exists()


def test_admin_upload_runs_the_same_import(codes, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    upload = AgreementImport(original_name="ledger.csv")
    upload.file.save("x.csv", ContentFile((HEADER + "".join(GOOD)).encode()))
    agreement_import_run(import_id=upload.pk)
    upload.refresh_from_db()
    assert upload.status == AgreementImport.Status.DONE
    assert (upload.rows_read, upload.rows_written) == (2, 2)
    assert OpenAgreement.objects.count() == 2


def check_repeats_and_free_text() -> None:
    """A repeat of an earlier good row is reported as a repeat even when it is
    also wrong otherwise; a row repeating a bad row is judged on its own; free
    text keeps tabs, backslashes and line breaks."""
    bad_first = GOOD[1].replace(",5,", ",-5,")
    text = (
        HEADER + '87000001,5567037485,"Nord\tlicens\\AB\nline two",C-1,COMMERCIAL,'
        "OPEN_LICENSE,SKU-1,10,10000.00,SEK,2026-08-15,true,x\n"
        + bad_first
        + DUPLICATE.replace("COMMERCIAL", "NOPE")
        + GOOD[1]
        + GOOD[1].replace(",5,", ",6,")
    )
    result = run(text)
    assert (result.inserted, result.rejected) == (2, 3)
    # The quoted name spans two lines: the next record is on line 4.
    assert result.errors == [
        (4, "seats '-5' is not a whole number of 0 or more"),
        (5, "agreement_number 87000001 repeats line 3; the first is kept"),
        (7, "agreement_number 87000002 repeats line 6; the first is kept"),
    ]
    first = OpenAgreement.objects.get(agreement_number="87000001")
    assert first.reseller_name == "Nord\tlicens\\AB\nline two"
    assert OpenAgreement.objects.get(agreement_number="87000002").seats == 5


def check_a_file_in_number_order() -> None:
    """A file in number order (repeats are not searched for) still rejects a
    bad row with its reason and writes the rest."""
    text = HEADER + GOOD[0] + GOOD[1].replace("sek", "SEKK") + MALFORMED[0]
    result = run(text.replace("87000001", "87000000"))
    assert (result.inserted, result.rejected) == (1, 2)
    assert result.errors == [
        (3, "currency 'SEKK' is not an ISO 4217 code"),
        (4, "agreement_number must be 7 to 15 letters and digits"),
    ]


def test_a_file_in_number_order_batched(codes):
    check_a_file_in_number_order()


@pytest.mark.postgres
def test_a_file_in_number_order_copy(codes):
    check_a_file_in_number_order()


def test_repeats_and_free_text_batched(codes):
    check_repeats_and_free_text()


@pytest.mark.postgres
def test_repeats_and_free_text_copy(codes):
    check_repeats_and_free_text()


@pytest.mark.postgres
def test_reimport_of_an_unchanged_file_writes_nothing(codes):
    """Re-importing the same file counts every row unchanged and leaves the
    rows as they were (not even imported_at moves)."""
    run(HEADER + "".join(GOOD))
    before = dict(OpenAgreement.objects.values_list("agreement_number", "imported_at"))
    result = run(HEADER + "".join(GOOD))
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 2)
    after = dict(OpenAgreement.objects.values_list("agreement_number", "imported_at"))
    assert after == before


@pytest.mark.postgres
def test_new_changed_and_unchanged_rows_are_counted_apart(codes):
    """One file with a new row, a changed row and an unchanged row."""
    run(HEADER + "".join(GOOD))
    new = GOOD[0].replace("87000001", "87000003")
    changed = GOOD[1].replace("250.5", "251")
    result = run(HEADER + GOOD[0] + changed + new)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 1)
    assert OpenAgreement.objects.get(agreement_number="87000002").revenue == 251
    assert OpenAgreement.objects.count() == 3


def check_odd_but_valid_values() -> None:
    """Revenues Decimal reads (1e2, 1_000), ISO week dates and digits of other
    scripts are accepted and stored as their values."""
    row = (
        GOOD[0]
        .replace(",10,10000.00,", ",\u0663,1e2,")
        .replace("2026-08-15", "2026-W33-6")
    )
    other = GOOD[1].replace("250.5", "1_000.5")
    result = run(HEADER + row + other)
    assert (result.inserted, result.rejected) == (2, 0)
    first = OpenAgreement.objects.get(agreement_number="87000001")
    assert (first.seats, first.revenue) == (3, Decimal("100"))
    assert first.sale_date.isoformat() == "2026-08-15"
    second = OpenAgreement.objects.get(agreement_number="87000002")
    assert second.revenue == Decimal("1000.50")


def test_odd_but_valid_values_batched(codes):
    check_odd_but_valid_values()


@pytest.mark.postgres
def test_odd_but_valid_values_copy(codes):
    check_odd_but_valid_values()


def test_open_claims_on_changed_numbers_are_validated_again(
    codes, settings, tmp_path, client
):
    """A claim filed before its number reached the ledger is validated again by
    the import that brings it; a decided claim and a claim on an unchanged
    number are left as they are; the queue shows when each was validated."""
    run(HEADER + GOOD[0])
    waiting = ClaimFactory(agreement_numbers=["87000002"])
    unchanged = ClaimFactory(agreement_numbers=["87000001"])
    decided = ClaimFactory(agreement_numbers=["87000003"], status=Claim.Status.REJECTED)
    for claim in (waiting, unchanged, decided):
        claim_validate(claim_id=claim.pk)
    assert ClaimAgreement.objects.filter(claim=waiting).exists()
    waiting.refresh_from_db()
    assert waiting.validation_report  # "not in the ledger" before the import
    before = {
        c.pk: Claim.objects.get(pk=c.pk).validated_at
        for c in (waiting, unchanged, decided)
    }

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    upload = AgreementImport(original_name="ledger.csv")
    third = GOOD[0].replace("87000001", "87000003")
    upload.file.save("x.csv", ContentFile((HEADER + "".join(GOOD) + third).encode()))
    agreement_import_run(import_id=upload.pk)
    upload.refresh_from_db()
    assert upload.message.endswith("1 open claims validated again")

    revalidated = ClaimEvent.objects.filter(
        kind=ClaimEvent.Kind.VALIDATED, message__contains="after a ledger import"
    )
    assert list(revalidated.values_list("claim_id", flat=True)) == [waiting.pk]
    for claim in (unchanged, decided):
        assert Claim.objects.get(pk=claim.pk).validated_at == before[claim.pk]
    waiting.refresh_from_db()
    assert waiting.validated_at > before[waiting.pk]

    reviewer = StaffUserFactory()
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    page = client.get(reverse("admin:claims_claim_changelist"))
    assert "column-validated_at" in page.content.decode()


# Large imports: foreign keys and indexes dropped and re-created ---------------


@pytest.fixture
def bulk(codes, settings):
    """The path of large first loads, taken here from one row on."""
    settings.LEDGER_IMPORT_BULK_ROWS = 1


def ledger_schema() -> dict[str, str]:
    """The ledger's constraints and indexes, by name, as the database has them."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'claims_openagreement'::regclass
            UNION ALL
            SELECT indexname, indexdef FROM pg_indexes
            WHERE tablename = 'claims_openagreement'
            """
        )
        return dict(cursor.fetchall())


def statements_of(text: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run(text)
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.postgres
def test_a_large_first_load_recreates_the_same_keys_and_indexes(bulk):
    """The keys and indexes are dropped for the load and re-created under the
    names and definitions the migrations gave them; the rows are as usual."""
    before = ledger_schema()
    foreign_keys = [name for name, sql in before.items() if "FOREIGN KEY" in sql]
    assert len(foreign_keys) == 3
    statements = statements_of(HEADER + "".join(GOOD))
    dropped = " ".join(s for s in statements if "DROP CONSTRAINT" in s)
    assert all(name in dropped for name in foreign_keys)
    assert any(s.startswith("DROP INDEX") for s in statements)
    assert not any("DROP INDEX" in s and "_key" in s for s in statements)
    assert ledger_schema() == before
    assert OpenAgreement.objects.count() == 2


@pytest.mark.postgres
def test_a_small_import_keeps_the_keys(codes, settings):
    settings.LEDGER_IMPORT_BULK_ROWS = 3
    statements = statements_of(HEADER + "".join(GOOD))
    assert not any("DROP CONSTRAINT" in s for s in statements)
    assert OpenAgreement.objects.count() == 2


@pytest.mark.postgres
def test_an_import_mostly_of_known_numbers_keeps_the_keys(bulk):
    """One new row to two already in the ledger: the triggers cost less than
    checking the whole ledger again."""
    run(HEADER + "".join(GOOD))
    new = GOOD[0].replace("87000001", "87000003")
    statements = statements_of(HEADER + "".join(GOOD) + new)
    assert not any("DROP CONSTRAINT" in s for s in statements)
    assert OpenAgreement.objects.count() == 3


@pytest.mark.postgres
def test_mixed_file_large_load(bulk):
    check_a_mixed_file()


@pytest.mark.postgres
def test_repeats_and_free_text_large_load(bulk):
    check_repeats_and_free_text()


@pytest.mark.postgres
def test_odd_but_valid_values_large_load(bulk):
    check_odd_but_valid_values()


@pytest.mark.postgres
def test_reimport_after_a_large_load_writes_nothing(bulk):
    run(HEADER + "".join(GOOD))
    before = dict(OpenAgreement.objects.values_list("agreement_number", "imported_at"))
    result = run(HEADER + "".join(GOOD))
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 2)
    after = dict(OpenAgreement.objects.values_list("agreement_number", "imported_at"))
    assert after == before


@pytest.mark.postgres
def test_a_large_load_in_a_transaction_that_wrote_the_ledger(bulk):
    """A caller's transaction with a ledger row written (its deferred key
    checks still queued) can run a large load after it."""
    with transaction.atomic():
        run(HEADER + GOOD[0])
        new = [row.replace("8700000", "8800000") for row in GOOD]
        result = run(HEADER + "".join(new))
    assert result.inserted == 2
    assert OpenAgreement.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_code_deleted_during_a_large_load_imports_nothing(bulk):
    """The Python checks refuse unknown codes, but a product another session
    deletes while the file is read reaches the re-added foreign key: the
    import stops with the first line that names it, and nothing (not even the
    drop of the keys) is left behind."""
    ProductFactory(sku="SKU-2")
    before = ledger_schema()
    rows = [
        f"8{n:07d},5567037485,Nordlicens AB,C-{n},COMMERCIAL,OPEN_LICENSE,"
        f"SKU-{1 + n % 2},1,1.00,SEK,2026-08-15,true,\n"
        for n in range(1, PROGRESS_EVERY + 1)
    ]

    def delete() -> None:
        try:
            Product.objects.filter(sku="SKU-2").delete()
        finally:
            connections.close_all()

    def delete_the_product(rows_read: int) -> None:
        # Called while the rows stream to COPY: the import's own connection
        # is busy, so another session (thread) deletes and commits.
        if rows_read == PROGRESS_EVERY:
            other = threading.Thread(target=delete)
            other.start()
            other.join()

    with pytest.raises(LedgerImportError) as failure:
        ledger_import(
            stream=io.StringIO(HEADER + "".join(rows)), progress=delete_the_product
        )
    assert str(failure.value) == (
        "Line 2: its product_sku was deleted while the file was being imported. "
        "Nothing was imported; import the file again."
    )
    assert not Product.objects.filter(sku="SKU-2").exists()
    assert not OpenAgreement.objects.exists()
    assert ledger_schema() == before
