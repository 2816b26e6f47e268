"""What works: the top posts by engagement and the best hours to publish."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from publishing import selectors
from publishing.views.common import publishing_view, viewer_zone


def _heat_step(value: float | None, peak: float) -> int:
    """0-10: the cell's shade as a class, since the page's CSP allows no style attributes."""
    return 0 if value is None else round(value / peak * 10)


def _heatmap(grid: list[list[float | None]]) -> list[dict]:
    peak = max((value for row in grid for value in row if value is not None), default=0) or 1
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return [
        {
            "weekday": weekdays[index],
            "cells": [
                {"hour": hour, "value": value, "step": _heat_step(value, peak)}
                for hour, value in enumerate(row)
            ],
        }
        for index, row in enumerate(grid)
    ]


@publishing_view("publishing.view")
def what_works(request):
    workspace = request.workspace
    zone = viewer_zone(request)
    context = {
        "top": selectors.top_posts(workspace=workspace),
        "heatmap": _heatmap(selectors.best_hours(workspace=workspace, time_zone=str(zone))),
        "hours": range(24),
        "zone": str(zone),
    }
    return render(request, "publishing/what_works.html", context)
