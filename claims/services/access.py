"""Who may act on a claim: reviewers (R10, R24), the company's own users, and
an impartial reviewer. Shared by the review and the corrections."""

from django.utils.translation import gettext_lazy as _

from resellers.models import User

from ..models import Claim
from .errors import ClaimError

S = Claim.Status


def user_may_review(user: User | None) -> bool:
    """Who may review claims (R10, R24): active staff with the review
    permission. Admin shows the review actions by the same rule."""
    return bool(
        user
        and user.is_active
        and user.is_staff
        and user.has_perm("claims.review_claim")
    )


def require_reviewer(actor: User) -> None:
    if not user_may_review(actor):
        raise ClaimError(
            _("Only the program's reviewers can do this."),
            code=ClaimError.Code.FORBIDDEN,
        )


def require_member(claim: Claim, user: User) -> None:
    if user.reseller_id != claim.reseller_id:
        raise ClaimError(
            _("Only the company's users can do this."), code=ClaimError.Code.FORBIDDEN
        )


def require_impartial(claim: Claim, actor: User) -> None:
    """A reviewer never decides for their own company, nor hears the dispute of
    their own rejection (the claim's reviewer is the one who rejected it)."""
    if actor.reseller_id is not None and actor.reseller_id == claim.reseller_id:
        raise ClaimError(
            _("You belong to %(company)s: another reviewer decides its claims.")
            % {"company": claim.reseller.legal_name},
            code=ClaimError.Code.OWN_COMPANY,
        )
    if claim.status == S.DISPUTED and claim.reviewer_id == actor.pk:
        raise ClaimError(
            _("You rejected %(reference)s: another reviewer decides its dispute.")
            % {"reference": claim.reference},
            code=ClaimError.Code.OWN_REJECTION,
        )
