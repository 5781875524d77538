"""The validation engine's stored result: report, outcome and reward."""

from django.db import transaction
from django.utils import timezone

from resellers.models import User

from ..models import Claim, ClaimEvent
from ..validation import claim_report

S = Claim.Status

# The task that runs `claim_validate` for one claim (claims/tasks.py registers
# it under this name; filing and an invoice copy enqueue it after commit).
VALIDATE_TASK = "claims.validate"


def claim_validate(
    *, claim_id: int, actor: User | None = None, note: str = ""
) -> Claim:
    """Run the validation engine and store its report, outcome and reward.

    A decided claim keeps the amount it was decided on. `note` says why it
    ran again (the event's message, after the outcome).
    """
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("offer", "reseller")
            .get(pk=claim_id)
        )
        report = claim_report(claim)
        claim.validation_report = report.as_json()
        claim.validation_outcome = report.outcome
        claim.validated_at = timezone.now()
        fields = ["validation_report", "validation_outcome", "validated_at"]
        if claim.status not in {S.APPROVED, S.WITHDRAWN}:
            claim.reward_amount = report.reward_amount
            claim.reward_currency = report.reward_currency
            fields += ["reward_amount", "reward_currency"]
        claim.save(update_fields=[*fields, "updated_at"])
        ClaimEvent.objects.create(
            claim=claim,
            kind=ClaimEvent.Kind.VALIDATED,
            from_status=claim.status,
            to_status=claim.status,
            actor=actor,
            validation_outcome=report.outcome,
            message=note,
        )
    return claim
