"""The demo: companies, people, offers, claims and payouts across the apps.

Create-only. Every demo object is found by a stable key (an e-mail, an
organisation number, a slug, an agreement number, a claim reference, a
company's claim on an offer) and, when it is there, left exactly as it is,
whatever people did to it since: the demo is for trying the portal, and
`make run` loads it again every time. Only what is missing is created, and
only an object created in this run is taken through the services to the state
the demo shows.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from claims import demo as claims_demo
from claims.models import Claim, ClaimEvent, OpenAgreement
from offers import demo as offers_demo
from offers.models import CustomerSegment, LicenceType, Offer, Product, Terms
from payouts import demo as payouts_demo
from payouts import services as payout_services
from payouts.bank.models import BatchPayment
from resellers import demo as resellers_demo
from resellers.demo import demo_reseller_ensure, demo_user_ensure
from resellers.identifiers import company_name_key
from resellers.models import Reseller, User
from statements.models import PaymentStatement
from statements.services import payment_documents_issue

REVIEWERS_GROUP = "Reviewers"
# Companies that only exist to hold claims in more states than one company
# can on a one-claim-per-company offer.
OTHER_COMPANIES = [
    ("Fjällsoft AB", "5566141239", "demo@fjallsoft.example"),
    ("Skärgårdsdata AB", "5590123450", "demo@skargardsdata.example"),
    ("Vänerlicens AB", "5566778816", "demo@vanerlicens.example"),
]
# One target state per (company, offer) pair, in order.
# Nordlicens (the first company) takes indexes 0, 4 and 8: an invoice request,
# a rejection it can dispute, and a claim in review.
CLAIM_STATES = [
    Claim.Status.INFO_REQUESTED,
    Claim.Status.IN_REVIEW,
    Claim.Status.SUBMITTED,
    Claim.Status.APPROVED,
    Claim.Status.REJECTED,
    Claim.Status.DISPUTED,
    Claim.Status.WITHDRAWN,
]
PAYOUTS_OFFER_SLUG = "payouts-demo"
# The payout the demo shows paid, with its statement and VAT document.
PAID_DEMO_PAYOUT = "CB-DEMO-P006"
# The company of the demo's failed payout: the bank refuses its account, which
# sends every other unpaid payout on that account back to waiting (issue 15).
REFUSED_COMPANY = ("Kustlicens AB", "5566200019", "demo@kustlicens.example")


@dataclass
class DemoSeed:
    """What a run did: the log-ins to print and how many rows it created."""

    logins: dict[str, str] = field(default_factory=dict)  # e-mail -> role
    created: int = 0

    def login(self, role: str, email: str) -> None:
        self.logins.setdefault(email, role)


def demo_seed() -> DemoSeed:
    """Create whatever part of the demo is missing, in dependency order."""
    seed = DemoSeed()
    logins, created = resellers_demo.seed()
    for role, email in logins:
        seed.login(role, email)
    seed.created += created
    seed.created += offers_demo.seed()
    _claims_seed(seed)
    _payouts_seed(seed)
    _statements_seed(seed)
    return seed


def _user(seed: DemoSeed, **fields) -> User:
    user, created = demo_user_ensure(**fields)
    seed.created += created
    return user


def _claims_seed(seed: DemoSeed) -> None:
    """Claims in every state on the demo catalogue's offers."""
    reviewer = _user(
        seed,
        email="reviewer@vendor.example",
        is_staff=True,
        groups=(REVIEWERS_GROUP,),
        first_name="Rut",
        last_name="Reviewer",
    )
    seed.login("Reviewer (admin, Reviewers group)", reviewer.email)
    # The group's permissions come with migrations; a flushed test database has
    # none, and the review services check the permission, so grant it here too.
    review = Permission.objects.get(
        codename="review_claim", content_type__app_label="claims"
    )
    reviewers, _created = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    if not reviewers.permissions.filter(pk=review.pk).exists():
        reviewers.permissions.add(review)
        reviewer.groups.add(reviewers)
    nordlicens, _created = demo_reseller_ensure()
    anna = User.objects.get(email="anna@nordlicens.se")
    companies = [(nordlicens, anna)]
    for legal_name, org_number, email in OTHER_COMPANIES:
        company = _company(seed, legal_name, org_number)
        companies.append((company, _company_admin(seed, email, company)))
    slugs = [spec["slug"] for spec in offers_demo.OFFERS]
    offers = sorted(Offer.objects.filter(slug__in=slugs), key=lambda o: o.pk)
    pairs = [(company, offer) for offer in offers for company in companies]
    for index, ((company, user), offer) in enumerate(pairs):
        numbers, created = claims_demo.demo_ledger_rows_ensure(offer, index, company)
        seed.created += created
        seed.created += claims_demo.demo_claim_ensure(
            reseller=company,
            user=user,
            offer=offer,
            numbers=numbers,
            state=CLAIM_STATES[index % len(CLAIM_STATES)],
            reviewer=reviewer,
        )


def _company_admin(seed: DemoSeed, email: str, company: Reseller) -> User:
    """The company's demo user, its admin: every demo company has someone who
    may give its bank details (issue 27; a demo seeded before is mended)."""
    user = _user(
        seed,
        email=email,
        reseller=company,
        first_name="Demo",
        is_company_admin=True,
        member_approved_at=timezone.now(),
    )
    if not user.is_company_admin:
        user.is_company_admin = True
        user.member_approved_at = user.member_approved_at or timezone.now()
        user.save(update_fields=["is_company_admin", "member_approved_at"])
    return user


def _company(seed: DemoSeed, legal_name: str, org_number: str) -> Reseller:
    reseller = Reseller.objects.filter(country="SE", org_number=org_number).first()
    if reseller is None:
        reseller = Reseller.objects.create(
            legal_name=legal_name,
            normalized_name=company_name_key(legal_name),
            country="SE",
            org_number=org_number,
            street_address="Drottninggatan 1",
            postal_code="111 51",
            city="Stockholm",
            preferred_currency="SEK",
            preferred_language="sv",
        )
        seed.created += 1
    return reseller


def _payouts_seed(seed: DemoSeed) -> None:
    """Payouts in every state for Nordlicens AB, on an offer of their own; the
    failed one for a company of its own (REFUSED_COMPANY)."""
    operators = (
        _user(
            seed,
            email="operator1@vendor.example",
            is_staff=True,
            groups=(payout_services.OPERATORS_GROUP,),
            first_name="Olle",
            last_name="Operator",
        ),
        _user(
            seed,
            email="operator2@vendor.example",
            is_staff=True,
            groups=(payout_services.OPERATORS_GROUP,),
            first_name="Oda",
            last_name="Operator",
        ),
    )
    # As for the reviewers: a flushed test database has the group without the
    # permission its migration grants, and the demo's second operator confirms
    # the bank answers the first uploaded (four eyes, issue 27).
    confirm = Permission.objects.get(
        codename="confirm_bank_file", content_type__app_label="payouts"
    )
    group, _created = Group.objects.get_or_create(name=payout_services.OPERATORS_GROUP)
    if not group.permissions.filter(pk=confirm.pk).exists():
        group.permissions.add(confirm)
        group.user_set.add(*operators)
    seed.login("Operator who builds batches", operators[0].email)
    seed.login("Operator who releases batches", operators[1].email)
    reseller, _created = demo_reseller_ensure()
    user = User.objects.get(email="anna@nordlicens.se")
    legal_name, org_number, email = REFUSED_COMPANY
    refused = _company(seed, legal_name, org_number)
    refused_user = _user(
        seed,
        email=email,
        reseller=refused,
        first_name="Demo",
        is_company_admin=True,
    )
    offer = _payouts_offer(seed)
    opened = False
    waiting = {
        payouts_demo.S.AWAITING_BANK_DETAILS,
        "reminded",
        payouts_demo.S.FORFEITED,
    }
    # The waiting ones last: a company's new bank details move every payout of
    # it that waits (R20), so they are opened once the details are in.
    for reference, target in sorted(
        payouts_demo.DEMO_PAYOUTS, key=lambda pair: pair[1] in waiting
    ):
        if Claim.objects.filter(reference=reference).exists():
            continue
        with transaction.atomic():
            # A sale today keeps the "ready" payout inside its return period.
            ready = target == payouts_demo.S.READY
            sale_date = dt.date.today() if ready else dt.date(2026, 5, 15)
            company, member = (
                (refused, refused_user)
                if target == payouts_demo.DEMO_FAILED
                else (reseller, user)
            )
            claim = _approved_claim(reference, company, member, offer, sale_date)
            payout = payout_services.payout_open(claim=claim)
            payouts_demo.demo_payout_advance(payout, target, member, operators)
        seed.created += 1
        opened = True
    if opened:
        # The sweep sends the reminders and forfeits the window the demo's new
        # payouts were shaped for; an untouched demo has nothing due.
        payout_services.payouts_send_reminders()
    seed.login("Reseller with payouts", user.email)
    seed.login("Reseller whose bank refused the account", refused_user.email)


def _statements_seed(seed: DemoSeed) -> None:
    """The demo's paid payout with its statement and credit note (R25), whether
    or not a worker ran the task its booking enqueued. Only that payout's: a
    payment someone made in the demo got its documents from that task."""
    lines = BatchPayment.objects.filter(
        payout__claim__reference=PAID_DEMO_PAYOUT, answer=BatchPayment.Answer.BOOKED
    ).values_list("payout_id", "batch_id")
    for payout_id, batch_id in lines:
        if PaymentStatement.objects.filter(
            payout_id=payout_id, batch_id=batch_id
        ).exists():
            continue
        payment_documents_issue(payout_id=payout_id, batch_id=batch_id)
        seed.created += 2


def _payouts_offer(seed: DemoSeed) -> Offer:
    offer = Offer.objects.filter(slug=PAYOUTS_OFFER_SLUG).first()
    if offer is not None:
        return offer
    offer = Offer.objects.create(
        slug=PAYOUTS_OFFER_SLUG,
        title_en="Cloud Open payouts demo",
        title_sv="Cloud Open utbetalningsdemo",
        status=Offer.Status.ARCHIVED,
        sale_starts_on=dt.date(2026, 1, 1),
        sale_ends_on=dt.date(2026, 6, 30),
        claim_opens_on=dt.date(2026, 2, 1),
        claim_closes_on=dt.date(2026, 7, 31),
        calculation_date=dt.date(2026, 8, 31),
        territories=["SE"],
        claim_mode=Offer.ClaimMode.ONE_PER_SALE,
        reward_basis=Offer.RewardBasis.PERCENT_OF_REVENUE,
        reward_value=Decimal("10"),
        reward_currency="SEK",
        payout_currencies=["SEK", "EUR"],
    )
    Terms.objects.create(
        offer=offer,
        version=1,
        text_en="Demo terms.",
        text_sv="Demovillkor.",
        published_at=timezone.now(),
    )
    seed.created += 2
    return offer


def _approved_claim(
    reference: str, reseller: Reseller, user: User, offer: Offer, sale_date: dt.date
) -> Claim:
    """An approved one-sale claim written directly: the demo offer is archived."""
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
    now = timezone.now()
    claim = Claim.objects.create(
        reference=reference,
        reseller=reseller,
        offer=offer,
        claim_mode=offer.claim_mode,
        submitted_by=user,
        terms=offer.terms.order_by("-version").first(),
        terms_accepted_at=now,
        status=Claim.Status.APPROVED,
        reward_amount=Decimal("2500.00"),
        reward_currency="SEK",
        decided_at=now,
    )
    claim.agreements.create(offer=offer, agreement_number=number)
    # Its timeline as a filed and approved claim's reads (issue 28: the demo's
    # approved claims showed an empty one).
    ClaimEvent.objects.bulk_create(
        [
            ClaimEvent(
                claim=claim,
                kind=ClaimEvent.Kind.FILED,
                to_status="submitted",
                actor=user,
            ),
            ClaimEvent(
                claim=claim,
                kind=ClaimEvent.Kind.APPROVED,
                from_status="submitted",
                to_status=Claim.Status.APPROVED,
            ),
        ]
    )
    return claim
