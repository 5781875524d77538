"""Exchange rates for paying in another currency, under a second operator."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ExchangeRateQuerySet(models.QuerySet):
    def awaiting_second_operator(self) -> "ExchangeRateQuerySet":
        """Rates entered too far from the pair's previous one, not confirmed yet."""
        return self.filter(confirmation_required=True, confirmed_at__isnull=True)

    def usable(self) -> "ExchangeRateQuerySet":
        """Rates a payout may be converted with: every rate but those above."""
        return self.filter(
            Q(confirmation_required=False) | Q(confirmed_at__isnull=False)
        )


class ExchangeRate(models.Model):
    """Units of `quote_currency` for one unit of `base_currency` on a date.

    A rate too far from the pair's previous one (or the pair's first) waits for
    a second operator before a payout may use it (payouts.services.rates).
    """

    base_currency = models.CharField(_("from currency"), max_length=3)
    quote_currency = models.CharField(_("to currency"), max_length=3)
    rate_date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    confirmation_required = models.BooleanField(
        _("needs a second operator"), default=False
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    objects = ExchangeRateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-rate_date", "base_currency", "quote_currency"]
        permissions = [
            (
                "confirm_exchange_rate",
                "Can confirm an exchange rate another operator entered",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["base_currency", "quote_currency", "rate_date"],
                name="exchange_rate_unique_day",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0), name="exchange_rate_positive"
            ),
            # Four eyes: whoever entered a rate cannot confirm it.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True)
                | ~Q(confirmed_by=F("entered_by")),
                name="exchange_rate_confirmed_by_another",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.base_currency}/{self.quote_currency} {self.rate_date}: {self.rate}"
        )
