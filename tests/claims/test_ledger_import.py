"""The ledger import: good, duplicate and malformed rows, a missing column, a
re-import; on SQLite (batched) and on PostgreSQL (COPY and one upsert)."""

import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from claims.ledger_import import LedgerImportError, agreement_import_run, ledger_import
from claims.models import AgreementImport, OpenAgreement
from tests.offers.factories import (
    CustomerSegmentFactory,
    LicenceTypeFactory,
    ProductFactory,
)

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
