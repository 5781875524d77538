"""`manage.py import_memberships FILE.csv`: program memberships by org number."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from resellers.models import ProgramMembership

from .factories import ResellerFactory

pytestmark = pytest.mark.django_db


def run(tmp_path, text: str) -> tuple[str, str]:
    path = tmp_path / "memberships.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_memberships", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


GOOD_FILE = (
    "reseller_org_number,program,start_date,end_date,comment\n"
    "556036-0793,MRI,2015-01-01,2015-09-30,ignored column\n"
    "5591234561,MRI,2016-01-01,,\n"
    "999999-9999,MRI,2015-01-01,2015-12-31,\n"
    "5591234561,MRI,not-a-date,,\n"
    "5591234561,MRI,2015-06-01,2015-05-01,\n"
)


def test_good_unknown_and_malformed_rows(tmp_path):
    """Good rows are written; unknown numbers and bad rows are reported by line."""
    first = ResellerFactory(org_number="5560360793")
    second = ResellerFactory(org_number="5591234561")

    out, err = run(tmp_path, GOOD_FILE)

    assert ProgramMembership.objects.get(reseller=first).end_date == date(2015, 9, 30)
    assert ProgramMembership.objects.get(reseller=second).end_date is None
    assert ProgramMembership.objects.count() == 2
    assert "line 4: unknown organisation number 999999-9999" in err
    assert "line 5: skipped" in err and "start_date" in err
    assert "line 6: skipped" in err and "before start_date" in err
    assert "2 created" in out


def test_rerunning_the_file_changes_nothing(tmp_path):
    """Importing the same file twice leaves one membership per row."""
    ResellerFactory(org_number="5560360793")
    ResellerFactory(org_number="5591234561")
    run(tmp_path, GOOD_FILE)
    out, _err = run(tmp_path, GOOD_FILE)
    assert ProgramMembership.objects.count() == 2
    assert "0 created, 0 updated, 2 unchanged" in out


def test_a_changed_end_date_updates_the_membership(tmp_path):
    """The same reseller, program and start with a new end date is an update."""
    reseller = ResellerFactory(org_number="5560360793")
    header = "reseller_org_number,program,start_date,end_date\n"
    run(tmp_path, header + "5560360793,MRI,2015-01-01,\n")
    out, _err = run(tmp_path, header + "5560360793,MRI,2015-01-01,2015-12-31\n")
    assert "1 updated" in out
    membership = ProgramMembership.objects.get(reseller=reseller)
    assert membership.end_date == date(2015, 12, 31)


def test_a_missing_column_stops_before_writing(tmp_path):
    """Without start_date nothing is imported and the column is named."""
    ResellerFactory(org_number="5560360793")
    with pytest.raises(CommandError, match="start_date"):
        run(tmp_path, "reseller_org_number,program,end_date\n5560360793,MRI,\n")
    assert not ProgramMembership.objects.exists()


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    """A file that does not exist is a message, not a traceback."""
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_memberships", str(tmp_path / "nope.csv"))
