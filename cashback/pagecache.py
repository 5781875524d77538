"""A per-company cache of the reseller pages' expensive parts.

What the overview, the offer list, the claim list and a claim's page show is
the same for every user of a company until something of the company's (a
claim, a payout, its bank details, its memberships) or of the program (an
offer, its terms) changes; computing it costs counts over thousands of claims
and most of the page's time. The templates keep those parts with Django's
`{% cache %}` tag under a key built by `page_version`: the company, its
version, the program's version and the program's day. Writes bump a version
once their transaction commits, so the next view renders afresh and the old
fragments expire unread (PAGE_CACHE_SECONDS also bounds what depends on the
clock, such as "2 days left").

Single-row writes bump through model signals (`connect`, from
CashbackConfig.ready). QuerySet.update and bulk_update send no signals: claims
and payouts use `CompanyRowsQuerySet`, which bumps the companies whose rows
they change, so a set-based service (the reminder sweep, scheduling, a batch)
needs nothing of its own.

A write bumps twice: at once, so that its own transaction (and a test inside
one) never reads a fragment from before it, and again after commit, because a
view that read the first new version before the write was visible may have
stored the old rows under it.
"""

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

PROGRAM_KEY = "pages:program"
RESELLER_KEY = "pages:reseller:{}"


def _token() -> str:
    return secrets.token_hex(6)


def page_version(*, reseller_id: int, today, scope: str = "") -> str:
    """The part of a fragment's key that changes whenever its content may have.

    A version missing from the cache (never set, evicted, Redis restarted) is
    set to a fresh token, never to a default a fragment may still be stored
    under. When the cache cannot be reached the token is new on every call, so
    nothing is read back. `scope` parts the company's fragments by who may
    see them (resellers.access.page_scope): empty for what every approved
    member sees alike.
    """
    version, _value = page_version_and_value(
        reseller_id=reseller_id, today=today, scope=scope
    )
    return version


def page_version_and_value(
    *, reseller_id: int, today, key: str | None = None, scope: str = ""
):
    """`page_version`, and a value stored with `versioned_set` under `key` if
    it was stored at this version: one round trip to the cache for both."""
    keys = [PROGRAM_KEY, RESELLER_KEY.format(reseller_id)]
    found = cache.get_many([*keys, key] if key else keys)
    missing = [name for name in keys if name not in found]
    if missing:
        for name in missing:
            cache.add(name, _token(), timeout=None)
        found.update(cache.get_many(missing))
    program = found.get(PROGRAM_KEY) or _token()
    company = found.get(keys[1]) or _token()
    owner = f"{reseller_id}~{scope}" if scope else str(reseller_id)
    version = f"{owner}.{company}.{program}.{today.isoformat()}"
    stored_version, value = found.get(key) or (None, None)
    return version, value if stored_version == version else None


def versioned_set(key: str, version: str, value) -> None:
    """Keep `value` for `page_version_and_value`, valid at `version` only."""
    cache.set(key, (version, value), settings.PAGE_CACHE_SECONDS)


def resellers_pages_changed(reseller_ids: Iterable[int | None]) -> None:
    """These companies' pages must be rendered afresh once this commits."""
    keys = {RESELLER_KEY.format(pk) for pk in reseller_ids if pk is not None}
    if keys:
        _bump(lambda: cache.set_many(dict.fromkeys(keys, _token()), timeout=None))


def program_pages_changed() -> None:
    """Every company's pages must be rendered afresh once this commits."""
    _bump(lambda: cache.set(PROGRAM_KEY, _token(), timeout=None))


def _bump(write) -> None:
    write()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(write)


class CompanyRowsQuerySet(models.QuerySet):
    """Rows with a `reseller` whose set-based writes also bump its pages."""

    def update(self, **kwargs):
        # Read before writing: the update may change what the filter matches.
        companies = self.order_by().values_list("reseller_id", flat=True).distinct()
        resellers_pages_changed(list(companies))
        return super().update(**kwargs)

    def update_for_resellers(self, reseller_ids: Iterable[int], **kwargs):
        """`update` when the caller already knows the rows' companies (the
        sweep read them with the rows): no query to find them."""
        resellers_pages_changed(set(reseller_ids))
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        resellers_pages_changed({obj.reseller_id for obj in objs})
        return super().bulk_update(objs, fields, batch_size=batch_size)


# Signals ---------------------------------------------------------------------


def _reseller_of(instance, path: str) -> int | None:
    """Follow `path` (e.g. "claim.reseller_id") from a saved row, using the
    related objects already loaded and one query otherwise."""
    current = instance
    *relations, last = path.split(".")
    for name in relations:
        current = getattr(current, name, None)
        if current is None:
            return None
    return getattr(current, last, None)


# model label -> how to reach the company from a row of it.
COMPANY_ROWS = {
    "claims.claim": "reseller_id",
    "claims.claimagreement": "claim.reseller_id",
    "claims.claimevent": "claim.reseller_id",
    "claims.invoicedocument": "claim.reseller_id",
    "payouts.payout": "reseller_id",
    "payouts.payoutevent": "payout.reseller_id",
    "payouts.reminder": "payout.reseller_id",
    "payouts.bankaccount": "reseller_id",
    "resellers.reseller": "pk",
    "resellers.programmembership": "reseller_id",
    # Names in timelines; a log-in saves last_login, a rare bump.
    "resellers.user": "reseller_id",
}
# Apps whose every model is part of the program all companies see.
PROGRAM_APPS = {"offers"}


def _changed(sender, instance, raw=False, **kwargs) -> None:
    label = sender._meta.label_lower
    if sender._meta.app_label in PROGRAM_APPS:
        program_pages_changed()
    elif label in COMPANY_ROWS:
        resellers_pages_changed([_reseller_of(instance, COMPANY_ROWS[label])])


def _m2m_changed(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_") and instance._meta.app_label in PROGRAM_APPS:
        program_pages_changed()


def connect() -> None:
    post_save.connect(_changed, weak=False, dispatch_uid="pagecache.saved")
    post_delete.connect(_changed, weak=False, dispatch_uid="pagecache.deleted")
    m2m_changed.connect(_m2m_changed, weak=False, dispatch_uid="pagecache.m2m")
