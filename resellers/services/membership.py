"""A person's place in a company: their language, a colleague removed,
made admin or approved by a company admin, and a program manager moving
someone into or out of a company."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cashback.outbox import outbox_email_enqueue

from ..errors import ResellerError
from ..models import CompanyAdminEnd, Reseller, ResellerEvent, User
from ..selectors import recipients_by_language
from .company_admins import (
    company_admin_end_record,
    company_admin_grant,
    company_admin_granted_record,
    company_admin_last_check,
    company_admin_require,
)


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's language for pages and e-mails; unknown codes are ignored."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])


def reseller_member_remove(
    *, reseller: Reseller, actor: User, member: User, ip: str | None = None
) -> None:
    """The company admin removes a colleague (never themselves, never the
    last admin). Removing an admin is told to every admin, the removed one
    included, and restarts the account's cooling-off (issue 27)."""
    company_admin_require(reseller=reseller, actor=actor)
    if member.pk == actor.pk:
        raise ResellerError(
            _("You cannot remove yourself from the company."),
            code=ResellerError.Code.SELF_REMOVAL,
        )
    with transaction.atomic():
        company_admin_last_check(reseller_id=reseller.pk, member=member)
        locked = User.objects.select_for_update().filter(pk=member.pk).first()
        if locked is None or locked.reseller_id != reseller.pk:
            return  # already gone: removing twice changes nothing
        was_admin = locked.is_company_admin
        locked.reseller = None
        locked.is_company_admin = False
        # Joining again (by domain) asks for a company admin's approval again.
        locked.member_approved_at = None
        locked.member_approved_by = None
        locked.save(
            update_fields=[
                "reseller",
                "is_company_admin",
                "member_approved_at",
                "member_approved_by",
            ]
        )
        ResellerEvent.objects.create(
            reseller=reseller,
            actor=actor,
            kind=ResellerEvent.Kind.MEMBER_REMOVED,
            detail={"email": locked.email},
        )
        if was_admin:
            company_admin_end_record(
                reseller=reseller,
                member=locked,
                actor=actor,
                how=CompanyAdminEnd.How.REMOVED,
                ip=ip,
            )


def reseller_member_make_admin(
    *, reseller: Reseller, actor: User, member: User, ip: str | None = None
) -> User:
    """A company admin makes a colleague admin too (they may then change the
    bank details): an event, and every company admin is told by e-mail."""
    company_admin_require(reseller=reseller, actor=actor)
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=member.pk).first()
        if locked is None or locked.reseller_id != reseller.pk:
            raise PermissionDenied(_("This person is not a member of the company."))
        if locked.is_company_admin:
            return locked  # already an admin: nothing to tell
        event = company_admin_grant(
            reseller=reseller,
            member=locked,
            actor=actor,
            ip=ip,
            detail={"email": locked.email},
        )
        admins = recipients_by_language(reseller_ids=[reseller.pk], admins_only=True)
        for language, emails in admins[reseller.pk].items():
            outbox_email_enqueue(
                dedup_key=f"reseller-admin-added:{event.pk}:{language}",
                recipients=emails,
                template="emails/company_admin_added",
                context={
                    "company": reseller.legal_name,
                    "member": locked.display_name,
                    "member_email": locked.email,
                    "actor": actor.display_name,
                    "url": settings.PORTAL_URL.rstrip("/")
                    + reverse("resellers:company"),
                },
                language=language,
            )
        return locked


def reseller_member_approve(*, reseller: Reseller, actor: User, member: User) -> bool:
    """A company admin approves a colleague who joined by domain: from now on
    they see the company's bank details, every member's claims and its
    settings (R20). Returns whether this call approved them (approving twice
    changes nothing)."""
    company_admin_require(reseller=reseller, actor=actor)
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=member.pk).first()
        if locked is None or locked.reseller_id != reseller.pk:
            raise PermissionDenied(_("This person is not a member of the company."))
        if locked.is_approved_member:
            return False
        locked.member_approved_at = timezone.now()
        locked.member_approved_by = actor
        locked.save(update_fields=["member_approved_at", "member_approved_by"])
        ResellerEvent.objects.create(
            reseller=reseller,
            actor=actor,
            kind=ResellerEvent.Kind.MEMBER_APPROVED,
            detail={"email": locked.email},
        )
        return True


def user_membership_set(
    *,
    user: User,
    actor: User,
    reseller: Reseller | None,
    is_company_admin: bool,
    ip: str | None = None,
) -> User:
    """A program manager moves a user to a company (or out of one) and sets
    whether they are its admin; the companies concerned record it. Taking
    admin rights away is a removal or demotion like a company admin's (issue
    27): never the last admin, told to every admin, logged."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        reseller_id = reseller.pk if reseller else None
        is_company_admin = bool(is_company_admin and reseller_id)
        if (locked.reseller_id, locked.is_company_admin) == (
            reseller_id,
            is_company_admin,
        ):
            return locked
        previous = locked.reseller_id
        ends = None
        if locked.is_company_admin and (
            previous != reseller_id or not is_company_admin
        ):
            company_admin_last_check(reseller_id=previous, member=locked)
            ends = (
                CompanyAdminEnd.How.REMOVED
                if previous != reseller_id
                else CompanyAdminEnd.How.DEMOTED
            )
        promoted = is_company_admin and (
            previous != reseller_id or not locked.is_company_admin
        )
        update_fields = ["reseller", "is_company_admin"]
        if previous != reseller_id:
            # A program manager placing someone in a company vouches for them.
            locked.member_approved_at = timezone.now() if reseller_id else None
            locked.member_approved_by = actor if reseller_id else None
            update_fields += ["member_approved_at", "member_approved_by"]
        locked.reseller_id = reseller_id
        locked.is_company_admin = is_company_admin
        locked.save(update_fields=update_fields)
        detail = {"email": locked.email, "admin": is_company_admin}
        for company_id in {previous, reseller_id} - {None}:
            ResellerEvent.objects.create(
                reseller_id=company_id,
                actor=actor,
                kind=ResellerEvent.Kind.MEMBER_CHANGED,
                detail={**detail, "member": company_id == reseller_id},
            )
        if ends is not None:
            company_admin_end_record(
                reseller=Reseller.objects.get(pk=previous),
                member=locked,
                actor=actor,
                how=ends,
                ip=ip,
            )
        if promoted:
            company_admin_granted_record(
                reseller_id=reseller_id, member=locked, actor=actor, ip=ip
            )
        return locked
