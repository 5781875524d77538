"""'Close my account' (GDPR Art. 17 with 17(3)(b)): the person can no longer
sign in, and their name, addresses and sign-in history are replaced by a
stable pseudonym wherever the register says the row is not an accounting
record; claims, payouts, invoice copies and the company's bank details stay
whole with the company and point at the pseudonym."""

import hashlib
import hmac
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cashback.errors import PortalError
from cashback.models import SecurityEvent
from cashback.security_log import security_event_record
from resellers.models import User
from resellers.selectors import reseller_admin_names

from .collect import entry_rows, person_addresses
from .models import AccountClosure, DataExport
from .register import REGISTER, Erasure, PersonalData

PSEUDONYM_DOMAIN = "erased.invalid"


class PrivacyError(PortalError):
    """A refused closure (codes: `last_admin`, `closed`)."""


def user_pseudonym(user) -> str:
    """The person's stable pseudonym: a keyed hash of the account's id, the
    same wherever it replaces them and on every run."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"user:{user.pk}".encode(), hashlib.sha256
    ).hexdigest()
    return f"person-{digest[:12]}"


def account_close_refusal(*, user) -> PrivacyError | None:
    """Why `user` cannot close their account now, or None.

    The last company admin of a company with open claims or payouts stays
    until another admin exists: someone must be able to give bank details and
    answer for the company (R20)."""
    if AccountClosure.objects.filter(user=user).exists():
        return PrivacyError(_("This account is already closed."), code="closed")
    reseller = user.reseller if user.reseller_id else None
    if reseller is None or not user.is_company_admin:
        return None
    if len(reseller_admin_names(reseller=reseller)) > 1:
        return None
    if reseller.claims.undecided().exists() or reseller.payouts.open().exists():
        return PrivacyError(
            _(
                "You are the only company admin and the company has claims or "
                "payouts still open. Make a colleague company admin on the "
                "company page first, then close your account."
            ),
            code="last_admin",
        )
    return None


def _replace(value: Any, patterns: list[tuple[re.Pattern, str]]) -> Any:
    if isinstance(value, str):
        for pattern, replacement in patterns:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_replace(item, patterns) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, patterns) for key, item in value.items()}
    return value


def _text_fields(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    text = (models.CharField, models.TextField, models.JSONField)
    fields = []
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a column name such as `claim_id`
            continue
        if isinstance(field, text) and not field.choices:
            fields.append(name)
    return fields


def _entry_erase(
    entry: PersonalData,
    rows,
    *,
    pseudonym: str,
    patterns: list[tuple[re.Pattern, str]],
) -> int:
    """Apply the register's erasure to one kind's rows; the number touched."""
    if entry.erasure == Erasure.KEEP:
        return 0
    if entry.erasure == Erasure.DELETE:
        rows = list(rows)
        for row in rows:
            if isinstance(row, DataExport) and row.file:
                row.file.delete(save=False)
            # Rows, not the queryset: a session list and the annotated
            # querysets delete alike.
            type(row)._default_manager.filter(pk=row.pk).delete()
        return len(rows)
    model = entry.model_class
    if entry.erasure == Erasure.IDENTITY:
        fields = _text_fields(model, entry.fields)
        values = {
            field: f"{pseudonym}@{PSEUDONYM_DOMAIN}" if field == "email" else ""
            for field in fields
        }
        return model._default_manager.filter(pk__in=[row.pk for row in rows]).update(
            **values
        )
    fields = _text_fields(model, entry.fields + entry.mentions + entry.erase_mentions)
    touched = 0
    for row in rows:
        changes = {field: _replace(getattr(row, field), patterns) for field in fields}
        changes.update({field: None for field in entry.clear})
        # A set-based update: the security log's rows refuse save() (they
        # are append-only); erasure is the one writer allowed to rewrite them.
        touched += model._default_manager.filter(pk=row.pk).update(**changes)
    return touched


def account_close(
    *,
    user: User,
    actor: User,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AccountClosure:
    """Close `user`'s account and replace them by their pseudonym.

    By the person themselves (`actor` is `user`) or by staff with the
    `privacy.close_account` permission on a written request (`reason`).
    One transaction: the account row is locked first, so two closures (or a
    closure and a colleague made admin) have one outcome."""
    by_staff = actor.pk != user.pk
    if by_staff and not actor.has_perm("privacy.close_account"):
        raise PrivacyError(
            _("You do not have permission to close accounts."), code="forbidden"
        )
    if by_staff and not reason.strip():
        raise PrivacyError(
            _("Write why the account is closed: the person's written request."),
            code="reason_required",
            field="reason",
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        refusal = account_close_refusal(user=user)
        if refusal is not None:
            raise refusal
        pseudonym = user_pseudonym(user)
        pseudo_email = f"{pseudonym}@{PSEUDONYM_DOMAIN}"
        addresses = person_addresses(user)
        name = user.get_full_name().strip()
        needles = addresses + ([name] if name else [])
        patterns = [
            (re.compile(re.escape(address), re.IGNORECASE), pseudo_email)
            for address in addresses
        ]
        if name:
            patterns.append((re.compile(re.escape(name), re.IGNORECASE), pseudonym))
        user.is_active = False
        user.is_company_admin = False
        user.set_unusable_password()
        # Saved first: its history row is among those rewritten below.
        user.save(update_fields=["is_active", "is_company_admin", "password"])
        found = {
            entry.kind: list(entry_rows(entry, user, needles=needles, for_erasure=True))
            for entry in REGISTER
        }
        for entry in REGISTER:
            _entry_erase(
                entry, found[entry.kind], pseudonym=pseudonym, patterns=patterns
            )
        closure = AccountClosure.objects.create(
            user=user,
            pseudonym=pseudonym,
            closed_by=actor if by_staff else None,
            reason=reason.strip(),
        )
        security_event_record(
            kind=SecurityEvent.Kind.ACCOUNT_CLOSED,
            request=request,
            user=actor if by_staff else user,
            email=actor.email if by_staff else pseudo_email,
            account=pseudonym,
            by_staff=by_staff,
        )
        return closure
