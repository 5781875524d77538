"""Claims tasks: thin, re-read by id, call a service."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import ledger_import
from .models import AgreementImport, Claim
from .services import corrections, validating


@shared_task(name=validating.VALIDATE_TASK)
def claim_validate_task(claim_id: int) -> str:
    if not Claim.objects.filter(pk=claim_id).exists():
        return "missing"
    return validating.claim_validate(claim_id=claim_id).validation_outcome


@shared_task(name="claims.validate_pending")
def claims_validate_pending() -> int:
    """Validate claims whose task was lost (broker down when they were filed)."""
    # Claims filed in the last minutes still have their own task on the way.
    cutoff = timezone.now() - timedelta(minutes=2)
    pending = Claim.objects.filter(
        validation_outcome=Claim.ValidationOutcome.PENDING, created_at__lte=cutoff
    ).values_list("pk", flat=True)[:500]
    for claim_id in pending:
        validating.claim_validate(claim_id=claim_id)
    return len(pending)


@shared_task(name="claims.import_agreements", soft_time_limit=900, time_limit=960)
def agreement_import_task(import_id: int) -> str:
    if not AgreementImport.objects.filter(pk=import_id).exists():
        return "missing"
    return ledger_import.agreement_import_run(import_id=import_id).status


@shared_task(name="claims.free_final_rejections")
def claims_free_final_rejections_task() -> int:
    """Free the numbers of rejections whose dispute window closed unused."""
    return corrections.claims_free_final_rejections()
