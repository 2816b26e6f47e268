"""What several ads pages share: the campaign of a URL, a number from one, a service's errors
on a form, comment totals, the insights chart."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404

from ads.models import AdCampaign


def campaign_or_404(request, campaign_id: int) -> AdCampaign:
    return get_object_or_404(AdCampaign.objects.for_workspace(request.workspace), pk=campaign_id)


def int_or_404(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def form_errors_add(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form when it has none)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def comment_totals(stats: list[dict]) -> dict:
    comments_total = sum(s["comments"] for s in stats)
    negative = sum(s["negative"] for s in stats)
    return {
        "comments": comments_total,
        "negative": negative,
        "negative_share": round(negative / comments_total, 3) if comments_total else None,
        "unanswered": sum(s["unanswered"] for s in stats),
    }


def insights_chart(series: list[dict]) -> dict:
    return {
        "days": [row["key"] for row in series],
        "spend": [row["spend_display"] for row in series],
        "value": [row["conversion_value_display"] for row in series],
        "roas": [row["roas"] for row in series],
        "clicks": [row["clicks"] for row in series],
    }
