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


def test_a_membership_for_an_unregistered_number_applies_at_sign_up(tmp_path):
    """Imported before the company exists: kept, then its membership the day it
    signs up, so the excluded program still excludes it (R5)."""
    from offers.eligibility import excluded_program_outcome
    from resellers.models import WaitingMembership
    from resellers.services import reseller_register_user
    from tests.offers.factories import OfferFactory

    from .factories import UserFactory

    _out, err = run(tmp_path, GOOD_FILE)
    assert "999999-9999, kept until that company signs up" in err
    waiting = WaitingMembership.objects.get(org_number_key="9999999999")
    assert (waiting.program, waiting.end_date) == ("MRI", date(2015, 12, 31))
    # Importing the file again keeps one row.
    run(tmp_path, GOOD_FILE)
    assert WaitingMembership.objects.count() == 3  # and the two other numbers

    user = UserFactory(reseller=None, email="anna@nyforetag.se")
    reseller = reseller_register_user(
        user=user, legal_name="Nytt Företag AB", country="SE", org_number="9999999999"
    )
    membership = ProgramMembership.objects.get(reseller=reseller)
    assert (membership.program, membership.start_date, membership.end_date) == (
        "MRI",
        date(2015, 1, 1),
        date(2015, 12, 31),
    )
    assert not WaitingMembership.objects.filter(org_number_key="9999999999").exists()
    offer = OfferFactory(
        excluded_program="MRI",
        excluded_from=date(2015, 7, 1),
        excluded_until=date(2015, 12, 31),
    )
    assert not excluded_program_outcome(offer, reseller.memberships.all()).passed


def test_a_corrected_org_number_picks_up_its_waiting_memberships(tmp_path):
    """A company whose number a program manager corrects gets what was kept."""
    from resellers.services import reseller_org_number_change

    from .factories import StaffUserFactory

    reseller = ResellerFactory(org_number="5560360793")
    header = "reseller_org_number,program,start_date,end_date\n"
    run(tmp_path, header + "556677-8899,MRI,2015-03-01,\n")
    assert not ProgramMembership.objects.exists()
    reseller_org_number_change(
        reseller=reseller, actor=StaffUserFactory(), org_number="5566778899"
    )
    assert ProgramMembership.objects.get(reseller=reseller).start_date == date(
        2015, 3, 1
    )


def test_a_nul_character_is_a_bad_row_not_a_database_error(tmp_path):
    """PostgreSQL cannot store NUL: such a row is named by its line, the rest kept."""
    ResellerFactory(org_number="5591234561")
    text = (
        "reseller_org_number,program,start_date,end_date\n"
        "5591234561,MRI,2016-01-01,\n"
        "55912\x0034561,MRI,2017-01-01,\n"
        "5591234561,M\x00RI,2018-01-01,\n"
    )

    _out, err = run(tmp_path, text)

    assert ProgramMembership.objects.count() == 1
    assert "line 3" in err and "line 4" in err
    assert "NUL" in err
