"""The reviewers' queue by age: shared by the admin filter and the dashboard,
so a figure on the dashboard and the list behind it count the same claims."""

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Claim

# Claims a reviewer has to act on (an invoice request waits for the reseller).
WAITING_STATUSES = [
    Claim.Status.SUBMITTED,
    Claim.Status.IN_REVIEW,
    Claim.Status.DISPUTED,
]
# Age buckets of the queue: parameter value, label, from and to (days).
AGE_BUCKETS = [
    ("lt2", _("Under 2 days"), 0, 2),
    ("2to7", _("2 to 7 days"), 2, 7),
    ("gt7", _("Over 7 days"), 7, None),
]


def waiting_age_q(key: str, now: dt.datetime) -> Q:
    """Claims waiting for review whose age falls in bucket `key`."""
    for value, _label, start, end in AGE_BUCKETS:
        if value == key:
            condition = Q(
                status__in=WAITING_STATUSES,
                created_at__lte=now - dt.timedelta(days=start),
            )
            if end is not None:
                condition &= Q(created_at__gt=now - dt.timedelta(days=end))
            return condition
    raise KeyError(key)
