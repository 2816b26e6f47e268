"""KPIs measured from listening's selectors: net sentiment, advocates, the positive share of earned
mentions and comments on ads. Definitions in docs/transformation.md."""

from __future__ import annotations

from django.utils import timezone

from listening import selectors as listening
from transformation.kpis.registry import KpiDef, KpiResult, Scope

# An advocate wrote at least this many positive mentions in the window.
ADVOCATE_POSITIVE_MENTIONS = 3


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _net(counts: dict[str, int]) -> float | None:
    return _percent(counts["positive"] - counts["negative"], counts["mentions"])


def measure(scope: Scope, kpis: list[KpiDef]) -> dict[str, KpiResult]:
    results: dict[str, KpiResult] = {}
    where = {"brand_id": scope.brand_id or None, "business_unit_id": scope.business_unit_id or None}
    wanted = {kpi.key: kpi for kpi in kpis}

    sentiment_keys = {"enjoy_net_sentiment", "proud_positive_earned"} & wanted.keys()
    if sentiment_keys:
        # Both KPIs share one window length in the registry (28 days); measured in one query.
        window = scope.with_days(wanted[min(sentiment_keys)].window_days)
        current, previous = listening.kpi_sentiment_counts(
            workspace_id=scope.workspace_id,
            periods=[(window.since, window.until), (window.previous().since, window.previous().until)],
            **where,
        )
        if "enjoy_net_sentiment" in wanted:
            value, before = _net(current), _net(previous)
            results["enjoy_net_sentiment"] = KpiResult.measured(
                wanted["enjoy_net_sentiment"],
                value,
                current["mentions"],
                detail={
                    "positive": current["positive"],
                    "negative": current["negative"],
                    "previous": before,
                    "previous_n": previous["mentions"],
                    "change": round(value - before, 2) if value is not None and before is not None else None,
                },
            )
        if "proud_positive_earned" in wanted:
            results["proud_positive_earned"] = KpiResult.measured(
                wanted["proud_positive_earned"],
                _percent(current["earned_positive"], current["earned"]),
                current["earned"],
                detail={"positive": current["earned_positive"], "negative": current["earned_negative"]},
            )

    advocate_keys = {"proud_advocates", "proud_advocate_growth"} & wanted.keys()
    if advocate_keys:
        window = scope.with_days(wanted[min(advocate_keys)].window_days)
        counts = listening.kpi_advocate_counts(
            workspace_id=scope.workspace_id,
            since=window.since,
            until=window.until,
            previous_since=window.previous().since,
            min_positive=ADVOCATE_POSITIVE_MENTIONS,
            **where,
        )
        advocates, before = counts["advocates"], counts["previous"]
        if "proud_advocates" in wanted:
            # n: the authors with any positive mention, among whom advocates were looked for, so
            # that none among many is a measured 0 and silence is "no data".
            results["proud_advocates"] = KpiResult.measured(
                wanted["proud_advocates"],
                float(advocates),
                counts["authors"],
                detail={"previous": before},
            )
        if "proud_advocate_growth" in wanted:
            results["proud_advocate_growth"] = KpiResult.measured(
                wanted["proud_advocate_growth"],
                _percent(advocates - before, before),
                before,
                detail={"advocates": advocates, "previous": before},
            )

    comment_keys = {"relevant_ad_comments_answered", "relevant_ad_comments_negative"} & wanted.keys()
    if comment_keys:
        window = scope.with_days(wanted[min(comment_keys)].window_days)
        counts = listening.kpi_ad_comment_counts(
            # Judged against now when the window ends in the future (today's snapshot).
            workspace_id=scope.workspace_id,
            since=window.since,
            until=min(window.until, timezone.now()),
            **where,
        )
        if "relevant_ad_comments_answered" in wanted:
            results["relevant_ad_comments_answered"] = KpiResult.measured(
                wanted["relevant_ad_comments_answered"],
                _percent(counts["answered"], counts["needing_answer"]),
                counts["needing_answer"],
                excluded=counts["too_young"],
                detail={"answered": counts["answered"]},
            )
        if "relevant_ad_comments_negative" in wanted:
            results["relevant_ad_comments_negative"] = KpiResult.measured(
                wanted["relevant_ad_comments_negative"],
                _percent(counts["negative"], counts["comments"]),
                counts["comments"],
                detail={"negative": counts["negative"]},
            )

    for key, kpi in wanted.items():
        results.setdefault(key, KpiResult.measured(kpi, None, 0))
    return results
