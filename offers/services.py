"""Writes to the offer catalogue: terms versions, publishing and archiving.

Each function is one transaction and locks the offer row, so two program
managers acting at once cannot number two terms versions alike or publish an
offer while its terms are being replaced. Offer history (who, when, what) is
recorded by django-simple-history on every save.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Offer, Terms
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


def terms_publish(*, offer: Offer, text_en: str, text_sv: str) -> Terms:
    """Add the next terms version of the offer; earlier versions stay as they were."""
    errors = {}
    if not text_en.strip():
        errors["text_en"] = [_("Write the terms in English.")]
    if not text_sv.strip():
        errors["text_sv"] = [_("Write the terms in Swedish.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The lock serialises numbering: the unique constraint would otherwise
        # turn a race between two managers into an error for one of them.
        Offer.objects.select_for_update().only("pk").get(pk=offer.pk)
        latest = offer.terms.aggregate(latest=Max("version"))["latest"] or 0
        return Terms.objects.create(
            offer=offer,
            version=latest + 1,
            text_en=text_en.strip(),
            text_sv=text_sv.strip(),
            published_at=timezone.now(),
        )


def offer_publish(*, offer: Offer) -> Offer:
    """Publish a draft or archived offer once it is complete and its dates agree.

    Raises ValidationError with a message per field to correct. Publishing a
    published offer changes nothing.
    """
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == Offer.Status.PUBLISHED:
            return locked
        errors = offer_publish_errors(locked, has_terms=locked.terms.exists())
        if errors:
            raise ValidationError(errors)
        locked.status = Offer.Status.PUBLISHED
        locked.save(update_fields=["status", "updated_at"])
    offer.status = locked.status
    return locked


def offer_archive(*, offer: Offer) -> Offer:
    """Take an offer off the portal; its claims and terms stay as they are."""
    with transaction.atomic():
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        if locked.status == Offer.Status.ARCHIVED:
            return locked
        locked.status = Offer.Status.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
    offer.status = locked.status
    return locked
