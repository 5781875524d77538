"""Who is a company's admin (issue 27): the check before an admin's action,
the last admin kept, an admin's end and its restoring, granting admin
rights, and the vendor appointing one."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cashback.models import SecurityEvent
from cashback.outbox import outbox_email_enqueue
from cashback.security_log import security_event_record

from ..errors import ResellerError
from ..models import CompanyAdminEnd, Reseller, ResellerEvent, User
from ..signals import company_admin_added, company_admin_ended


def company_admin_require(*, reseller: Reseller, actor: User) -> None:
    """Refuse (PermissionDenied) anyone but a company admin of `reseller`: the
    services below, and the pages that ask before one of them acts."""
    if not (actor.is_company_admin and actor.reseller_id == reseller.pk):
        raise PermissionDenied(_("Only a company admin can do this."))


def company_admins_lock(*, reseller_id: int) -> list[User]:
    """Lock the company's active admins (in id order, so two removals wait for
    each other instead of each leaving the other as the last one)."""
    return list(
        User.objects.select_for_update()
        .filter(reseller_id=reseller_id, is_active=True, is_company_admin=True)
        .order_by("pk")
    )


def company_admin_last_check(*, reseller_id: int, member: User) -> None:
    """A company always keeps an admin (issue 27): refuse to remove, demote or
    move away its last one. Call inside the transaction; it locks the admins."""
    admins = company_admins_lock(reseller_id=reseller_id)
    if member.pk in {admin.pk for admin in admins} and len(admins) == 1:
        raise ResellerError(
            _(
                "%(name)s is the company's only admin, and a company always "
                "needs one to give its bank details: make a colleague admin "
                "first."
            )
            % {"name": member.display_name},
            code=ResellerError.Code.LAST_ADMIN,
        )


_END_KINDS = {
    CompanyAdminEnd.How.REMOVED: (
        ResellerEvent.Kind.ADMIN_REMOVED,
        SecurityEvent.Kind.COMPANY_ADMIN_REMOVED,
    ),
    CompanyAdminEnd.How.DEMOTED: (
        ResellerEvent.Kind.ADMIN_DEMOTED,
        SecurityEvent.Kind.COMPANY_ADMIN_DEMOTED,
    ),
}


def company_admin_end_record(
    *, reseller: Reseller, member: User, actor: User, how: str, ip: str | None
) -> CompanyAdminEnd:
    """Record that `member` stopped being an admin of `reseller`: the end row
    (who may still be told of bank details for a while), the company's event,
    the security log, and the signal on which payouts restarts the account's
    cooling-off and tells every admin, the former one included."""
    end = CompanyAdminEnd.objects.create(
        reseller=reseller, user=member, how=how, ended_by=actor
    )
    event_kind, security_kind = _END_KINDS[how]
    ResellerEvent.objects.create(
        reseller=reseller,
        actor=actor,
        kind=event_kind,
        detail={"email": member.email},
    )
    security_event_record(
        kind=security_kind,
        user=actor,
        ip_address=ip,
        target=member.email,
        company=reseller.pk,
    )
    company_admin_ended.send(sender=CompanyAdminEnd, end=end, actor=actor)
    return end


def company_admin_restore(*, end: CompanyAdminEnd, ip: str | None = None) -> bool:
    """The removed or demoted admin used the "this was not us" link: they are
    the company's admin again (issue 27). Not when they have since joined
    another company or were closed, nor twice. Returns whether it restored."""
    with transaction.atomic():
        locked_end = (
            CompanyAdminEnd.objects.select_for_update()
            .select_related("reseller")
            .get(pk=end.pk)
        )
        member = User.objects.select_for_update().get(pk=locked_end.user_id)
        reseller = locked_end.reseller
        if (
            locked_end.restored_at is not None
            or not member.is_active
            or member.reseller_id not in (None, reseller.pk)
        ):
            return False
        now = timezone.now()
        member.reseller = reseller
        member.is_company_admin = True
        update_fields = ["reseller", "is_company_admin"]
        if member.member_approved_at is None:
            member.member_approved_at = now
            member.member_approved_by = None
            update_fields += ["member_approved_at", "member_approved_by"]
        member.save(update_fields=update_fields)
        locked_end.restored_at = now
        locked_end.save(update_fields=["restored_at"])
        ResellerEvent.objects.create(
            reseller=reseller,
            actor=member,
            kind=ResellerEvent.Kind.ADMIN_RESTORED,
            detail={"email": member.email},
        )
        security_event_record(
            kind=SecurityEvent.Kind.COMPANY_ADMIN_RESTORED,
            user=member,
            ip_address=ip,
            target=member.email,
            company=reseller.pk,
        )
        company_admin_added.send(sender=User, reseller_id=reseller.pk, user=member)
        return True


def company_admin_granted_record(
    *, reseller_id: int, member: User, actor: User, ip: str | None
) -> None:
    """`member` became an admin of the company: the security log, and the
    signal on which payouts sends the notices the company was owed."""
    security_event_record(
        kind=SecurityEvent.Kind.COMPANY_ADMIN_ADDED,
        user=actor,
        ip_address=ip,
        target=member.email,
        company=reseller_id,
    )
    company_admin_added.send(sender=User, reseller_id=reseller_id, user=member)


def company_admin_grant(
    *, reseller: Reseller, member: User, actor: User, ip: str | None, detail: dict
) -> ResellerEvent:
    """Make `member` (locked) an admin of `reseller`, which approves them too;
    the company's event, then `company_admin_granted_record`."""
    member.is_company_admin = True
    update_fields = ["is_company_admin"]
    if member.member_approved_at is None:  # making admin approves too
        member.member_approved_at = timezone.now()
        member.member_approved_by = actor
        update_fields += ["member_approved_at", "member_approved_by"]
    member.save(update_fields=update_fields)
    event = ResellerEvent.objects.create(
        reseller=reseller,
        actor=actor,
        kind=ResellerEvent.Kind.ADMIN_ADDED,
        detail=detail,
    )
    company_admin_granted_record(
        reseller_id=reseller.pk, member=member, actor=actor, ip=ip
    )
    return event


def company_admin_appoint(*, user: User, actor: User, ip: str | None = None) -> User:
    """The vendor makes a verified user of a company its admin, for a company
    where nobody may give bank details (issue 27): an event, the security log,
    the user told by e-mail, and the bank-details notices the company was
    owed go out (their clock starts). Appointing an admin changes nothing."""
    with transaction.atomic():
        locked = (
            User.objects.select_for_update(of=("self",))
            .select_related("reseller")
            .get(pk=user.pk)
        )
        if locked.reseller_id is None or not locked.is_active:
            raise ResellerError(
                _(
                    "%(email)s belongs to no company: only a company's user "
                    "can be its admin."
                )
                % {"email": locked.email},
                code=ResellerError.Code.NO_COMPANY,
            )
        if not EmailAddress.objects.filter(
            user=locked, email__iexact=locked.email, verified=True
        ).exists():
            raise ResellerError(
                _(
                    "%(email)s is not verified yet: only a verified user can "
                    "be a company admin."
                )
                % {"email": locked.email},
                code=ResellerError.Code.NOT_VERIFIED,
            )
        if locked.is_company_admin:
            return locked
        reseller = locked.reseller
        event = company_admin_grant(
            reseller=reseller,
            member=locked,
            actor=actor,
            ip=ip,
            detail={"email": locked.email, "by": "program"},
        )
        outbox_email_enqueue(
            dedup_key=f"reseller-admin-appointed:{event.pk}",
            recipients=[locked.email],
            template="emails/company_admin_appointed",
            context={
                "company": reseller.legal_name,
                "member": locked.display_name,
                "program_name": settings.PROGRAM_NAME,
                "support_email": settings.SUPPORT_EMAIL,
                "url": settings.PORTAL_URL.rstrip("/") + reverse("payouts:list"),
            },
            language=locked.language,
        )
        return locked
