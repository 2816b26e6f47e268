"""Every KPI the capability model measures. The exact definition of each (numerator, denominator,
window, filters) is written in docs/transformation.md; keep the two in step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.utils.translation import gettext_lazy as _

Status = Literal["ok", "insufficient", "no_data"]

MIN_N = 30


@dataclass(frozen=True)
class Scope:
    """What to measure: one workspace, optionally one business unit or brand, over [since, until)."""

    workspace_id: int
    until: datetime
    days: int = 28
    business_unit_id: int | None = None
    brand_id: int | None = None

    @property
    def since(self) -> datetime:
        return self.until - timedelta(days=self.days)

    def with_days(self, days: int) -> Scope:
        return Scope(self.workspace_id, self.until, days, self.business_unit_id, self.brand_id)

    def previous(self) -> Scope:
        """The period of the same length just before this one."""
        return Scope(self.workspace_id, self.since, self.days, self.business_unit_id, self.brand_id)


@dataclass(frozen=True)
class KpiDef:
    key: str
    capability: str
    name: str
    unit: str  # "%", "minutes", "hours", "days", "seconds", "count", "x" (a ratio such as ROAS), "score"
    better: Literal["higher", "lower"]
    source: str  # module of transformation.kpis that measures it
    window_days: int = 28
    weight: float = 1.0
    min_n: int = MIN_N


@dataclass(frozen=True)
class KpiResult:
    """One KPI's figure. `value` is None unless there is data and n reaches the KPI's minimum;
    `excluded` counts items too young to judge, left out of n. Times carry the median in `value`,
    the mean in `mean`, and the same two in business hours."""

    value: float | None
    n: int
    excluded: int = 0
    mean: float | None = None
    business_value: float | None = None
    business_mean: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    status: Status = "ok"

    @classmethod
    def measured(cls, kpi: KpiDef, value: float | None, n: int, **extra: Any) -> KpiResult:
        """The honest wrapper every source uses: no data is never 0, small n is never a number."""
        if n <= 0 or value is None:
            return cls(value=None, n=max(n, 0), status="no_data", **_blank_figures(extra))
        if n < kpi.min_n:
            return cls(value=None, n=n, status="insufficient", **_blank_figures(extra))
        return cls(value=value, n=n, status="ok", **extra)


def _blank_figures(extra: dict[str, Any]) -> dict[str, Any]:
    kept = dict(extra)
    for name in ("mean", "business_value", "business_mean"):
        kept.pop(name, None)
    return kept


KPIS: tuple[KpiDef, ...] = (
    # heard
    KpiDef("heard_answered_share", "heard", _("Inbound items answered"), "%", "higher", "care", weight=2),
    KpiDef("heard_first_response", "heard", _("Median first response time"), "minutes", "lower", "care"),
    KpiDef("heard_unanswered_24h", "heard", _("Unanswered after 24 h"), "count", "lower", "care"),
    # enjoy
    KpiDef("enjoy_csat", "enjoy", _("CSAT average"), "score", "higher", "care", weight=2),
    KpiDef("enjoy_csat_response_rate", "enjoy", _("CSAT response rate"), "%", "higher", "care"),
    KpiDef("enjoy_net_sentiment", "enjoy", _("Net sentiment"), "%", "higher", "listening"),
    KpiDef("enjoy_resolution_time", "enjoy", _("Median time to resolution"), "hours", "lower", "care"),
    # remembered
    KpiDef(
        "remembered_reply_language",
        "remembered",
        _("Replies in the customer's language"),
        "%",
        "higher",
        "care",
    ),
    KpiDef(
        "remembered_variant_share",
        "remembered",
        _("Posts with language or segment variants"),
        "%",
        "higher",
        "publishing",
    ),
    KpiDef(
        "remembered_engagement_rate",
        "remembered",
        _("Engagement rate of published posts"),
        "%",
        "higher",
        "publishing",
    ),
    # recognised
    KpiDef(
        "recognised_known_customer",
        "recognised",
        _("Cases linked to a known customer"),
        "%",
        "higher",
        "care",
    ),
    KpiDef(
        "recognised_unified_profiles",
        "recognised",
        _("Profiles unified across channels"),
        "%",
        "higher",
        "customers",
    ),
    KpiDef(
        "recognised_repeat_contacts", "recognised", _("Repeat contacts within 7 days"), "%", "lower", "care"
    ),
    # proud
    KpiDef(
        "proud_advocates", "proud", _("Advocates"), "count", "higher", "listening", window_days=90, min_n=1
    ),
    KpiDef(
        "proud_advocate_growth",
        "proud",
        _("Advocate growth"),
        "%",
        "higher",
        "listening",
        window_days=90,
        min_n=1,
    ),
    KpiDef(
        "proud_positive_earned",
        "proud",
        _("Positive share of earned mentions"),
        "%",
        "higher",
        "listening",
        weight=2,
    ),
    # smarter
    KpiDef(
        "smarter_first_contact_resolution",
        "smarter",
        _("First-contact resolution"),
        "%",
        "higher",
        "care",
        weight=2,
    ),
    KpiDef(
        "smarter_alerts_in_target",
        "smarter",
        _("Alerts acknowledged within target"),
        "%",
        "higher",
        "trust",
        min_n=5,
    ),
    KpiDef(
        "smarter_guided_resolution",
        "smarter",
        _("Cases resolved with a macro or guided workflow"),
        "%",
        "higher",
        "care",
    ),
    # relevant
    KpiDef("relevant_roas", "relevant", _("Return on ad spend"), "x", "higher", "ads", weight=2),
    KpiDef("relevant_ctr", "relevant", _("Click-through rate"), "%", "higher", "ads"),
    KpiDef(
        "relevant_ad_comments_answered", "relevant", _("Comments on ads answered"), "%", "higher", "listening"
    ),
    KpiDef(
        "relevant_ad_comments_negative",
        "relevant",
        _("Negative share of comments on ads"),
        "%",
        "lower",
        "listening",
    ),
    # respected
    KpiDef(
        "respected_privacy_days",
        "respected",
        _("Days to complete data-subject requests"),
        "days",
        "lower",
        "trust",
        window_days=365,
        min_n=1,
    ),
    KpiDef(
        "respected_audited_share",
        "respected",
        _("Sensitive actions audited"),
        "%",
        "higher",
        "trust",
        weight=2,
        min_n=1,
    ),
    KpiDef(
        "respected_pause_seconds",
        "respected",
        _("Pause request to every publisher stopped"),
        "seconds",
        "lower",
        "trust",
        window_days=3650,
        min_n=1,
    ),
)

BY_KEY: dict[str, KpiDef] = {k.key: k for k in KPIS}


def kpis_of(capability: str) -> list[KpiDef]:
    return [k for k in KPIS if k.capability == capability]
