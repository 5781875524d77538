"""Demo payouts in every state for the demo reseller, created through services.

Uses the approved claims of the claims demo when there are any; otherwise it
creates a small demo offer with one-per-sale claims for the demo reseller.
Idempotent: a re-run finds the rows and moves nothing twice.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from claims.models import Claim, OpenAgreement
from offers.models import CustomerSegment, LicenceType, Offer, Product, Terms
from resellers.demo import demo_user_ensure
from resellers.models import Reseller, User

from . import services
from .bank import answers
from .models import PaymentBatch, Payout

logger = logging.getLogger(__name__)

S = Payout.Status
DEMO_IBAN = "SE4550000000058398257466"
# (claim reference, the state the demo payout ends in)
DEMO_PAYOUTS = [
    ("CB-DEMO-P001", S.AWAITING_BANK_DETAILS),
    ("CB-DEMO-P002", "reminded"),
    ("CB-DEMO-P003", S.READY),
    ("CB-DEMO-P004", S.SCHEDULED),
    ("CB-DEMO-P005", S.IN_BATCH),
    ("CB-DEMO-P006", S.PAID),
    ("CB-DEMO-P007", "failed_new_cycle"),
    ("CB-DEMO-P008", S.FORFEITED),
]


def _operators() -> tuple[User, User]:
    group = Group.objects.filter(name=services.OPERATORS_GROUP).first()
    users = []
    for number, name in ((1, "Olle"), (2, "Oda")):
        user = demo_user_ensure(
            email=f"operator{number}@vendor.example",
            is_staff=True,
            first_name=name,
            last_name="Operator",
        )
        if group is not None:
            user.groups.add(group)
        users.append(user)
    return users[0], users[1]


def _demo_reseller() -> tuple[Reseller, User]:
    member = (
        User.objects.filter(reseller__isnull=False, reseller__status="active")
        .select_related("reseller")
        .order_by("pk")
        .first()
    )
    if member is not None:
        return member.reseller, member
    reseller, _ = Reseller.objects.get_or_create(
        country="SE",
        org_number="5566778899",
        defaults={
            "legal_name": "Nordic Licensing AB",
            "normalized_name": "nordic licensing",
            "street_address": "Storgatan 1",
            "postal_code": "111 22",
            "city": "Stockholm",
            "preferred_currency": "SEK",
            "status": Reseller.Status.ACTIVE,
        },
    )
    user = demo_user_ensure(
        email="payouts@nordic-licensing.example",
        reseller=reseller,
        first_name="Pia",
        last_name="Payouts",
    )
    return reseller, user


def _demo_offer() -> Offer:
    offer, created = Offer.objects.get_or_create(
        slug="payouts-demo",
        defaults={
            "title_en": "Cloud Open payouts demo",
            "title_sv": "Cloud Open utbetalningsdemo",
            "status": Offer.Status.ARCHIVED,
            "sale_starts_on": dt.date(2026, 1, 1),
            "sale_ends_on": dt.date(2026, 6, 30),
            "claim_opens_on": dt.date(2026, 2, 1),
            "claim_closes_on": dt.date(2026, 7, 31),
            "calculation_date": dt.date(2026, 8, 31),
            "territories": ["SE"],
            "claim_mode": Offer.ClaimMode.ONE_PER_SALE,
            "reward_basis": Offer.RewardBasis.PERCENT_OF_REVENUE,
            "reward_value": Decimal("10"),
            "reward_currency": "SEK",
            "payout_currencies": ["SEK", "EUR"],
        },
    )
    if created:
        Terms.objects.create(
            offer=offer,
            version=1,
            text_en="Demo terms.",
            text_sv="Demovillkor.",
            published_at=timezone.now(),
        )
    return offer


def _demo_claim(
    reference: str, reseller: Reseller, user: User, offer: Offer, sale_date: dt.date
) -> Claim:
    segment, _ = CustomerSegment.objects.get_or_create(
        code="COMMERCIAL", defaults={"name": "Commercial"}
    )
    licence, _ = LicenceType.objects.get_or_create(
        code="OPEN_LICENSE", defaults={"name": "Open License"}
    )
    product, _ = Product.objects.get_or_create(
        sku="DEMO-CLOUD", defaults={"name": "Cloud Suite", "deployment": "cloud"}
    )
    number = f"99{reference[-3:]}0001"
    OpenAgreement.objects.get_or_create(
        agreement_number=number,
        defaults={
            "reseller_org_number": reseller.org_number,
            "reseller_name": reseller.legal_name,
            "customer_id": f"DEMO-{number}",
            "customer_segment": segment,
            "licence_type": licence,
            "product": product,
            "seats": 20,
            "revenue": Decimal("25000.00"),
            "currency": "SEK",
            "sale_date": sale_date,
            "new_customer": True,
        },
    )
    claim, created = Claim.objects.get_or_create(
        reference=reference,
        defaults={
            "reseller": reseller,
            "offer": offer,
            "claim_mode": offer.claim_mode,
            "submitted_by": user,
            "terms": offer.terms.order_by("-version").first(),
            "terms_accepted_at": timezone.now(),
            "status": Claim.Status.APPROVED,
            "reward_amount": Decimal("2500.00"),
            "reward_currency": "SEK",
            "decided_at": timezone.now(),
        },
    )
    if created:
        claim.agreements.create(offer=offer, agreement_number=number)
    return claim


def _advance(payout: Payout, target: str, user: User, operators) -> None:
    """Move a demo payout along the real services up to `target`."""
    builder, releaser = operators
    if target in ("reminded", S.FORFEITED) and payout.status == S.AWAITING_BANK_DETAILS:
        # Shape the calendar as if the window had closed (the sweep does the rest).
        past = timezone.now() - dt.timedelta(days=6)
        reminders = payout.offer.max_reminders if target == S.FORFEITED else 0
        Payout.objects.filter(pk=payout.pk, reminders_sent__lte=reminders).update(
            notified_at=past, bank_details_due_at=past, reminders_sent=reminders
        )
        return
    wants_ready = target not in (S.AWAITING_BANK_DETAILS, "reminded", S.FORFEITED)
    if wants_ready and payout.status == S.AWAITING_BANK_DETAILS and payout.cycle == 1:
        services.bank_account_submit(
            reseller=payout.reseller,
            user=user,
            beneficiary_name=payout.reseller.legal_name,
            iban=DEMO_IBAN,
            bic="ESSESESS",
            bank_country="SE",
            currency="SEK",
            payout=payout,
        )
        payout.refresh_from_db()
    if target == S.READY:
        return
    if payout.status == S.READY:
        services.payouts_schedule(today=max(payout.release_date, dt.date.today()))
        payout.refresh_from_db()
    if payout.status == S.SCHEDULED and target != S.SCHEDULED:
        batch = services.batch_create(
            currency=payout.payout_currency, payouts=[payout], operator=builder
        )
        services.batch_release(batch=batch, operator=releaser)
        payout.refresh_from_db()
    if payout.status == S.IN_BATCH and target in (S.PAID, "failed_new_cycle"):
        _bank_answers(payout, paid=target == S.PAID)


def _bank_answers(payout: Payout, *, paid: bool) -> None:
    """What the bank would send, read through the same path as its files."""
    batch, reference = payout.batch.message_id, payout.claim.reference
    status = "ACCP" if paid else "RJCT"
    services.bank_file_upload(
        name=f"demo-pain002-{reference}.xml",
        content=answers.status_report(
            message_id=f"DEMO-P002-{reference}",
            batch_message_id=batch,
            payments=[(reference, status, "" if paid else "AC01")],
            # PART: this payment refused, not the whole file.
            group_status="ACCP" if paid else "PART",
        ),
    )
    if paid:
        services.bank_file_upload(
            name=f"demo-camt054-{reference}.xml",
            content=answers.debit_notification(
                message_id=f"DEMO-C054-{reference}",
                batch_message_id=batch,
                booking_date=dt.date.today(),
                entries=[
                    (
                        reference,
                        payout.payout_amount,
                        payout.payout_currency,
                        "DEMO-BANK-1",
                    )
                ],
            ),
        )


def seed() -> list[tuple[str, str]]:
    """Create the demo payouts once; returns the log-ins to print as (role, e-mail)."""
    operators = _operators()
    logins = [
        ("Operator who builds batches", operators[0].email),
        ("Operator who releases batches", operators[1].email),
    ]
    try:
        reseller, user = _demo_reseller()
    except Exception as error:  # the demo must never break seeding of other apps
        logger.warning("Payouts demo skipped: %s", error)
        return logins
    offer = _demo_offer()
    for reference, target in DEMO_PAYOUTS:
        with transaction.atomic():
            # A sale today keeps the "ready" payout inside its return period.
            sale_date = dt.date.today() if target == S.READY else dt.date(2026, 5, 15)
            claim = _demo_claim(reference, reseller, user, offer, sale_date)
            payout = services.payout_open(claim=claim)
            _advance(payout, target, user, operators)
    # Claims the claims demo approved get their payout too (awaiting details).
    for claim in Claim.objects.filter(
        status=Claim.Status.APPROVED, reward_amount__isnull=False, payout__isnull=True
    )[:50]:
        services.payout_open(claim=claim)
    services.payouts_send_reminders()
    if not PaymentBatch.objects.exists():
        logger.info("No payment batch in the demo")
    return [*logins, ("Reseller with payouts", user.email)]
