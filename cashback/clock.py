"""The program's calendar: which day it is where the program runs.

Every app counts windows, terms and deadlines in days, so the one answer to
"what is today" lives in the shared kernel where all of them can ask it.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

PROGRAM_TIME_ZONE = settings.TIME_ZONE


def program_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date where the program runs (Stockholm), whatever the server's zone.

    A window's last day ends at midnight in Stockholm, not in UTC: at
    2026-01-31 23:30 UTC it is already 1 February there.
    """
    return timezone.localtime(now or timezone.now(), timezone=_program_zone()).date()


def program_day_start(day: dt.date) -> dt.datetime:
    """The moment `day` begins (00:00) in the program's time zone, aware."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=_program_zone())


def program_day_end(day: dt.date) -> dt.datetime:
    """The last moment of `day` in the program's time zone, aware: the due
    time a deadline on that day is shown with (23:59)."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=_program_zone())


def week_start(now: dt.datetime | None = None) -> dt.datetime:
    """Monday 00:00 of the current week, in the program's time zone."""
    local = timezone.localtime(now or timezone.now(), timezone=_program_zone())
    monday = local.date() - dt.timedelta(days=local.weekday())
    return dt.datetime.combine(monday, dt.time.min, tzinfo=local.tzinfo)


def _program_zone() -> ZoneInfo:
    return ZoneInfo(PROGRAM_TIME_ZONE)
