"""Every write on payouts: opening, bank details, reminders, forfeiture,
scheduling, payment batches and their results (R3, R11-R16).

Each function is one transaction; rows two actors can race for are locked;
every state change writes a PayoutEvent; e-mails go through the outbox in the
same transaction as the change that causes them.
"""

import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cashback.models import OutboxMessage
from cashback.outbox import outbox_email_enqueue, outbox_emails_enqueue_many
from claims.models import Claim, ClaimAgreement, OpenAgreement
from offers.eligibility import program_today
from offers.models import ReturnPeriod
from resellers.models import Reseller, User

from .banking import account_check, beneficiary_check
from .crypto import (
    account_number_decrypt,
    account_number_encrypt,
    account_number_fingerprint,
)
from .models import (
    BankAccount,
    ExchangeRate,
    PaymentBatch,
    Payout,
    PayoutEvent,
    Reminder,
)
from .pain001 import CreditTransfer, pain001_build

# A command's progress bar: told how many payouts each batch handled.
Progress = Callable[[int], None] | None

logger = logging.getLogger(__name__)

S = Payout.Status
LINK_SALT = "payouts.bank-details-link"
SWEEP_BATCH_SIZE = 500


class PayoutError(Exception):
    """A payout action that is not allowed now; the message says why."""


# Helpers -----------------------------------------------------------------------


def _event(
    payout: Payout,
    kind: str,
    *,
    from_status: str = "",
    to_status: str = "",
    actor: User | None = None,
    message: str = "",
) -> PayoutEvent:
    return PayoutEvent(
        payout=payout,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        message=message,
    )


def _recipients_by_language(users: Iterable[User]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for user in users:
        groups[user.language].append(user.email)
    return dict(groups)


def _company_users(reseller_ids: Iterable[int]) -> dict[int, list[User]]:
    users: dict[int, list[User]] = defaultdict(list)
    for user in (
        User.objects.filter(reseller_id__in=set(reseller_ids), is_active=True)
        .select_related("reseller")
        .order_by("pk")
    ):
        users[user.reseller_id].append(user)
    return users


def notice_dedup_keys(payout: Payout) -> list[str]:
    """The outbox keys of this cycle's notice, one per language."""
    return [
        f"payout:{payout.pk}:cycle:{payout.cycle}:notice:{code}"
        for code, _name in settings.LANGUAGES
    ]


def bank_details_link(payout: Payout) -> str:
    """An absolute, signed link to the payout's bank-details page (expires)."""
    token = signing.TimestampSigner(salt=LINK_SALT).sign(str(payout.pk))
    path = reverse("payouts:bank_details_link", kwargs={"token": token})
    return settings.PORTAL_URL.rstrip("/") + path


def bank_details_link_payout_id(token: str) -> int | None:
    """The payout id in a link token, or None when forged or expired."""
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=timedelta(days=settings.PAYOUT_LINK_MAX_AGE_DAYS)
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def _payout_context(payout: Payout) -> dict:
    return {
        "payout": payout,
        "reference": payout.claim.reference,
        "amount": payout.amount,
        "currency": payout.currency,
        "company": payout.reseller.legal_name,
        "link": bank_details_link(payout),
        "list_link": settings.PORTAL_URL.rstrip("/") + reverse("payouts:list"),
        "support_email": settings.SUPPORT_EMAIL,
        "program_name": settings.PROGRAM_NAME,
    }


def _notice_enqueue(payout: Payout, template: str = "emails/payout_notice") -> None:
    users = _company_users([payout.reseller_id])[payout.reseller_id]
    context = _payout_context(payout)
    keys = notice_dedup_keys(payout)
    for language, emails in _recipients_by_language(users).items():
        outbox_email_enqueue(
            dedup_key=next(k for k in keys if k.endswith(f":{language}")),
            recipients=emails,
            template=template,
            context={**context, "failure_reason": payout.failure_reason},
            language=language,
        )


def _release_date(claim: Claim) -> date:
    """The later of the calculation date and last sale + return period (R14)."""
    offer = claim.offer
    numbers = ClaimAgreement.objects.filter(claim=claim, is_active=True).values(
        "agreement_number"
    )
    last_sale = OpenAgreement.objects.filter(agreement_number__in=numbers).aggregate(
        last=Max("sale_date")
    )["last"]
    if last_sale is None:
        return offer.calculation_date
    days = (
        ReturnPeriod.objects.filter(offer=offer, country=claim.reseller.country)
        .values_list("days", flat=True)
        .first()
    )
    if days is None:
        days = offer.return_period_days
    return max(offer.calculation_date, last_sale + timedelta(days=days))


# Opening -------------------------------------------------------------------------


def payout_open(*, claim: Claim) -> Payout:
    """Open the one payout of an approved claim and queue the bank-details notice.

    Idempotent: a second call (or a concurrent one) returns the existing payout;
    the one-to-one constraint on the claim decides races.
    """
    if claim.reward_amount is None:
        raise PayoutError(_("The approved claim has no reward amount."))
    with transaction.atomic():
        existing = Payout.objects.filter(claim=claim).first()
        if existing is not None:
            return existing
        offer = claim.offer
        try:
            with transaction.atomic():
                payout = Payout.objects.create(
                    claim=claim,
                    reseller=claim.reseller,
                    offer=offer,
                    amount=claim.reward_amount,
                    currency=claim.reward_currency or offer.reward_currency,
                    release_date=_release_date(claim),
                    payment_deadline=offer.calculation_date
                    + timedelta(days=offer.payment_term_days),
                )
        except IntegrityError:
            # Another transaction opened it first; it has committed by now.
            return Payout.objects.get(claim=claim)
        PayoutEvent.objects.create(
            payout=payout,
            kind=PayoutEvent.Kind.OPENED,
            to_status=payout.status,
        )
        _notice_enqueue(payout)
    return payout


def on_claim_approved(sender, *, claim: Claim, actor=None, **kwargs) -> None:
    """Receiver of claims.signals.claim_approved: runs in the approving transaction."""
    payout_open(claim=claim)


# Bank details ----------------------------------------------------------------------


def _payout_currencies(payout: Payout) -> list[str]:
    return list(payout.offer.payout_currencies or []) or [payout.currency]


def _address_check(reseller: Reseller, address_confirmed: bool) -> None:
    if not (reseller.street_address and reseller.postal_code and reseller.city):
        raise ValidationError(
            {
                "address_confirmed": _(
                    "The company's postal address is incomplete: complete it on "
                    "the company page first."
                )
            }
        )
    if not address_confirmed:
        raise ValidationError(
            {
                "address_confirmed": _(
                    "Confirm that the company's postal address is correct."
                )
            }
        )


def _convert(payout: Payout, currency: str) -> tuple[Decimal, Decimal]:
    """The payout amount in `currency` and the rate (R12: rate recorded)."""
    if currency == payout.currency:
        return payout.amount, Decimal(1)
    rate = (
        ExchangeRate.objects.filter(
            base_currency=payout.currency,
            quote_currency=currency,
            rate_date=payout.offer.calculation_date,
        )
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            {
                "currency": _(
                    "Payment in %(currency)s is not possible yet: no exchange rate "
                    "from %(reward)s for %(date)s. Choose %(reward)s or contact "
                    "support."
                )
                % {
                    "currency": currency,
                    "reward": payout.currency,
                    "date": payout.offer.calculation_date.isoformat(),
                }
            }
        )
    converted = (payout.amount * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return converted, rate


def _payout_make_ready(
    payout: Payout, account: BankAccount, user: User, kind: str
) -> None:
    """awaiting_bank_details -> ready with the account and converted amount."""
    if account.currency not in _payout_currencies(payout):
        raise ValidationError(
            {
                "currency": _("This offer pays in %(currencies)s: choose one of them.")
                % {"currencies": ", ".join(_payout_currencies(payout))}
            }
        )
    converted, rate = _convert(payout, account.currency)
    payout.status = S.READY
    payout.bank_account = account
    payout.payout_currency = account.currency
    payout.payout_amount = converted
    payout.exchange_rate = rate
    payout.save(
        update_fields=[
            "status",
            "bank_account",
            "payout_currency",
            "payout_amount",
            "exchange_rate",
            "updated_at",
        ]
    )
    PayoutEvent.objects.create(
        payout=payout,
        kind=kind,
        from_status=S.AWAITING_BANK_DETAILS,
        to_status=S.READY,
        actor=user,
        message=_("Account %(account)s") % {"account": account.masked_account},
    )


def _locked_awaiting_payout(payout: Payout, reseller: Reseller) -> Payout:
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.reseller_id != reseller.pk:
        raise PayoutError(_("This payout belongs to another company."))
    if locked.status != S.AWAITING_BANK_DETAILS:
        raise PayoutError(
            _("Bank details are not needed for this payout any more (%(status)s).")
            % {"status": locked.get_status_display()}
        )
    return locked


def bank_account_submit(
    *,
    reseller: Reseller,
    user: User,
    beneficiary_name: str,
    iban: str = "",
    account_number: str = "",
    bank_code: str = "",
    bic: str = "",
    bank_country: str = "",
    currency: str,
    payout: Payout | None = None,
    address_confirmed: bool = True,
) -> BankAccount:
    """Store a new version of the company's bank account (R3, R12).

    Validates everything first; raises ValidationError keyed by form field.
    The previous version is kept and stops being current. With `payout`, that
    payout moves to ready on the new account.
    """
    errors: dict[str, list[str]] = {}
    clean = None
    try:
        beneficiary = beneficiary_check(
            beneficiary_name=beneficiary_name, legal_name=reseller.legal_name
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        clean = account_check(
            iban=iban,
            account_number=account_number,
            bank_code=bank_code,
            bic=bic,
            bank_country=bank_country,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        _address_check(reseller, address_confirmed)
    except ValidationError as error:
        errors.update(error.message_dict)
    if payout is not None and currency not in _payout_currencies(payout):
        errors["currency"] = [
            _("This offer pays in %(currencies)s: choose one of them.")
            % {"currencies": ", ".join(_payout_currencies(payout))}
        ]
    if errors:
        raise ValidationError(errors)
    assert clean is not None
    fingerprint = account_number_fingerprint(clean.number)
    with transaction.atomic():
        # Lock the company's versions so two submissions number them in turn.
        versions = list(
            BankAccount.objects.select_for_update()
            .filter(reseller=reseller)
            .order_by("-version")
            .values_list("pk", "version")
        )
        locked_payout = _locked_awaiting_payout(payout, reseller) if payout else None
        BankAccount.objects.filter(reseller=reseller, is_current=True).update(
            is_current=False
        )
        shared = (
            BankAccount.objects.filter(account_fingerprint=fingerprint)
            .exclude(reseller=reseller)
            .update(shared_with_other_reseller=True)
            > 0
        )
        account = BankAccount.objects.create(
            reseller=reseller,
            version=(versions[0][1] + 1) if versions else 1,
            is_current=True,
            beneficiary_name=beneficiary,
            account_number_encrypted=account_number_encrypt(clean.number),
            account_fingerprint=fingerprint,
            account_last4=clean.number[-4:],
            is_iban=clean.is_iban,
            bank_code=clean.bank_code,
            bic=clean.bic,
            bank_country=clean.bank_country,
            currency=currency,
            shared_with_other_reseller=shared,
            created_by=user,
        )
        if shared:
            logger.warning(
                "Bank account %s of reseller %s is also used by another reseller",
                account.masked_account,
                reseller.pk,
            )
        if locked_payout is not None:
            _payout_make_ready(
                locked_payout, account, user, PayoutEvent.Kind.BANK_DETAILS_SUBMITTED
            )
    return account


def bank_account_confirm(
    *, reseller: Reseller, user: User, payout: Payout, address_confirmed: bool = True
) -> Payout:
    """One click: pay this payout to the company's current account."""
    _address_check(reseller, address_confirmed)
    with transaction.atomic():
        locked = _locked_awaiting_payout(payout, reseller)
        account = BankAccount.objects.filter(reseller=reseller, is_current=True).first()
        if account is None:
            raise PayoutError(_("No bank account is on file: enter one."))
        if locked.cycle > 1 and locked.bank_account_id == account.pk:
            raise PayoutError(
                _(
                    "The bank refused this account: enter corrected bank details "
                    "instead."
                )
            )
        _payout_make_ready(
            locked, account, user, PayoutEvent.Kind.BANK_DETAILS_CONFIRMED
        )
    return locked


def bank_accounts_reencrypt(*, batch_size: int = 500) -> int:
    """Re-encrypt every account number with the newest key (after a rotation)."""
    from .crypto import account_number_rotate

    changed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                BankAccount.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                return changed
            for row in rows:
                row.account_number_encrypted = account_number_rotate(
                    row.account_number_encrypted
                )
            BankAccount.objects.bulk_update(rows, ["account_number_encrypted"])
            changed += len(rows)
            last_pk = rows[-1].pk


# Reminders and forfeiture (R11) ------------------------------------------------------


@dataclass
class SweepResult:
    """What one run of the reminder job did (or would do, in a dry run)."""

    windows_started: int = 0
    reminders: int = 0
    forfeited: int = 0


def _windows_start(
    now: datetime, dry_run: bool, batch_size: int, progress: Progress = None
) -> int:
    """Start the window of each notice the outbox has actually sent (R11)."""
    started = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            payouts = list(
                Payout.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    status=S.AWAITING_BANK_DETAILS,
                    notified_at__isnull=True,
                    pk__gt=last_pk,
                )
                .select_related("offer")
                .order_by("pk")[:batch_size]
            )
            if not payouts:
                return started
            last_pk = payouts[-1].pk
            if progress:
                progress(len(payouts))
            keys = {key: p for p in payouts for key in notice_dedup_keys(p)}
            sent: dict[int, datetime] = {}
            for key, sent_at in OutboxMessage.objects.filter(
                dedup_key__in=list(keys), sent_at__isnull=False
            ).values_list("dedup_key", "sent_at"):
                pk = keys[key].pk
                sent[pk] = min(sent_at, sent.get(pk, sent_at))
            changed = []
            for payout in payouts:
                if payout.pk not in sent:
                    continue
                payout.notified_at = sent[payout.pk]
                payout.bank_details_due_at = sent[payout.pk] + timedelta(
                    days=payout.offer.bank_details_term_days
                )
                payout.updated_at = now
                changed.append(payout)
            started += len(changed)
            if dry_run or not changed:
                continue
            Payout.objects.bulk_update(
                changed, ["notified_at", "bank_details_due_at", "updated_at"]
            )
            PayoutEvent.objects.bulk_create(
                _event(p, PayoutEvent.Kind.NOTICE_SENT, to_status=p.status)
                for p in changed
            )


def _due_sweep(
    now: datetime,
    dry_run: bool,
    batch_size: int,
    result: SweepResult,
    progress: Progress = None,
):
    """Remind or forfeit each payout whose window has closed."""
    last_pk = 0
    while True:
        with transaction.atomic():
            payouts = list(
                Payout.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    status=S.AWAITING_BANK_DETAILS,
                    bank_details_due_at__lte=now,
                    pk__gt=last_pk,
                )
                .select_related("offer", "reseller", "claim")
                .order_by("pk")[:batch_size]
            )
            if not payouts:
                return
            last_pk = payouts[-1].pk
            if progress:
                progress(len(payouts))
            users = {} if dry_run else _company_users(p.reseller_id for p in payouts)
            reminders, events, emails, changed = [], [], [], []
            for payout in payouts:
                offer = payout.offer
                if payout.reminders_sent < offer.max_reminders:
                    result.reminders += 1
                    number = payout.reminders_sent + 1
                    payout.reminders_sent = number
                    payout.bank_details_due_at = now + timedelta(
                        days=offer.reminder_interval_days
                    )
                    reminders.append(
                        Reminder(payout=payout, cycle=payout.cycle, number=number)
                    )
                    events.append(
                        _event(
                            payout,
                            PayoutEvent.Kind.REMINDER_SENT,
                            to_status=payout.status,
                            message=f"{number}/{offer.max_reminders}",
                        )
                    )
                    template = "emails/payout_reminder"
                    key = f"payout:{payout.pk}:cycle:{payout.cycle}:reminder:{number}"
                else:
                    result.forfeited += 1
                    payout.status = S.FORFEITED
                    events.append(
                        _event(
                            payout,
                            PayoutEvent.Kind.FORFEITED,
                            from_status=S.AWAITING_BANK_DETAILS,
                            to_status=S.FORFEITED,
                        )
                    )
                    template = "emails/payout_forfeited"
                    key = f"payout:{payout.pk}:cycle:{payout.cycle}:forfeited"
                payout.updated_at = now
                changed.append(payout)
                if dry_run:
                    continue
                context = _payout_context(payout)
                # Not used by these templates; dropping it lets the outbox
                # render once per language and shared values (bench, issue 9).
                del context["payout"]
                context["number"] = payout.reminders_sent
                context["max_reminders"] = offer.max_reminders
                context["due_at"] = payout.bank_details_due_at
                groups = _recipients_by_language(users.get(payout.reseller_id, []))
                for language, recipients in groups.items():
                    emails.append(
                        {
                            "dedup_key": f"{key}:{language}",
                            "recipients": recipients,
                            "template": template,
                            "context": context,
                            "language": language,
                            "verbatim": ("company", "reference", "link"),
                        }
                    )
            if dry_run:
                continue
            # The unique (payout, cycle, number) makes a reminder that slipped
            # past the row lock fail the whole batch instead of going out twice.
            Reminder.objects.bulk_create(reminders)
            _sweep_write(changed, now)
            PayoutEvent.objects.bulk_create(events)
            outbox_emails_enqueue_many(emails)


def _sweep_write(changed: list[Payout], now: datetime) -> None:
    """Write the batch's new states set-based: bulk_update's CASE per row cost
    more than the rest of the sweep (make bench). One UPDATE per distinct due
    date (one per offer's reminder interval) plus one for the forfeited."""
    forfeited = [p.pk for p in changed if p.status == S.FORFEITED]
    reminded: dict[datetime, list[int]] = {}
    for payout in changed:
        if payout.status != S.FORFEITED:
            reminded.setdefault(payout.bank_details_due_at, []).append(payout.pk)
    if forfeited:
        Payout.objects.filter(pk__in=forfeited).update(
            status=S.FORFEITED, updated_at=now
        )
    for due_at, ids in reminded.items():
        Payout.objects.filter(pk__in=ids).update(
            reminders_sent=F("reminders_sent") + 1,
            bank_details_due_at=due_at,
            updated_at=now,
        )


def payouts_send_reminders(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = SWEEP_BATCH_SIZE,
    progress: Progress = None,
) -> SweepResult:
    """The periodic reminder job (R11): start windows, remind, forfeit.

    Works in batches of `batch_size` with a fixed number of queries each; rows
    another run holds are skipped, so concurrent runs share the work.
    `progress` (for the command's bar) gets the number of payouts of each batch.
    """
    now = now or timezone.now()
    result = SweepResult()
    result.windows_started = _windows_start(now, dry_run, batch_size, progress)
    _due_sweep(now, dry_run, batch_size, result, progress)
    return result


# Scheduling and deadlines (R14-R16) -----------------------------------------------


def payouts_schedule(
    *,
    today: date | None = None,
    dry_run: bool = False,
    batch_size: int = 1000,
    progress: Progress = None,
) -> int:
    """Move ready payouts whose release date has come to scheduled (R14).

    `progress` (for the command's bar) gets the number of payouts of each batch.
    """
    today = today or program_today()
    moved = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            payouts = list(
                Payout.objects.select_for_update(skip_locked=True)
                .filter(status=S.READY, release_date__lte=today, pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not payouts:
                return moved
            last_pk = payouts[-1].pk
            moved += len(payouts)
            if progress:
                progress(len(payouts))
            if dry_run:
                continue
            for payout in payouts:
                payout.status = S.SCHEDULED
                payout.updated_at = timezone.now()
            Payout.objects.bulk_update(payouts, ["status", "updated_at"])
            PayoutEvent.objects.bulk_create(
                _event(
                    p,
                    PayoutEvent.Kind.SCHEDULED,
                    from_status=S.READY,
                    to_status=S.SCHEDULED,
                )
                for p in payouts
            )


# Payment batches ---------------------------------------------------------------------


def batch_create(
    *, currency: str, payouts: Sequence[Payout] | Iterable[int], operator: User
) -> PaymentBatch:
    """A draft batch of scheduled payouts of one currency, built by `operator`."""
    ids = [p.pk if isinstance(p, Payout) else int(p) for p in payouts]
    if not ids:
        raise PayoutError(_("Select at least one scheduled payout."))
    with transaction.atomic():
        locked = list(
            Payout.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        )
        for payout in locked:
            if payout.status != S.SCHEDULED:
                raise PayoutError(
                    _("Payout %(id)s is not scheduled (%(status)s).")
                    % {"id": payout.pk, "status": payout.get_status_display()}
                )
            if payout.payout_currency != currency:
                raise PayoutError(
                    _("Payout %(id)s is paid in %(currency)s, not %(batch)s.")
                    % {
                        "id": payout.pk,
                        "currency": payout.payout_currency,
                        "batch": currency,
                    }
                )
            if payout.batch_id is not None:
                raise PayoutError(
                    _("Payout %(id)s is already in batch %(batch)s.")
                    % {"id": payout.pk, "batch": payout.batch_id}
                )
        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        batch = PaymentBatch.objects.create(
            currency=currency,
            message_id=f"CB-{stamp}-{secrets.token_hex(4)}",
            created_by=operator,
            total_amount=sum((p.payout_amount for p in locked), Decimal(0)),
        )
        Payout.objects.filter(pk__in=[p.pk for p in locked]).update(
            batch=batch, updated_at=timezone.now()
        )
    return batch


def batch_release(*, batch: PaymentBatch, operator: User) -> PaymentBatch:
    """Release a draft batch (four eyes): write its validated pain.001 file.

    The batch row is locked, so two releases at once produce one file.
    """
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != PaymentBatch.Status.DRAFT:
            raise PayoutError(_("This batch has already been released."))
        if locked.created_by_id == operator.pk:
            raise PayoutError(
                _("Four eyes: the batch must be released by another operator.")
            )
        payouts = list(
            Payout.objects.select_for_update(of=("self",))
            .filter(batch=locked)
            .select_related("bank_account", "claim", "reseller")
            .order_by("pk")
        )
        if not payouts:
            raise PayoutError(_("The batch is empty."))
        transfers = [
            CreditTransfer(
                end_to_end_id=p.claim.reference,
                name=p.bank_account.beneficiary_name,
                account_number=account_number_decrypt(
                    p.bank_account.account_number_encrypted
                ).split(":")[-1],
                is_iban=p.bank_account.is_iban,
                bic=p.bank_account.bic,
                amount=p.payout_amount,
                currency=p.payout_currency,
                remittance=f"{settings.PROGRAM_NAME} {p.claim.reference}",
            )
            for p in payouts
        ]
        execution_date = max(program_today(), max(p.release_date for p in payouts))
        xml = pain001_build(
            message_id=locked.message_id,
            currency=locked.currency,
            execution_date=execution_date,
            transfers=transfers,
        )
        now = timezone.now()
        locked.payment_file = xml.decode()
        locked.status = PaymentBatch.Status.RELEASED
        locked.released_by = operator
        locked.released_at = now
        locked.total_amount = sum((p.payout_amount for p in payouts), Decimal(0))
        locked.save(
            update_fields=[
                "payment_file",
                "status",
                "released_by",
                "released_at",
                "total_amount",
            ]
        )
        for payout in payouts:
            payout.status = S.IN_BATCH
            payout.updated_at = now
        Payout.objects.bulk_update(payouts, ["status", "updated_at"])
        PayoutEvent.objects.bulk_create(
            _event(
                p,
                PayoutEvent.Kind.BATCHED,
                from_status=S.SCHEDULED,
                to_status=S.IN_BATCH,
                actor=operator,
                message=locked.message_id,
            )
            for p in payouts
        )
    return locked


def _batch_close_if_done(batch_id: int | None) -> None:
    if batch_id is None:
        return
    if not Payout.objects.filter(batch_id=batch_id, status=S.IN_BATCH).exists():
        PaymentBatch.objects.filter(
            pk=batch_id, status=PaymentBatch.Status.RELEASED
        ).update(status=PaymentBatch.Status.CLOSED)


def payout_mark_paid(*, payout: Payout, reference: str, actor: User) -> Payout:
    """The bank paid it; a second call changes nothing."""
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status == S.PAID:
            return locked
        if locked.status != S.IN_BATCH:
            raise PayoutError(
                _("Only a payout in a released batch can be marked paid.")
            )
        locked.status = S.PAID
        locked.paid_at = timezone.now()
        locked.payment_reference = (reference or locked.claim.reference)[:35]
        locked.save(
            update_fields=["status", "paid_at", "payment_reference", "updated_at"]
        )
        PayoutEvent.objects.create(
            payout=locked,
            kind=PayoutEvent.Kind.PAID,
            from_status=S.IN_BATCH,
            to_status=S.PAID,
            actor=actor,
            message=locked.payment_reference,
        )
        _batch_close_if_done(locked.batch_id)
    return locked


def payout_mark_failed(*, payout: Payout, reason: str, actor: User) -> Payout:
    """The bank refused the details (R13): tell the reseller, start a new cycle."""
    if not (reason or "").strip():
        raise PayoutError(_("Give the bank's reason for the failure."))
    with transaction.atomic():
        locked = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("claim", "reseller")
            .get(pk=payout.pk)
        )
        if locked.status != S.IN_BATCH:
            raise PayoutError(
                _("Only a payout in a released batch can be marked failed.")
            )
        batch_id = locked.batch_id
        locked.status = S.AWAITING_BANK_DETAILS
        locked.failure_reason = reason.strip()
        locked.cycle += 1
        locked.reminders_sent = 0
        locked.notified_at = None
        locked.bank_details_due_at = None
        locked.batch = None
        locked.save(
            update_fields=[
                "status",
                "failure_reason",
                "cycle",
                "reminders_sent",
                "notified_at",
                "bank_details_due_at",
                "batch",
                "updated_at",
            ]
        )
        PayoutEvent.objects.bulk_create(
            [
                _event(
                    locked,
                    PayoutEvent.Kind.FAILED,
                    from_status=S.IN_BATCH,
                    to_status=S.FAILED,
                    actor=actor,
                    message=locked.failure_reason,
                ),
                _event(
                    locked,
                    PayoutEvent.Kind.OPENED,
                    from_status=S.FAILED,
                    to_status=S.AWAITING_BANK_DETAILS,
                    actor=actor,
                    message=_("New bank-details cycle %(cycle)s")
                    % {"cycle": locked.cycle},
                ),
            ]
        )
        _notice_enqueue(locked, template="emails/payout_failed")
        _batch_close_if_done(batch_id)
    return locked


# Operators ---------------------------------------------------------------------------

OPERATORS_GROUP = "Operators"


def operators_deadline_summary_send(*, today: date | None = None) -> int:
    """Queue today's summary of payouts near or past their deadline (R16).

    Sent only when there is something to report; once a day (dedup key per day).
    Returns the number of payouts listed.
    """
    from .selectors import payouts_at_deadline_risk

    today = today or program_today()
    soon, past = payouts_at_deadline_risk(today=today)
    soon, past = list(soon[:200]), list(past[:200])
    if not soon and not past:
        return 0
    operators = User.objects.filter(
        groups__name=OPERATORS_GROUP, is_active=True, is_staff=True
    ).distinct()
    emails = list(operators.values_list("email", flat=True))
    if emails:
        with transaction.atomic():
            outbox_email_enqueue(
                dedup_key=f"payouts:deadline-summary:{today.isoformat()}",
                recipients=emails,
                template="emails/payout_deadline_summary",
                context={
                    "today": today,
                    "count": len(soon) + len(past),
                    "soon": soon,
                    "past": past,
                    "admin_link": settings.PORTAL_URL.rstrip("/")
                    + reverse("admin:payouts_payout_changelist"),
                },
                language="en",
            )
    return len(soon) + len(past)
