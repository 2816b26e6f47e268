"""Care reports: first response and resolution times, backlog, CSAT and the share of inbound
answered, for the last 7, 30 or 90 days, as numbers and charts."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from care import selectors
from care.views.common import workspace_context
from cxm.replica import read_alias
from cxm.tenancy.decorators import workspace_view

PERIODS = (7, 30, 90)


@workspace_view("care.reports")
def index(request):
    try:
        days = int(request.GET.get("days") or 30)
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    until = timezone.now()
    since = until - timedelta(days=days)
    zone = timezone.get_current_timezone_name()
    using = read_alias(reader=request.user)
    metrics = selectors.care_metrics(workspace=request.workspace, since=since, until=until, using=using)
    report = selectors.care_report(
        workspace=request.workspace, since=since, until=until, tz=zone, using=using
    )
    return render(
        request,
        "care/reports.html",
        {
            **workspace_context(request),
            "section": "reports",
            "days": days,
            "periods": PERIODS,
            "metrics": metrics,
            "chart_data": {**report, "backlog": metrics["backlog"]},
        },
    )
