"""{{ "2027-03-01"|iso_date|date:"DATE_FORMAT" }}: a day kept as ISO text (the
frozen content of a document) written in the reader's date format."""

import datetime as dt

from django import template

register = template.Library()


@register.filter
def iso_date(value) -> dt.date | str:
    """The day an ISO "YYYY-MM-DD" names; anything else as it came."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return value
