"""A claim's states and the claims' named subsets: the one home of which
claims still count, may be paid, are undecided, disputable, finally rejected,
and seen by a member (R7, R20). `claims.models` re-exports them."""

import datetime as dt

from django.db import models
from django.db.models import ExpressionWrapper, Q, Value
from django.utils.translation import gettext_lazy as _

from cashback.clock import program_day_start, program_today


class ClaimStatus(models.TextChoices):
    """A claim's states (`Claim.Status`)."""

    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    INFO_REQUESTED = "info_requested", _("Invoice requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DISPUTED = "disputed", _("Disputed")


# A rejection can be disputed once, until the end of this many whole days
# (in the program's time zone) after the day of the decision.
DISPUTE_WINDOW_DAYS = 30
DISPUTE_WINDOW = dt.timedelta(days=DISPUTE_WINDOW_DAYS)


def dispute_last_day(decided_at: dt.datetime) -> dt.date:
    """The last day a rejection decided at `decided_at` can be disputed: a whole
    day in the program's time zone, whatever the hour of the decision."""
    return program_today(decided_at) + DISPUTE_WINDOW


def seen_by_q(user, via: str = "") -> Q:
    """The one home of which claims `user` may read (R20), as a condition on
    claims, or on rows reaching a claim `via` a relation ("claim__"): nothing
    to add once approved, else only the claims they filed themselves."""
    if user.is_approved_member:
        return Q()
    return Q(**{f"{via}submitted_by": user})


class ClaimQuerySet(models.QuerySet):
    """The claims' named subsets; other apps reach them through the reverse
    accessor (`reseller.claims.counting()`) without importing this app."""

    def seen_by(self, user) -> "ClaimQuerySet":
        """The claims `user` may read: all of their company's once approved, only
        those they filed themselves before a company admin approved them (R20)."""
        return self.filter(seen_by_q(user))

    def with_seen_by(self, user) -> "ClaimQuerySet":
        """Each claim annotated `seen`: whether `user` may read it (`seen_by`),
        for pages that need every claim of the company for a rule (one claim
        per offer) but show only those."""
        rule = seen_by_q(user)
        seen = (
            ExpressionWrapper(rule, output_field=models.BooleanField())
            if rule
            else Value(True)
        )
        return self.annotate(seen=seen)

    def counting(self) -> "ClaimQuerySet":
        """Claims that still count: they take the company's one claim on an offer
        in one-claim mode (R7). Only a withdrawn claim stops counting."""
        return self.exclude(status=ClaimStatus.WITHDRAWN)

    def with_still_counts(self) -> "ClaimQuerySet":
        """Each claim annotated `still_counts`, the same rule as `counting()`,
        for pages that list every claim and need to know which ones count."""
        return self.annotate(
            still_counts=ExpressionWrapper(
                ~Q(status=ClaimStatus.WITHDRAWN), output_field=models.BooleanField()
            )
        )

    def disputable(self, now: dt.datetime) -> "ClaimQuerySet":
        """Rejections the company can still dispute at `now` (the dispute window,
        the same rule as `Claim.dispute_until`): decided on or after the day
        that is the window's length before today, in the program's time zone."""
        return self.filter(
            status=ClaimStatus.REJECTED,
            disputed_at__isnull=True,
            decided_at__gte=program_day_start(program_today(now) - DISPUTE_WINDOW),
        )

    def finally_rejected(self, now: dt.datetime) -> "ClaimQuerySet":
        """Rejections that are final at `now`: disputed and rejected again, or
        never disputed and past the dispute window. Their agreement numbers
        are free for the company that really sold them."""
        return self.filter(status=ClaimStatus.REJECTED).filter(
            Q(disputed_at__isnull=False)
            | Q(decided_at__lt=program_day_start(program_today(now) - DISPUTE_WINDOW))
        )

    def may_be_paid(self) -> "ClaimQuerySet":
        """Claims that may still lead to a payment: neither withdrawn nor
        rejected (they share the offer's cap and net-new-customer minimum)."""
        return self.exclude(status__in=[ClaimStatus.WITHDRAWN, ClaimStatus.REJECTED])

    def undecided(self) -> "ClaimQuerySet":
        """Claims a reviewer will still decide on (their validation report is
        what the reviewer reads next): filed, in review, waiting for an invoice
        copy or disputed."""
        return self.filter(
            status__in=[
                ClaimStatus.SUBMITTED,
                ClaimStatus.IN_REVIEW,
                ClaimStatus.INFO_REQUESTED,
                ClaimStatus.DISPUTED,
            ]
        )
