"""Finding a person's rows, kind by kind, as the register describes them: the
one reading the export and the erasure share."""

from django.contrib.sessions.models import Session
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .register import PersonalData


def person_addresses(user) -> list[str]:
    """Every e-mail address the person has used with the portal, lower case:
    the account's and each allauth address (old ones included)."""
    from allauth.account.models import EmailAddress

    addresses = {user.email.lower()} if user.email else set()
    addresses |= {
        email.lower()
        for email in EmailAddress.objects.filter(user=user).values_list(
            "email", flat=True
        )
    }
    return sorted(addresses)


def _mention_q(queryset: QuerySet, fields: tuple[str, ...], needles: list[str]):
    """Annotate `queryset` with each field as text and return it with the Q
    that finds any needle in any of them (case-insensitive)."""
    query = Q()
    for field in fields:
        alias = f"privacy_text_{field}"
        queryset = queryset.annotate(**{alias: Cast(field, TextField())})
        for needle in needles:
            query |= Q(**{f"{alias}__icontains": needle})
    return queryset, query


def entry_rows(
    entry: PersonalData,
    user,
    *,
    needles: list[str] | None = None,
    for_erasure: bool = False,
) -> QuerySet | list:
    """The rows of `entry` about `user`: by reference to the account, or naming
    one of their addresses in the entry's mention fields (and, for erasure, in
    the further fields that may name them)."""
    if entry.model == "sessions.Session":
        return user_sessions(user)
    manager = entry.model_class._default_manager
    queryset = manager.all()
    query = entry.person(user) if entry.person else Q()
    fields = entry.mentions + (entry.erase_mentions if for_erasure else ())
    if needles is None:
        needles = person_addresses(user)
    if fields and needles:
        queryset, mention = _mention_q(queryset, fields, needles)
        query = query | mention if query else mention
    if not query:
        return manager.none()
    return queryset.filter(query).order_by("pk")


def user_sessions(user) -> list[Session]:
    """The person's open sessions (database sessions carry the user's id only
    inside their signed data, so the open ones are read one by one)."""
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        # An unreadable session decodes to {} and is nobody's.
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == str(user.pk):
            found.append(session)
    return found
