"""The reviewers' queue's filters."""

import datetime as dt

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from ..queue import AGE_BUCKETS, waiting_age_q


class CountryFilter(admin.SimpleListFilter):
    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        # The resellers' countries, not a DISTINCT over millions of claims;
        # order_by() drops the model's ordering, which would repeat a country
        # once per company name in the DISTINCT.
        from resellers.models import Reseller

        codes = Reseller.objects.order_by().values_list("country", flat=True).distinct()
        return sorted(
            ((code, countries.name(code)) for code in set(codes) if code),
            key=lambda pair: str(pair[1]),
        )

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(reseller__country=self.value())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("week", _("Under 7 days")),
            ("month", _("7 to 30 days")),
            ("older", _("Over 30 days")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        week, month = now - dt.timedelta(days=7), now - dt.timedelta(days=30)
        if self.value() == "week":
            return queryset.filter(created_at__gte=week)
        if self.value() == "month":
            return queryset.filter(created_at__lt=week, created_at__gte=month)
        if self.value() == "older":
            return queryset.filter(created_at__lt=month)
        return queryset


class WaitingFilter(admin.SimpleListFilter):
    """Claims waiting for a reviewer by age, as the admin dashboard counts them."""

    title = _("waiting for review")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [(key, label) for key, label, _start, _end in AGE_BUCKETS]

    def queryset(self, request, queryset):
        if self.value() in {key for key, *_rest in AGE_BUCKETS}:
            return queryset.filter(waiting_age_q(self.value(), timezone.now()))
        return queryset
