"""The filter backend for every list: django-filter, plus refusing a yes/no filter whose value is
neither yes nor no (django-filter alone would quietly ignore it and answer everything) and an id
filter whose value is not a whole number (django-filter would compare 0.5 with the ids)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _
from django_filters import BooleanFilter, IsoDateTimeFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

BOOLEAN_VALUES = {"true", "false", "True", "False", "1", "0"}


def filter_values_check(filterset, query_params) -> None:
    """Refuse yes/no and id filters given another value; django-filter would ignore them."""
    invalid = {}
    for name, declared in filterset.filters.items():
        value = query_params.get(name)
        if value is None:
            continue
        if isinstance(declared, BooleanFilter) and value not in BOOLEAN_VALUES:
            invalid[name] = [_("Give true or false.")]
        # Every number filter here is an id.
        elif isinstance(declared, NumberFilter) and value and not value.lstrip("-").isdigit():
            invalid[name] = [_("Give an id (a whole number).")]
    if invalid:
        raise exceptions.ValidationError(invalid)


class UtcDateTimeFilter(IsoDateTimeFilter):
    """ISO 8601 allows offsets PostgreSQL refuses (beyond ±15:59): compare in UTC, and read a
    moment past the calendar's end in UTC as its end."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                edge = datetime.max if value.utcoffset() < timedelta(0) else datetime.min
                value = edge.replace(tzinfo=UTC)
        return super().filter(qs, value)


class FilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            filter_values_check(filterset, request.query_params)
        return filterset
