"""Every write about users and reseller companies."""

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cashback.models import SecurityEvent
from cashback.outbox import outbox_email_enqueue
from cashback.security_log import security_event_record

from .domain_policy import email_domain
from .errors import ResellerError
from .identifiers import company_name_key, org_number_validate
from .importers import memberships_waiting_apply
from .models import (
    CompanyAdminEnd,
    PendingMembership,
    Reseller,
    ResellerDomain,
    ResellerEvent,
    User,
)
from .selectors import (
    Registration,
    recipients_by_language,
    registration_plan,
    reseller_has_claims,
)
from .signals import company_admin_added, company_admin_ended

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


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's language for pages and e-mails; unknown codes are ignored."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        return
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])


def reseller_register_user(
    *,
    user: User,
    legal_name: str,
    country: str,
    org_number: str,
    vat_number: str = "",
    language: str = "en",
) -> Reseller | None:
    """Attach a newly signed-up user to their company (R1).

    The first user of a company creates it and becomes its admin. A colleague
    with the same domain and organisation number is recorded as pending and
    joins once their address is verified. The same domain with another
    organisation number creates a company held for a program manager, never a
    silent twin. Returns the company the user now belongs to, if any.
    """
    domain = email_domain(user.email)
    with transaction.atomic():
        plan = registration_plan(
            email=user.email, country=country, org_number=org_number
        )
        if plan.outcome == Registration.TAKEN:
            raise ResellerError(
                org_number_taken_message(),
                field="org_number",
                code=ResellerError.Code.ORG_NUMBER_TAKEN,
            )
        if plan.outcome == Registration.JOIN:
            PendingMembership.objects.update_or_create(
                user=user, defaults={"reseller": plan.reseller}
            )
            return None
        held = plan.outcome == Registration.HELD
        try:
            with transaction.atomic():  # a concurrent first sign-up of the number
                reseller = Reseller.objects.create(
                    legal_name=legal_name.strip(),
                    normalized_name=company_name_key(legal_name),
                    country=country,
                    org_number=org_number,
                    vat_number=vat_number,
                    preferred_language=language,
                    status=Reseller.Status.HELD if held else Reseller.Status.ACTIVE,
                    review_note=(
                        f"Same e-mail domain {domain} as {plan.reseller} with a "
                        "different organisation number: check before approving."
                        if held
                        else ""
                    ),
                )
        except IntegrityError:
            raise ResellerError(
                org_number_taken_message(),
                field="org_number",
                code=ResellerError.Code.ORG_NUMBER_TAKEN,
            ) from None
        ResellerDomain.objects.create(reseller=reseller, domain=domain)
        memberships_waiting_apply(reseller=reseller)
        user.reseller = reseller
        user.is_company_admin = True
        user.member_approved_at = timezone.now()  # the first user is its admin
        user.save(update_fields=["reseller", "is_company_admin", "member_approved_at"])
        ResellerEvent.objects.create(
            reseller=reseller,
            actor=user,
            kind=ResellerEvent.Kind.REGISTERED,
            detail={"domain": domain},
        )
        if held:
            ResellerEvent.objects.create(
                reseller=reseller,
                kind=ResellerEvent.Kind.HELD,
                detail={"domain": domain, "shares_domain_with": plan.reseller.pk},
            )
        return reseller


def org_number_taken_message():
    return _(
        "A company with this organisation number is already registered with "
        "another e-mail domain. Sign up with your address on the company's "
        "registered domain, or write to support."
    )


def reseller_member_join_pending(*, user: User) -> Reseller | None:
    """A colleague's address is verified: they join the company they chose.

    Only when the verified address is still on one of the company's domains;
    otherwise the pending join is dropped. Before any address is verified it
    waits, to be decided when one is.
    """
    with transaction.atomic():
        pending = (
            PendingMembership.objects.select_for_update()
            .select_related("reseller")
            .filter(user=user)
            .first()
        )
        if pending is None:
            return None
        reseller = pending.reseller
        verified_domains = {
            email_domain(address)
            for address in EmailAddress.objects.filter(
                user=user, verified=True
            ).values_list("email", flat=True)
        }
        if not verified_domains:
            # Not checked yet (a Microsoft sign-up whose address Entra did not
            # verify): the join waits for the portal's confirmation (issue 28).
            return None
        pending.delete()
        company_domains = set(reseller.domains.values_list("domain", flat=True))
        if user.reseller_id is not None or not verified_domains & company_domains:
            return None
        needs_approval = settings.COMPANY_MEMBERS_NEED_APPROVAL
        user.reseller = reseller
        user.is_company_admin = False
        user.member_approved_at = None if needs_approval else timezone.now()
        user.member_approved_by = None
        user.save(
            update_fields=[
                "reseller",
                "is_company_admin",
                "member_approved_at",
                "member_approved_by",
            ]
        )
        event = ResellerEvent.objects.create(
            reseller=reseller,
            actor=user,
            kind=ResellerEvent.Kind.MEMBER_JOINED,
            detail={"email": user.email, "needs_approval": needs_approval},
        )
        _member_joined_announce(
            reseller=reseller, member=user, event=event, needs_approval=needs_approval
        )
        return reseller


def _member_url(name: str, member: User) -> str:
    return settings.PORTAL_URL.rstrip("/") + reverse(
        name, kwargs={"member_id": member.pk}
    )


def _member_joined_announce(
    *, reseller: Reseller, member: User, event: ResellerEvent, needs_approval: bool
) -> None:
    """Every company admin, in their language, learns who joined by domain, with
    a link to remove them and, while approval is needed, one to approve them.
    Through the outbox: sent once this transaction commits."""
    admins = recipients_by_language(reseller_ids=[reseller.pk], admins_only=True)
    for language, emails in admins[reseller.pk].items():
        outbox_email_enqueue(
            dedup_key=f"reseller-member-joined:{event.pk}:{language}",
            recipients=emails,
            template="emails/company_member_joined",
            context={
                "company": reseller.legal_name,
                "member": member.display_name,
                "member_email": member.email,
                "needs_approval": needs_approval,
                "approve_url": _member_url("resellers:member_approve", member),
                "remove_url": _member_url("resellers:member_remove", member),
            },
            language=language,
        )


def company_admin_require(*, reseller: Reseller, actor: User) -> None:
    """Refuse (PermissionDenied) anyone but a company admin of `reseller`: the
    services below, and the pages that ask before one of them acts."""
    if not (actor.is_company_admin and actor.reseller_id == reseller.pk):
        raise PermissionDenied(_("Only a company admin can do this."))


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


def _company_admin_end(
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
            _company_admin_end(
                reseller=reseller,
                member=locked,
                actor=actor,
                how=CompanyAdminEnd.How.REMOVED,
                ip=ip,
            )


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


def _company_admin_granted(
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


def _company_admin_grant(
    *, reseller: Reseller, member: User, actor: User, ip: str | None, detail: dict
) -> ResellerEvent:
    """Make `member` (locked) an admin of `reseller`, which approves them too;
    the company's event, then `_company_admin_granted`."""
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
    _company_admin_granted(reseller_id=reseller.pk, member=member, actor=actor, ip=ip)
    return event


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
        event = _company_admin_grant(
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


# What program managers change in admin -------------------------------------------


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
            _company_admin_end(
                reseller=Reseller.objects.get(pk=previous),
                member=locked,
                actor=actor,
                how=ends,
                ip=ip,
            )
        if promoted:
            _company_admin_granted(
                reseller_id=reseller_id, member=locked, actor=actor, ip=ip
            )
        return locked


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
        event = _company_admin_grant(
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
