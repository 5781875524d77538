"""Demo data for the offer catalogue: products, licence types, segments and offers.

The seed's own offer ("10@5 Cloud Open Promotion", long closed) and two offers
open on the demo day (2026-11-26) with different claim modes, reward rules and
territories. Re-running changes nothing: rows are found by SKU, code and slug,
and an offer's terms are published only when the offer is created.
"""

import datetime as dt
from decimal import Decimal

from .models import CustomerSegment, LicenceType, Offer, Product
from .services import offer_publish, terms_publish

NORDICS = ["SE", "NO", "DK", "FI", "IS"]

PRODUCTS = [
    ("CLOUD-SUITE-E3", "Cloud Suite E3", "Cloud Suite", Product.Deployment.CLOUD),
    ("CLOUD-SUITE-E5", "Cloud Suite E5", "Cloud Suite", Product.Deployment.CLOUD),
    ("CLOUD-CRM", "Cloud CRM Online", "Cloud CRM", Product.Deployment.CLOUD),
    ("SRV-STD", "Server Standard", "Server", Product.Deployment.ON_PREMISES),
    ("OFFICE-PRO", "Office Professional", "Office", Product.Deployment.ON_PREMISES),
]
LICENCE_TYPES = [
    ("OPEN_LICENSE", "Open License"),
    ("OPEN_VALUE", "Open Value"),
    ("OPEN_VALUE_SUBSCRIPTION", "Open Value Subscription"),
]
SEGMENTS = [
    ("COMMERCIAL", "Commercial"),
    ("GOVERNMENT", "Government"),
    ("EDUCATION", "Education"),
    ("CHARITY", "Charity"),
]

TERMS_EN = (
    "1. The reward is paid only for eligible sales that meet every criterion of "
    "this offer.\n2. The vendor reviews every claim and may ask for a copy of the "
    "customer invoice.\n3. Bank details must be submitted or confirmed within the "
    "bank-details term after the notice, or the reward is forfeited after the "
    "last reminder.\n4. Payment is made by wire transfer to an account in the "
    "reseller company's own name."
)
TERMS_SV = (
    "1. Ersättning betalas endast för berättigad försäljning som uppfyller alla "
    "kriterier i erbjudandet.\n2. Leverantören granskar varje anspråk och kan be "
    "om en kopia av kundfakturan.\n3. Bankuppgifter ska lämnas eller bekräftas "
    "inom fristen efter meddelandet, annars förverkas ersättningen efter den "
    "sista påminnelsen.\n4. Betalning sker via banköverföring till ett konto i "
    "återförsäljarföretagets eget namn."
)

OFFERS = [
    {
        "slug": "10at5-cloud-open",
        "title_en": "10@5 Cloud Open Promotion",
        "title_sv": "10@5 Cloud Open-kampanj",
        "description_en": (
            "10 % back on Cloud Open sales of at least 5 seats. One claim covers "
            "all your eligible sales; file it before 15 December 2015."
        ),
        "description_sv": (
            "10 % tillbaka på Cloud Open-försäljning om minst 5 licenser. Ett "
            "anspråk täcker all er berättigade försäljning; skicka in det före "
            "den 15 december 2015."
        ),
        "sale_starts_on": dt.date(2015, 7, 1),
        "sale_ends_on": dt.date(2015, 12, 31),
        "claim_opens_on": dt.date(2015, 7, 1),
        "claim_closes_on": dt.date(2015, 12, 14),
        "calculation_date": dt.date(2016, 1, 31),
        "territories": ["SE"],
        "min_seats_per_agreement": 5,
        "excluded_program": "MRI",
        "excluded_from": dt.date(2015, 7, 1),
        "excluded_until": dt.date(2015, 12, 31),
        "claim_mode": Offer.ClaimMode.ONE_PER_RESELLER,
        "reward_basis": Offer.RewardBasis.PERCENT_OF_REVENUE,
        "reward_value": Decimal("10"),
        "reward_currency": "SEK",
        "payout_currencies": ["SEK", "EUR"],
        "products": ["CLOUD-SUITE-E3", "CLOUD-SUITE-E5", "CLOUD-CRM"],
        "licence_types": ["OPEN_LICENSE", "OPEN_VALUE"],
        "segments": [],
    },
    {
        "slug": "nordic-cloud-growth-2026",
        "title_en": "Nordic Cloud Growth Bonus 2026",
        "title_sv": "Nordisk molntillväxtbonus 2026",
        "description_en": (
            "SEK 500 for every net new cloud customer you win in the second half "
            "of 2026. One claim covers all your sales."
        ),
        "description_sv": (
            "500 kr för varje ny molnkund netto som ni vinner under andra halvåret "
            "2026. Ett anspråk täcker all er försäljning."
        ),
        "sale_starts_on": dt.date(2026, 7, 1),
        "sale_ends_on": dt.date(2026, 12, 31),
        "claim_opens_on": dt.date(2026, 9, 1),
        "claim_closes_on": dt.date(2027, 1, 31),
        "calculation_date": dt.date(2027, 2, 28),
        "territories": NORDICS,
        "min_net_new_customers": 2,
        "excluded_program": "MRI",
        "excluded_from": dt.date(2026, 7, 1),
        "excluded_until": dt.date(2026, 12, 31),
        "claim_mode": Offer.ClaimMode.ONE_PER_RESELLER,
        "reward_basis": Offer.RewardBasis.AMOUNT_PER_NEW_CUSTOMER,
        "reward_value": Decimal("500"),
        "reward_cap": Decimal("50000"),
        "reward_currency": "SEK",
        "payout_currencies": ["SEK", "NOK", "DKK", "EUR"],
        "products": ["CLOUD-SUITE-E3", "CLOUD-SUITE-E5", "CLOUD-CRM"],
        "licence_types": ["OPEN_VALUE_SUBSCRIPTION", "OPEN_VALUE"],
        "segments": ["COMMERCIAL", "EDUCATION"],
    },
    {
        "slug": "open-value-seat-rebate",
        "title_en": "Open Value Seat Rebate",
        "title_sv": "Open Value-rabatt per licens",
        "description_en": (
            "EUR 20 back for every seat of an Open Value agreement of 10 seats or "
            "more. File one claim for each agreement."
        ),
        "description_sv": (
            "20 EUR tillbaka för varje licens i ett Open Value-avtal om minst 10 "
            "licenser. Skicka in ett anspråk för varje avtal."
        ),
        "sale_starts_on": dt.date(2026, 10, 1),
        "sale_ends_on": dt.date(2027, 3, 31),
        "claim_opens_on": dt.date(2026, 10, 15),
        "claim_closes_on": dt.date(2027, 4, 30),
        "calculation_date": dt.date(2027, 5, 31),
        "territories": [*NORDICS, "DE", "GB"],
        "min_seats_per_agreement": 10,
        "claim_mode": Offer.ClaimMode.ONE_PER_SALE,
        "reward_basis": Offer.RewardBasis.AMOUNT_PER_SEAT,
        "reward_value": Decimal("20"),
        "reward_currency": "EUR",
        "payout_currencies": ["EUR", "SEK", "GBP"],
        "return_period_days": 45,
        "products": ["SRV-STD", "OFFICE-PRO", "CLOUD-SUITE-E3"],
        "licence_types": ["OPEN_VALUE", "OPEN_VALUE_SUBSCRIPTION"],
        "segments": [],
    },
]


def seed() -> int:
    """Create the demo catalogue's missing rows; an existing product, licence
    type, segment or offer is left as it is, whatever was done to it since.
    Returns how many rows it created."""
    created = 0

    def ensure(model, lookup: dict, defaults: dict):
        nonlocal created
        row, new = model.objects.get_or_create(**lookup, defaults=defaults)
        created += new
        return row

    products = {
        sku: ensure(
            Product, {"sku": sku}, {"name": name, "family": family, "deployment": kind}
        )
        for sku, name, family, kind in PRODUCTS
    }
    licence_types = {
        code: ensure(LicenceType, {"code": code}, {"name": name})
        for code, name in LICENCE_TYPES
    }
    segments = {
        code: ensure(CustomerSegment, {"code": code}, {"name": name})
        for code, name in SEGMENTS
    }
    for spec in OFFERS:
        fields = dict(spec)
        slug = fields.pop("slug")
        product_skus = fields.pop("products")
        licence_codes = fields.pop("licence_types")
        segment_codes = fields.pop("segments")
        if Offer.objects.filter(slug=slug).exists():
            continue
        offer = Offer.objects.create(slug=slug, **fields)
        created += 1
        offer.products.set(products[sku] for sku in product_skus)
        offer.licence_types.set(licence_types[c] for c in licence_codes)
        offer.segments.set(segments[c] for c in segment_codes)
        terms_publish(offer=offer, text_en=TERMS_EN, text_sv=TERMS_SV, actor=None)
        offer_publish(offer=offer, actor=None)
    return created
