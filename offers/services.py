"""Writes to the offer catalogue: terms versions, publishing and archiving.

Each function is one transaction and locks the offer row, so two program
managers acting at once cannot number two terms versions alike or publish an
offer while its terms are being replaced. Each change writes an OfferEvent
with its actor; a publish or an archive writes the status through the kernel's
`status_move` (the offer's small state machine lives here). Field history is
recorded by django-simple-history on every save. A refusal is an
`OfferError` with a code and its messages by field.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cashback.transitions import status_move
from resellers.models import User

from .errors import OfferError
from .models import Offer, OfferEvent, Terms
from .validators import offer_currency_errors, offer_date_errors


def offer_publish_errors(offer: Offer, *, has_terms: bool) -> dict[str, list[str]]:
    """Why the offer cannot be published, by field; empty when it can.

    Besides dates in order and real currencies, a published offer needs terms
    to accept (R8), a territory (R18), a payout currency to choose (R12) and a
    calculation date no earlier than the last sale it pays for.
    """
    errors = offer_date_errors(offer)

    def add(field: str, message) -> None:
        errors.setdefault(field, []).append(str(message))

    if not has_terms:
        add("terms", _("Add a terms version: resellers accept it when they claim."))
    if not offer.territories:
        add("territories", _("Choose at least one territory."))
    if (
        offer.calculation_date
        and offer.sale_ends_on
        and offer.calculation_date < offer.sale_ends_on
    ):
        add(
            "calculation_date",
            _("The calculation date cannot be before the sale period ends."),
        )
    if not offer.payout_currencies:
        add("payout_currencies", _("Offer at least one payout currency."))
    if not offer.reward_currency:
        add("reward_currency", _("Give the reward currency."))
    for field, messages in offer_currency_errors(offer).items():
        errors.setdefault(field, []).extend(messages)
    return errors


def terms_publish(
    *, offer: Offer, text_en: str, text_sv: str, actor: User | None
) -> Terms:
    """Add the next terms version of the offer; earlier versions stay as they were.

    `actor` is who published it (None only for the system, e.g. the demo).
    """
    errors = {}
    if not text_en.strip():
        errors["text_en"] = [_("Write the terms in English.")]
    if not text_sv.strip():
        errors["text_sv"] = [_("Write the terms in Swedish.")]
    if errors:
        raise OfferError.by_field(errors, code=OfferError.Code.TERMS_TEXT_REQUIRED)
    with transaction.atomic():
        # The lock serialises numbering: the unique constraint would otherwise
        # turn a race between two managers into an error for one of them.
        locked = Offer.objects.select_for_update().only("pk", "status").get(pk=offer.pk)
        latest = offer.terms.aggregate(latest=Max("version"))["latest"] or 0
        terms = Terms.objects.create(
            offer=offer,
            version=latest + 1,
            text_en=text_en.strip(),
            text_sv=text_sv.strip(),
            published_at=timezone.now(),
        )
        OfferEvent.objects.create(
            offer=offer,
            kind=OfferEvent.Kind.TERMS_PUBLISHED,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor,
            terms_version=terms.version,
        )
    return terms


def offer_publish(*, offer: Offer, actor: User | None) -> Offer:
    """Publish a draft or archived offer once it is complete and its dates agree.

    Raises OfferError with a message per field to correct. Publishing a
    published offer changes nothing.
    """
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == Offer.Status.PUBLISHED:
            return locked
        errors = offer_publish_errors(locked, has_terms=locked.terms.exists())
        if errors:
            raise OfferError.by_field(errors, code=OfferError.Code.NOT_PUBLISHABLE)
        status_move(
            locked,
            to=Offer.Status.PUBLISHED,
            event_model=OfferEvent,
            offer=locked,
            kind=OfferEvent.Kind.PUBLISHED,
            actor=actor,
        )
    offer.status = locked.status
    return locked


def offer_archive(*, offer: Offer, actor: User | None) -> Offer:
    """Take an offer off the portal; its claims and terms stay as they are."""
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == Offer.Status.ARCHIVED:
            return locked
        status_move(
            locked,
            to=Offer.Status.ARCHIVED,
            event_model=OfferEvent,
            offer=locked,
            kind=OfferEvent.Kind.ARCHIVED,
            actor=actor,
        )
    offer.status = locked.status
    return locked
