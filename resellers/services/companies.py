"""A company's own record: its details, changed by its admin, and what a
program manager changes in admin (approval, status, organisation number,
legal name)."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cashback.outbox import outbox_email_enqueue

from ..errors import ResellerError
from ..identifiers import company_name_key, org_number_validate
from ..importers import memberships_waiting_apply
from ..models import Reseller, ResellerEvent, User
from ..selectors import recipients_by_language, reseller_has_claims
from .company_admins import company_admin_require

# What a company admin may change on /company/ (the numbers are fixed once set).
PROFILE_FIELDS = (
    "legal_name",
    "street_address",
    "postal_code",
    "city",
    "region",
    "preferred_currency",
    "preferred_language",
)


def org_number_taken_message():
    return _(
        "A company with this organisation number is already registered with "
        "another e-mail domain. Sign up with your address on the company's "
        "registered domain, or write to support."
    )


def reseller_profile_update(
    *, reseller: Reseller, actor: User, changes: dict[str, Any]
) -> Reseller:
    """Change the company's details; only its admin may.

    The legal name is fixed once the company has filed a claim: a program
    manager changes it then, because claims and payouts were made in that name.
    """
    company_admin_require(reseller=reseller, actor=actor)
    with transaction.atomic():
        locked = Reseller.objects.select_for_update().get(pk=reseller.pk)
        changed = {
            field: value
            for field, value in changes.items()
            if field in PROFILE_FIELDS and getattr(locked, field) != value
        }
        if "legal_name" in changed and reseller_has_claims(reseller=locked):
            raise ResellerError(
                _(
                    "Your company has filed claims, so its legal name can only "
                    "be changed by the program team. Write to support."
                ),
                field="legal_name",
                code=ResellerError.Code.LEGAL_NAME_LOCKED,
            )
        if not changed:
            return locked
        for field, value in changed.items():
            setattr(locked, field, value)
        update_fields = list(changed)
        if "legal_name" in changed:
            locked.normalized_name = company_name_key(locked.legal_name)
            update_fields.append("normalized_name")
        locked.save(update_fields=update_fields)
        ResellerEvent.objects.create(
            reseller=locked,
            actor=actor,
            kind=ResellerEvent.Kind.PROFILE_CHANGED,
            detail={"fields": sorted(changed)},
        )
        return locked


def reseller_approve(*, reseller: Reseller, actor: User) -> bool:
    """A program manager lets a held company in; its admins are told by e-mail.

    Returns whether this call approved it (an active company is left as is).
    """
    with transaction.atomic():
        locked = Reseller.objects.select_for_update().get(pk=reseller.pk)
        if locked.status != Reseller.Status.HELD:
            return False
        locked.status = Reseller.Status.ACTIVE
        locked.save(update_fields=["status"])
        ResellerEvent.objects.create(
            reseller=locked, actor=actor, kind=ResellerEvent.Kind.APPROVED
        )
        for admin in User.objects.filter(reseller=locked, is_company_admin=True):
            outbox_email_enqueue(
                dedup_key=f"reseller-approved:{locked.pk}:{admin.pk}",
                recipients=[admin.email],
                template="emails/reseller_approved",
                context={"reseller": locked, "user": admin},
                language=admin.language,
            )
        return True


def reseller_status_set(*, reseller: Reseller, actor: User, status: str) -> bool:
    """A program manager suspends, reactivates or holds a company.

    Returns whether the status changed. A held company is let in with
    `reseller_approve`, which also tells its admins.
    """
    if status not in Reseller.Status.values:
        raise ResellerError(
            _("Choose a status."),
            field="status",
            code=ResellerError.Code.INVALID_STATUS,
        )
    with transaction.atomic():
        locked = Reseller.objects.select_for_update().get(pk=reseller.pk)
        if locked.status == status:
            return False
        previous, locked.status = locked.status, status
        locked.save(update_fields=["status"])
        ResellerEvent.objects.create(
            reseller=locked,
            actor=actor,
            kind=ResellerEvent.Kind.STATUS_CHANGED,
            detail={"from": previous, "to": status},
        )
        return True


def reseller_org_number_change(
    *, reseller: Reseller, actor: User, org_number: str
) -> Reseller:
    """A program manager corrects the organisation number, validated for the
    company's country and unique there."""
    with transaction.atomic():
        locked = Reseller.objects.select_for_update().get(pk=reseller.pk)
        try:
            number = org_number_validate(country=locked.country.code, value=org_number)
        except ValidationError as error:
            raise ResellerError(
                {
                    "org_number": [
                        ValidationError(
                            message, code=ResellerError.Code.INVALID_ORG_NUMBER
                        )
                        for message in error.messages
                    ]
                }
            ) from None
        if number == locked.org_number:
            return locked
        taken = (
            Reseller.objects.filter(country=locked.country, org_number=number)
            .exclude(pk=locked.pk)
            .exists()
        )
        if taken:
            raise ResellerError(
                org_number_taken_message(),
                field="org_number",
                code=ResellerError.Code.ORG_NUMBER_TAKEN,
            )
        previous, locked.org_number = locked.org_number, number
        locked.save(update_fields=["org_number"])
        memberships_waiting_apply(reseller=locked)
        ResellerEvent.objects.create(
            reseller=locked,
            actor=actor,
            kind=ResellerEvent.Kind.ORG_NUMBER_CHANGED,
            detail={"from": previous, "to": number},
        )
        return locked


def reseller_legal_name_change(
    *, reseller: Reseller, actor: User, legal_name: str
) -> Reseller:
    """A program manager changes the legal name (after claims it is theirs to do).

    The normalised name is recomputed, so beneficiary and ledger checks compare
    with the new name at once, and every company admin is asked by e-mail to
    confirm or resubmit the bank details, which were in the old name (R20).
    """
    legal_name = " ".join((legal_name or "").split())
    if not legal_name:
        raise ResellerError(
            _("Enter the company's legal name."),
            field="legal_name",
            code=ResellerError.Code.REQUIRED,
        )
    with transaction.atomic():
        locked = Reseller.objects.select_for_update().get(pk=reseller.pk)
        if legal_name == locked.legal_name:
            return locked
        previous = locked.legal_name
        locked.legal_name = legal_name
        locked.normalized_name = company_name_key(legal_name)
        locked.save(update_fields=["legal_name", "normalized_name"])
        event = ResellerEvent.objects.create(
            reseller=locked,
            actor=actor,
            kind=ResellerEvent.Kind.LEGAL_NAME_CHANGED,
            detail={"from": previous, "to": legal_name},
        )
        admins = recipients_by_language(reseller_ids=[locked.pk], admins_only=True)
        for language, emails in admins[locked.pk].items():
            outbox_email_enqueue(
                dedup_key=f"reseller-legal-name:{event.pk}:{language}",
                recipients=emails,
                template="emails/legal_name_changed",
                context={
                    "reseller": locked,
                    "previous_name": previous,
                    "url": settings.PORTAL_URL.rstrip("/") + reverse("payouts:list"),
                },
                language=language,
            )
        return locked
