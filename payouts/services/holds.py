"""Where the money goes (issue 15): when a bank account may be paid, and the
writes that hold or release it.

Payment-redirection fraud changes the account, not the amount. So every new
account, change and confirmation is told to every company admin with a signed
"this was not us" link; a new account is paid only after a cooling-off period
without objection or an operator's verification; an account another company
also uses waits for an operator to clear it; a frozen or bank-refused account
is never paid. `account_payment_block` is the one home of that rule: the batch
builder, the release and the payouts page all ask it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cashback.models import OutboxMessage
from cashback.outbox import outbox_email_enqueue
from cashback.reasons import words_require
from resellers.identifiers import company_name_key
from resellers.models import CompanyAdminEnd, Reseller, User
from resellers.selectors import bank_notice_recipients_by_language
from resellers.services import company_admin_restore

from ..models import OPERATORS_GROUP, BankAccount, PaymentBatch, Payout
from .errors import PayoutError
from .opening import payout_cycle_restart
from .transitions import S

OBJECTION_SALT = "payouts.bank-account-objection"
ANNOUNCE_TEMPLATE = "emails/bank_account_changed"
FROZEN_TEMPLATE = "emails/bank_account_frozen"
SHARED_TEMPLATE = "emails/bank_account_shared"
ADMIN_ENDED_TEMPLATE = "emails/company_admin_removed"
# The payload of an objection link about a removed or demoted admin.
END_PREFIX = "end-"


class Announcement:
    """Why the admins are told: the kinds of change an e-mail names."""

    NEW = "new"
    CONFIRMED = "confirmed"


def account_payment_block(account: BankAccount | None, *, now: datetime) -> str | None:
    """Why nothing may be paid to `account` now, or None when it may be paid.

    The one home of the rule: refused by the bank, frozen by the company,
    shared with another company and not cleared, beneficiary not the company's
    current legal name, or new and neither verified nor past its cooling-off
    date. `account.reseller` is read for the name check.
    """
    if account is None:
        return _("no bank account")
    masked = account.masked_account
    if account.refused_at is not None:
        return _("the bank refused account %(account)s") % {"account": masked}
    if account.frozen_at is not None:
        return _(
            "account %(account)s is frozen: the company said the change was not theirs"
        ) % {"account": masked}
    if account.shared_with_other_reseller and account.shared_cleared_at is None:
        return _(
            "account %(account)s is also used by another company: an operator "
            "must clear it"
        ) % {"account": masked}
    if company_name_key(account.beneficiary_name) != account.reseller.normalized_name:
        return _(
            "the beneficiary of account %(account)s is not the company's current "
            "legal name: confirm or resubmit the bank details"
        ) % {"account": masked}
    if (
        account.verified_at is None
        and account.admins_told_at is None
        and account.told_notice_key
    ):
        return _(
            "account %(account)s: the notice of it has not reached every "
            "company admin yet"
        ) % {"account": masked}
    if account.verified_at is None and (
        account.cooling_off_until is None or now < account.cooling_off_until
    ):
        if account.cooling_off_until is None:
            return _("new account, waiting for an operator's verification")
        return _("new account, verification until %(date)s") % {
            "date": formats.date_format(
                timezone.localtime(account.cooling_off_until), "DATETIME_FORMAT"
            )
        }
    return None


def account_payment_refuse_if_blocked(payout: Payout, *, now: datetime) -> None:
    """Raise a PayoutError naming the payout when its account may not be paid."""
    block = account_payment_block(payout.bank_account, now=now)
    if block is not None:
        raise PayoutError(
            _("The payout of %(claim)s cannot be paid yet: %(reason)s.")
            % {"claim": payout.claim.reference, "reason": block},
            code=PayoutError.Code.ACCOUNT_HELD,
        )


# The "this was not us" link -------------------------------------------------


def bank_account_objection_link(account: BankAccount) -> str:
    """An absolute, signed, expiring link that freezes the account."""
    token = signing.TimestampSigner(salt=OBJECTION_SALT).sign(str(account.pk))
    path = reverse("payouts:bank_account_objection", kwargs={"token": token})
    return settings.PORTAL_URL.rstrip("/") + path


def bank_account_objection_account_id(token: str) -> int | None:
    """The account id in an objection token, or None when forged or expired."""
    try:
        value = signing.TimestampSigner(salt=OBJECTION_SALT).unsign(
            token,
            max_age=timedelta(days=settings.BANK_ACCOUNT_OBJECTION_MAX_AGE_DAYS),
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def company_admin_objection_link(end: CompanyAdminEnd) -> str:
    """The same signed, expiring "this was not us" link, naming a removal or
    demotion: it freezes the company's accounts and restores the admin."""
    token = signing.TimestampSigner(salt=OBJECTION_SALT).sign(f"{END_PREFIX}{end.pk}")
    path = reverse("payouts:bank_account_objection", kwargs={"token": token})
    return settings.PORTAL_URL.rstrip("/") + path


def company_admin_objection_end_id(token: str) -> int | None:
    """The CompanyAdminEnd id in an objection token, or None."""
    try:
        value = signing.TimestampSigner(salt=OBJECTION_SALT).unsign(
            token,
            max_age=timedelta(days=settings.BANK_ACCOUNT_OBJECTION_MAX_AGE_DAYS),
        )
    except signing.BadSignature:
        return None
    number = value.removeprefix(END_PREFIX)
    return int(number) if value.startswith(END_PREFIX) and number.isdigit() else None


def cooling_off_estimate(now: datetime) -> datetime:
    """When the cooling-off of a notice queued at `now` ends if it goes out at
    once: what the e-mails state (the real end counts from delivery)."""
    return now + timedelta(days=settings.BANK_ACCOUNT_COOLING_OFF_DAYS)


def bank_account_announce(
    *, account: BankAccount, actor: User, kind: str, now: datetime
) -> str:
    """E-mail every company admin, and whoever was one in the last
    FORMER_ADMIN_NOTICE_DAYS days, each in their language, that `actor` added
    or confirmed `account` at `now` (through the outbox, after commit).
    Returns the dedup-key prefix of the notice's messages."""
    recipients = bank_notice_recipients_by_language(
        reseller_id=account.reseller_id, now=now
    )
    context = {
        "company": account.reseller.legal_name,
        "masked_account": account.masked_account,
        "beneficiary_name": account.beneficiary_name,
        "actor": actor.display_name,
        "actor_email": actor.email,
        "at": now,
        "is_new": kind == Announcement.NEW,
        "cooling_off_until": account.cooling_off_until or cooling_off_estimate(now),
        "objection_link": bank_account_objection_link(account),
        "program_name": settings.PROGRAM_NAME,
        "support_email": settings.SUPPORT_EMAIL,
    }
    prefix = f"bank-account:{account.pk}:{kind}:{int(now.timestamp())}:"
    for language, emails in recipients.items():
        outbox_email_enqueue(
            dedup_key=f"{prefix}{language}",
            recipients=emails,
            template=ANNOUNCE_TEMPLATE,
            context=context,
            language=language,
        )
    return prefix


def bank_account_shared_announce(
    *, account: BankAccount, owner_ids: list[int], now: datetime
) -> None:
    """Tell each company that had `account`'s number first (its admins and
    recent former admins, in their language) that another company entered
    it: their own payouts are not held, an operator decides (issue 27). The
    other company is not named: its data is its own."""
    owners = dict(
        Reseller.objects.filter(pk__in=owner_ids).values_list("pk", "legal_name")
    )
    for owner_id, legal_name in sorted(owners.items()):
        recipients = bank_notice_recipients_by_language(reseller_id=owner_id, now=now)
        for language, emails in recipients.items():
            outbox_email_enqueue(
                dedup_key=f"bank-account:{account.pk}:shared:{owner_id}:{language}",
                recipients=emails,
                template=SHARED_TEMPLATE,
                context={
                    "company": legal_name,
                    "masked_account": account.masked_account,
                    "at": now,
                    "program_name": settings.PROGRAM_NAME,
                    "support_email": settings.SUPPORT_EMAIL,
                },
                language=language,
            )


def _lock_account(account: BankAccount) -> BankAccount:
    return (
        BankAccount.objects.select_for_update(of=("self",))
        .select_related("reseller")
        .get(pk=account.pk)
    )


def bank_account_freeze(*, account: BankAccount, reason: str) -> BankAccount:
    """The "this was not us" link: nothing is paid to the account any more, and the
    operators are alerted. Freezing a frozen account changes nothing."""
    with transaction.atomic():
        locked = _lock_account(account)
        if locked.frozen_at is not None:
            return locked
        locked.frozen_at = timezone.now()
        locked.frozen_reason = reason
        locked.save(update_fields=["frozen_at", "frozen_reason"])
        operators = list(
            User.objects.filter(
                groups__name=OPERATORS_GROUP, is_active=True, is_staff=True
            )
            .distinct()
            .values_list("email", flat=True)
        )
        if operators:
            outbox_email_enqueue(
                dedup_key=f"bank-account:{locked.pk}:frozen",
                recipients=operators,
                template=FROZEN_TEMPLATE,
                context={
                    "company": locked.reseller.legal_name,
                    "masked_account": locked.masked_account,
                    "reason": reason,
                    "at": locked.frozen_at,
                },
                language=settings.LANGUAGE_CODE,
            )
    return locked


def bank_account_verify(
    *, account: BankAccount, operator: User, method: str
) -> BankAccount:
    """An operator verified the account through a channel the requester does
    not control (e.g. a call to the company's known number) and says how."""
    method = words_require(
        method,
        message=_("Say how the account was verified, e.g. whom you called."),
        error=PayoutError,
    )
    with transaction.atomic():
        locked = _lock_account(account)
        locked.verified_at = timezone.now()
        locked.verified_by = operator
        locked.verification_method = method
        locked.save(update_fields=["verified_at", "verified_by", "verification_method"])
    return locked


def bank_account_shared_clear(
    *, account: BankAccount, operator: User, reason: str
) -> BankAccount:
    """An operator found why two companies use one account and lets it be paid."""
    reason = words_require(
        reason,
        message=_("Say why this account may be paid although another company uses it."),
        error=PayoutError,
    )
    with transaction.atomic():
        locked = _lock_account(account)
        locked.shared_cleared_at = timezone.now()
        locked.shared_cleared_by = operator
        locked.shared_cleared_reason = reason
        locked.save(
            update_fields=[
                "shared_cleared_at",
                "shared_cleared_by",
                "shared_cleared_reason",
            ]
        )
    return locked


def bank_account_shared_refuse(
    *, account: BankAccount, operator: User, reason: str
) -> BankAccount:
    """An operator found that a company entered another company's account
    number without right: the account is refused as the bank refuses one
    (never paid, not entered again by that company, its open payouts back
    to waiting for bank details with the reason in their notice)."""
    reason = words_require(
        reason,
        message=_("Say why this account may not be paid to this company."),
        error=PayoutError,
    )
    if not account.shared_with_other_reseller:
        raise PayoutError(
            _("Account %(account)s is not shared with another company.")
            % {"account": account.masked_account},
            code=PayoutError.Code.NOT_SHARED,
        )
    return bank_account_refuse(account=account, reason=reason, actor=operator)


def bank_account_refuse(
    *, account: BankAccount, reason: str, code: str = "", actor: User | None = None
) -> BankAccount:
    """The bank refused a payment to `account`: it is never paid again, its
    number cannot be entered again as a new account, and the company's other
    unpaid payouts on it go back to waiting for bank details (out of a draft
    batch they were in). Payouts already in a released batch are the bank's
    to answer. Calling it twice changes nothing more. `code` is the bank's
    reason code, which their notices put in the company's words."""
    with transaction.atomic():
        locked = _lock_account(account)
        if locked.refused_at is None:
            locked.refused_at = timezone.now()
            locked.refusal_reason = reason
            locked.save(update_fields=["refused_at", "refusal_reason"])
        siblings = list(
            Payout.objects.select_for_update(of=("self",))
            .filter(bank_account=locked, status__in=[S.READY, S.SCHEDULED])
            .filter(Q(batch__isnull=True) | Q(batch__status=PaymentBatch.Status.DRAFT))
            .select_related("claim", "reseller")
            .order_by("pk")
        )
        # Their notice says the bank refused the account, as a failed
        # payment's does: one way to start a new bank-details cycle.
        for payout in siblings:
            if payout.batch_id is not None:
                PaymentBatch.objects.filter(pk=payout.batch_id).update(
                    total_amount=F("total_amount") - payout.payout_amount
                )
            payout.failure_reason = reason
            payout.failure_code = code[:35]
            payout.save(update_fields=["failure_reason", "failure_code"])
            payout_cycle_restart(payout=payout, actor=actor)
    return locked


def cooling_off_restart(*, account: BankAccount, notice_key: str) -> None:
    """Hold `account` (locked) as a new account is held: unverified, and paid
    only after the cooling-off counted from when the notice whose outbox keys
    start with `notice_key` reached every admin (issue 27)."""
    account.verified_at = None
    account.verified_by = None
    account.verification_method = ""
    account.admins_told_at = None
    account.cooling_off_until = None
    account.told_notice_key = notice_key
    account.save(
        update_fields=[
            "verified_at",
            "verified_by",
            "verification_method",
            "admins_told_at",
            "cooling_off_until",
            "told_notice_key",
        ]
    )


def bank_account_notices_record(*, now: datetime) -> int:
    """Start the cooling-off of each held account whose notice the outbox has
    handed to the mail server for every admin: from the last of those sent
    times (issue 27). A notice stuck or failed keeps its account held (the
    operators' dashboard counts it). Two queries, then one update per account
    told; returns how many accounts were."""
    held = dict(
        BankAccount.objects.filter(admins_told_at__isnull=True)
        .exclude(told_notice_key="")
        .values_list("pk", "told_notice_key")
    )
    if not held:
        return 0
    matches = Q()
    for key in set(held.values()):
        matches |= Q(dedup_key__startswith=key)
    sent: dict[str, list[datetime | None]] = {}
    for dedup_key, sent_at in OutboxMessage.objects.filter(matches).values_list(
        "dedup_key", "sent_at"
    ):
        sent.setdefault(dedup_key.rsplit(":", 1)[0] + ":", []).append(sent_at)
    told = 0
    days = timedelta(days=settings.BANK_ACCOUNT_COOLING_OFF_DAYS)
    for pk, key in held.items():
        times = sent.get(key)
        if not times or None in times:
            continue
        last = max(times)
        # Only if no new notice replaced this one meanwhile.
        told += BankAccount.objects.filter(
            pk=pk, admins_told_at__isnull=True, told_notice_key=key
        ).update(admins_told_at=last, cooling_off_until=last + days)
    return told


def on_company_admin_ended(
    sender, *, end: CompanyAdminEnd, actor: User, **kwargs
) -> None:
    """Receiver of resellers.signals.company_admin_ended, in the removing
    transaction: the company's current account is held for a new cooling-off
    and every admin, the former one included, is told with the "this was not
    us" link that restores them and freezes the accounts (issue 27)."""
    now = timezone.now()
    account = (
        BankAccount.objects.select_for_update(of=("self",))
        .select_related("reseller")
        .filter(reseller_id=end.reseller_id, is_current=True)
        .first()
    )
    notice_key = f"company-admin-end:{end.pk}:"
    if account is not None:
        cooling_off_restart(account=account, notice_key=notice_key)
    context = {
        "company": end.reseller.legal_name,
        "member": end.user.display_name,
        "member_email": end.user.email,
        "actor": actor.display_name,
        "actor_email": actor.email,
        "removed": end.how == CompanyAdminEnd.How.REMOVED,
        "at": now,
        "masked_account": account.masked_account if account else "",
        "cooling_off_until": cooling_off_estimate(now),
        "objection_link": company_admin_objection_link(end),
        "program_name": settings.PROGRAM_NAME,
        "support_email": settings.SUPPORT_EMAIL,
    }
    recipients = bank_notice_recipients_by_language(
        reseller_id=end.reseller_id, now=now
    )
    for language, emails in recipients.items():
        outbox_email_enqueue(
            dedup_key=f"{notice_key}{language}",
            recipients=emails,
            template=ADMIN_ENDED_TEMPLATE,
            context=context,
            language=language,
        )


def company_admin_objection(
    *, end: CompanyAdminEnd, ip: str | None = None
) -> tuple[bool, list[BankAccount]]:
    """The removed or demoted admin's "this was not us": they are restored
    (resellers.services.company_admin_restore) and the company's current
    account, and every account entered since, is frozen (operators alerted).
    Returns whether they were restored and the frozen accounts."""
    reason = _("A removed company admin used the 'this was not us' link.")
    with transaction.atomic():
        restored = company_admin_restore(end=end, ip=ip)
        accounts = list(
            BankAccount.objects.filter(reseller_id=end.reseller_id)
            .filter(Q(is_current=True) | Q(created_at__gte=end.ended_at))
            .order_by("pk")
        )
        frozen = [bank_account_freeze(account=a, reason=reason) for a in accounts]
    return restored, frozen
