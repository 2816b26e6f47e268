"""Reads of API tokens: a user sees only their own."""

from __future__ import annotations

from django.db.models import QuerySet

from cxm.api.models import ApiToken


def api_tokens_of(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")
