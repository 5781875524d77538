"""Reads about reseller companies, always scoped to the asking reseller."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db.models import (
    Aggregate,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404

from .domain_policy import email_domain
from .models import (
    CompanyAdminEnd,
    Reseller,
    User,
    approved_member_q,
    language_for,
)


def reseller_members(*, reseller: Reseller) -> QuerySet[User]:
    """The company's members, admins first; one query whatever their number.

    Each carries `signs_in_with_microsoft` (a linked Entra ID identity, R23).
    """
    return (
        User.objects.filter(reseller=reseller, is_active=True)
        .annotate(
            signs_in_with_microsoft=Exists(
                SocialAccount.objects.filter(
                    user=OuterRef("pk"),
                    provider="microsoft",  # microsoft.PROVIDER_ID
                )
            )
        )
        .order_by("-is_company_admin", "last_name", "first_name", "email")
    )


def members_waiting_for_approval(*, reseller: Reseller) -> QuerySet[User]:
    """The company's active members no company admin has approved yet (R20),
    oldest first: what the admins' overview asks them to look at."""
    return (
        User.objects.filter(reseller=reseller, is_active=True)
        .exclude(approved_member_q())
        .order_by("date_joined", "pk")
    )


def recipients_by_language(
    *,
    reseller_ids: Iterable[int],
    admins_only: bool = False,
    also_user_ids: Iterable[int] = (),
) -> dict[int, dict[str, list[str]]]:
    """{company id: {language: [e-mail, ...]}} of the companies' active users
    who may see all of their company (or only their admins), each in the
    language of `language_for`. A member no company admin has approved yet
    (R20) is left out, unless named in `also_user_ids` (who filed the claim
    an e-mail is about).

    One query of plain values whatever the number of companies; a company with
    no such user maps to an empty dict.
    """
    groups: dict[int, dict[str, list[str]]] = defaultdict(dict)
    users = User.objects.filter(reseller_id__in=set(reseller_ids), is_active=True)
    if admins_only:
        users = users.filter(is_company_admin=True)
    else:
        users = users.filter(approved_member_q() | Q(pk__in=set(also_user_ids)))
    for reseller_id, own, company, email in users.order_by("pk").values_list(
        "reseller_id", "preferred_language", "reseller__preferred_language", "email"
    ):
        groups[reseller_id].setdefault(language_for(own, company), []).append(email)
    return groups


def bank_notice_recipients_by_language(
    *, reseller_id: int, now: datetime
) -> dict[str, list[str]]:
    """{language: [e-mail, ...]} of who is told where the company's money
    goes: its active admins and whoever stopped being its admin in the last
    FORMER_ADMIN_NOTICE_DAYS days (issue 27), each once, in their language
    (a former admin's company language is this company's). One query."""
    since = now - timedelta(days=settings.FORMER_ADMIN_NOTICE_DAYS)
    former = CompanyAdminEnd.objects.filter(
        reseller_id=reseller_id, ended_at__gte=since
    ).values("user_id")
    company_language = Reseller.objects.filter(pk=reseller_id).values(
        "preferred_language"
    )[:1]
    users = (
        User.objects.filter(is_active=True)
        .filter(Q(reseller_id=reseller_id, is_company_admin=True) | Q(pk__in=former))
        .annotate(company_language=Subquery(company_language))
        .order_by("pk")
        .values_list("preferred_language", "company_language", "email")
    )
    groups: dict[str, list[str]] = {}
    for own, company, email in users:
        groups.setdefault(language_for(own, company), []).append(email)
    return groups


def reseller_admin_count(*, reseller_id: int, user_id: int | None = None) -> int:
    """How many active admins the company has (who may give bank details);
    with `user_id`, whether that user is one of them (0 or 1)."""
    admins = User.objects.filter(
        reseller_id=reseller_id, is_active=True, is_company_admin=True
    )
    if user_id is not None:
        admins = admins.filter(pk=user_id)
    return admins.count()


def _company_admins(reseller) -> QuerySet[User]:
    """The active admins of `reseller` (a company, or an `OuterRef` to one)."""
    return User.objects.filter(reseller=reseller, is_active=True, is_company_admin=True)


ADMIN_ORDER = ("last_name", "first_name", "email")


def reseller_admin_names(*, reseller: Reseller) -> list[str]:
    """Who may give the company's bank details and approve members: its
    active admins' names."""
    return [
        user.display_name for user in _company_admins(reseller).order_by(*ADMIN_ORDER)
    ]


# Between an admin's fields, and between admins, in `company_admins_joined`:
# control characters no name or address holds.
_FIELD, _ADMIN = "\x1f", "\x1e"


class _JoinedText(Aggregate):
    """The group's texts joined by `_ADMIN` (PostgreSQL `STRING_AGG`, SQLite
    `GROUP_CONCAT`); their order is not kept, `company_admin_names` sorts."""

    function = "STRING_AGG"
    template = f"%(function)s(%(expressions)s, '{_ADMIN}')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, function="GROUP_CONCAT", **extra_context
        )


def company_admins_joined() -> Case:
    """For the user loaded with each request (`PortalAuthenticationBackend`):
    the admins of the user's company in one text column when the user is a
    member no company admin has approved yet (R20), whose pages name them;
    NULL, and not computed, for anyone else. `company_admin_names` reads it.
    """
    admins = (
        _company_admins(OuterRef("reseller_id"))
        .order_by()
        .values("reseller_id")
        .annotate(
            joined=_JoinedText(
                Concat(
                    "last_name",
                    Value(_FIELD),
                    "first_name",
                    Value(_FIELD),
                    "email",
                    output_field=TextField(),
                )
            )
        )
        .values("joined")
    )
    return Case(
        When(approved_member_q(), then=Value(None)),
        default=Subquery(admins),
        output_field=TextField(),
    )


def company_admin_names(user: User) -> list[str]:
    """The names of the active admins of `user`'s company, as
    `reseller_admin_names` gives them, from the user's request load when it
    carried them (`company_admins_joined`), else read now."""
    joined = getattr(user, "company_admins_joined", None)
    if joined is None:
        return reseller_admin_names(reseller=user.reseller)
    admins = sorted(tuple(admin.split(_FIELD)) for admin in joined.split(_ADMIN))
    return [
        User(last_name=last, first_name=first, email=email).display_name
        for last, first, email in admins
    ]


def reseller_member_get(*, reseller: Reseller, member_id: int) -> User:
    """One member of this company; another company's user is a 404."""
    return get_object_or_404(User, pk=member_id, reseller=reseller)


def reseller_has_claims(*, reseller: Reseller) -> bool:
    """Whether the company has filed a claim (its legal name is then fixed)."""
    return reseller.claims.exists()


class Registration(StrEnum):
    """What signing up with an address and organisation number leads to."""

    NEW_COMPANY = "new"  # first user: creates the company and becomes its admin
    JOIN = "join"  # same domain and number: joins once the address is verified
    HELD = "held"  # a known domain with another number: held for a manager
    TAKEN = "taken"  # the number is registered with other domains: refused


@dataclass(frozen=True)
class RegistrationPlan:
    outcome: Registration
    reseller: Reseller | None = None  # the existing company it relates to


def registration_plan(*, email: str, country: str, org_number: str) -> RegistrationPlan:
    """Decide how a sign-up relates to the companies already registered.

    `org_number` is the normalised number. Reads only; the service acts on it.
    """
    domain = email_domain(email)
    existing = (
        Reseller.objects.filter(country=country, org_number=org_number)
        .prefetch_related("domains")
        .first()
    )
    if existing is not None:
        if domain in {d.domain for d in existing.domains.all()}:
            return RegistrationPlan(Registration.JOIN, existing)
        return RegistrationPlan(Registration.TAKEN, existing)
    on_domain = Reseller.objects.filter(domains__domain=domain).first()
    if on_domain is not None:
        return RegistrationPlan(Registration.HELD, on_domain)
    return RegistrationPlan(Registration.NEW_COMPANY)
