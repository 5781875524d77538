"""What payouts tell the company and how: the signed bank-details link, the
e-mail context, the recipients by language and the notice of a cycle. Each is
built here once, for one payout (a notice) and for thousands (the sweep)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from cashback.clock import PROGRAM_TIME_ZONE, program_day_end, program_today
from cashback.outbox import outbox_email_enqueue
from resellers.selectors import recipients_by_language, reseller_admin_count

from ..bank.reason_codes import reason_words_lazy
from ..models import Payout

LINK_SALT = "payouts.bank-details-link"
NOTICE_TEMPLATE = "emails/payout_notice"
FAILED_TEMPLATE = "emails/payout_failed"


class BankDetailsLinks:
    """Absolute, signed (expiring) links to payouts' bank-details pages. The
    URL is reversed once and only the token differs per payout (reverse() per
    payout cost more than the signature in the sweep)."""

    PLACEHOLDER = "0:TOKEN:PLACEHOLDER"

    def __init__(self) -> None:
        self.signer = signing.TimestampSigner(salt=LINK_SALT)
        path = reverse("payouts:bank_details_link", kwargs={"token": self.PLACEHOLDER})
        self.prefix, self.suffix = (settings.PORTAL_URL.rstrip("/") + path).split(
            self.PLACEHOLDER
        )

    def __call__(self, payout_id: int) -> str:
        # Tokens are digits, ":" and URL-safe base64: reverse() leaves them as
        # they are, so putting one in place of the placeholder is the same URL.
        return self.prefix + self.signer.sign(str(payout_id)) + self.suffix


def bank_details_link(payout: Payout) -> str:
    """An absolute, signed link to the payout's bank-details page (expires)."""
    return BankDetailsLinks()(payout.pk)


def bank_details_link_payout_id(token: str) -> int | None:
    """The payout id in a link token, or None when forged or expired."""
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=timedelta(days=settings.PAYOUT_LINK_MAX_AGE_DAYS)
        )
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def bank_details_due(sent_at: datetime, term_days: int) -> datetime:
    """When bank details are due for a notice sent at `sent_at` (R11): the end
    of the program's day `term_days` days later.

    A whole day, so the notice can state the date when it is written and the
    window, counted from when it actually went out, ends on that same date
    (a notice that leaves after midnight only ever gets a day more).
    """
    return program_day_end(program_today(sent_at) + timedelta(days=term_days))


def payouts_list_link() -> str:
    """The absolute link to the company's list of payouts."""
    return settings.PORTAL_URL.rstrip("/") + reverse("payouts:list")


def payout_email_context(
    *,
    reference: str,
    amount: Decimal,
    currency: str,
    company: str,
    link: str,
    list_link: str,
    **extra,
) -> dict:
    """The context every payout e-mail to a company is rendered with."""
    return {
        "reference": reference,
        "amount": amount,
        "currency": currency,
        "company": company,
        "link": link,
        "list_link": list_link,
        "support_email": settings.SUPPORT_EMAIL,
        "program_name": settings.PROGRAM_NAME,
        **extra,
    }


def notice_dedup_key(payout: Payout, language: str) -> str:
    """The outbox key of this cycle's notice in one language."""
    return f"payout:{payout.pk}:cycle:{payout.cycle}:notice:{language}"


def notice_dedup_keys(payout: Payout) -> list[str]:
    """The outbox keys of this cycle's notice, one per language."""
    return [notice_dedup_key(payout, code) for code, _name in settings.LANGUAGES]


def notice_enqueue(payout: Payout, *, template: str = NOTICE_TEMPLATE) -> None:
    """Queue this cycle's bank-details notice (or the failed-payment one) to
    the company's admins, the only ones who may give bank details (R20), once
    per language (the outbox sends after commit). Members read on the claim
    that the admins were asked.

    Not while the company has no active admin (issue 27): nobody could act on
    it, and its window would run out unseen. The notice goes out when an
    admin is appointed (`notices_owed_send`), and its clock starts then."""
    if not reseller_admin_count(reseller_id=payout.reseller_id):
        return
    context = payout_email_context(
        reference=payout.claim.reference,
        amount=payout.amount,
        currency=payout.currency,
        company=payout.reseller.legal_name,
        link=bank_details_link(payout),
        list_link=payouts_list_link(),
        payout=payout,
        # In each recipient's language (the bank's code in plain words).
        failure_reason=reason_words_lazy(payout.failure_code, payout.failure_reason),
        # The notice goes out right after commit: the date it states is the
        # one the reminder job stores when it sees it sent.
        due_at=bank_details_due(timezone.now(), payout.offer.bank_details_term_days),
        max_reminders=payout.offer.max_reminders,
        time_zone=PROGRAM_TIME_ZONE,
    )
    languages = recipients_by_language(
        reseller_ids=[payout.reseller_id], admins_only=True
    )[payout.reseller_id]
    for language, emails in languages.items():
        outbox_email_enqueue(
            dedup_key=notice_dedup_key(payout, language),
            recipients=emails,
            template=template,
            context=context,
            language=language,
        )


def notices_owed_send(*, reseller_id: int) -> int:
    """Queue the notice of each payout of the company still waiting for bank
    details whose notice never went out (it had no admin, issue 27); the
    outbox's keys make a notice already queued count once. Returns how many
    payouts were looked at."""
    waiting = list(
        Payout.objects.filter(
            reseller_id=reseller_id,
            status=Payout.Status.AWAITING_BANK_DETAILS,
            notified_at__isnull=True,
        ).select_related("claim", "reseller", "offer")
    )
    for payout in waiting:
        notice_enqueue(
            payout,
            template=FAILED_TEMPLATE if payout.failure_reason else NOTICE_TEMPLATE,
        )
    return len(waiting)


def on_company_admin_added(sender, *, reseller_id: int, **kwargs) -> None:
    """Receiver of resellers.signals.company_admin_added (in its transaction)."""
    notices_owed_send(reseller_id=reseller_id)
