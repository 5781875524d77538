"""Signing up (R1): the first user creates the company, a colleague joins it
once their address is verified, every admin told who joined."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cashback.outbox import outbox_email_enqueue

from ..domain_policy import email_domain
from ..errors import ResellerError
from ..identifiers import company_name_key
from ..importers import memberships_waiting_apply
from ..models import PendingMembership, Reseller, ResellerDomain, ResellerEvent, User
from ..selectors import Registration, recipients_by_language, registration_plan
from .companies import org_number_taken_message


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
