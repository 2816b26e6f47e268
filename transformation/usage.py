"""Whether each use case of the capability model is in use in a workspace: a look at its
configuration or its activity through the product modules' selectors. "In use" means the workspace
has set it up or it has produced something; it says nothing about how well it works (the KPIs do).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

import ads.selectors as ads_selectors
import care.selectors as care_selectors
import listening.selectors as listening_selectors
import publishing.selectors as publishing_selectors
from cxm.audit import selectors as audit_selectors
from cxm.customers import selectors as customer_selectors
from transformation.capabilities import Capability

ACTIVITY_DAYS = 90  # listening counts as in use with a mention this recent


def _care(workspace, key: str, cache: dict[str, Any]) -> bool:
    if "care" not in cache:
        cache["care"] = care_selectors.care_usage(workspace=workspace)
    return cache["care"][key]


CHECKS: dict[str, Callable[[Any, dict[str, Any]], bool]] = {
    "topics": lambda ws, cache: listening_selectors.topics(workspace=ws).exists(),
    "alerts": lambda ws, cache: listening_selectors.alerts(workspace=ws).exists(),
    "mentions": lambda ws, cache: listening_selectors.mentions_exist(
        workspace_id=ws.pk, since=timezone.now() - timedelta(days=ACTIVITY_DAYS)
    ),
    "cases": lambda ws, cache: _care(ws, "cases", cache),
    "csat": lambda ws, cache: _care(ws, "csat", cache),
    "macros": lambda ws, cache: care_selectors.macros(workspace=ws).exists(),
    "rules": lambda ws, cache: care_selectors.rules(workspace=ws).filter(is_active=True).exists(),
    "case_types": lambda ws, cache: care_selectors.case_types(workspace=ws).exists(),
    "posts": lambda ws, cache: publishing_selectors.posts_list(workspace=ws).exists(),
    "post_variants": lambda ws, cache: (
        publishing_selectors.posts_list(workspace=ws).exclude(variants={}).exists()
    ),
    "pauses": lambda ws, cache: bool(publishing_selectors.pauses_history(workspace=ws, limit=1)),
    "profiles": lambda ws, cache: customer_selectors.customers_search(workspace=ws).exists(),
    "merges": lambda ws, cache: (
        customer_selectors.customers_search(workspace=ws, include_merged=True)
        .filter(merged_into__isnull=False)
        .exists()
    ),
    "ad_campaigns": lambda ws, cache: ads_selectors.campaigns(workspace=ws).exists(),
    "ad_insights": lambda ws, cache: ads_selectors.insights(workspace=ws).exists(),
    "ad_comments": lambda ws, cache: bool(ads_selectors.ad_comments(workspace=ws, limit=1)),
    "audit": lambda ws, cache: audit_selectors.audit_entries(workspace=ws).exists(),
}


def _url(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def use_cases_in_use(*, workspace, capability: Capability) -> list[dict[str, Any]]:
    """The capability's use cases, each with `in_use` and the `url` of the page that delivers it."""
    cache: dict[str, Any] = {}
    rows = []
    for use_case in capability.use_cases:
        check = CHECKS[use_case.check]
        rows.append(
            {
                "key": use_case.key,
                "name": use_case.name,
                "check": use_case.check,
                "in_use": check(workspace, cache),
                "url": _url(use_case.url_name),
            }
        )
    return rows
