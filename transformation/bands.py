"""Bands turn a KPI's value into a score from 0 to 10 and a level from 1 to 5, the way the four
DevOps metrics are banded into low, medium, high and elite.

A band is six edges from worst to best: below the first scores 0, above the last scores 10, and
between two neighbouring edges the score runs linearly over a 2-point step (edge i scores 2·i).
The level is 1 + the number of whole 2-point steps reached, at most 5: level 5 needs the fifth
edge. For a KPI where lower is better the edges descend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

BAND_SETS: dict[str, dict[str, list[float]]] = {
    "cx-2026": {
        "heard_answered_share": [20, 50, 70, 85, 95, 100],
        "heard_first_response": [1440, 480, 120, 60, 15, 1],
        "heard_unanswered_24h": [500, 200, 50, 10, 1, 0],
        "enjoy_csat": [2.0, 3.0, 3.6, 4.0, 4.4, 5.0],
        "enjoy_csat_response_rate": [0, 5, 10, 20, 35, 60],
        "enjoy_net_sentiment": [-50, -20, 0, 15, 35, 60],
        "enjoy_resolution_time": [168, 72, 24, 8, 2, 0.25],
        "remembered_reply_language": [30, 60, 80, 90, 97, 100],
        "remembered_variant_share": [0, 5, 15, 30, 50, 80],
        "remembered_engagement_rate": [0, 0.5, 1, 2, 4, 8],
        "recognised_known_customer": [10, 30, 50, 70, 90, 100],
        "recognised_unified_profiles": [0, 2, 5, 10, 20, 40],
        "recognised_repeat_contacts": [40, 25, 15, 10, 5, 0],
        "proud_advocates": [0, 5, 20, 50, 150, 500],
        "proud_advocate_growth": [-50, -10, 0, 10, 25, 50],
        "proud_positive_earned": [5, 15, 25, 35, 50, 70],
        "smarter_first_contact_resolution": [20, 40, 55, 70, 80, 95],
        "smarter_alerts_in_target": [0, 25, 50, 75, 90, 100],
        "smarter_guided_resolution": [0, 10, 25, 40, 60, 85],
        "relevant_roas": [0, 1, 2, 3, 4.5, 8],
        "relevant_ctr": [0, 0.5, 0.9, 1.5, 2.5, 5],
        "relevant_ad_comments_answered": [0, 20, 40, 60, 80, 100],
        "relevant_ad_comments_negative": [60, 40, 25, 15, 8, 0],
        "respected_privacy_days": [60, 30, 20, 10, 3, 0],
        "respected_audited_share": [50, 80, 90, 95, 99, 100],
        "respected_pause_seconds": [3600, 600, 120, 30, 5, 0],
    },
}

DEFAULT_BAND_SET = "cx-2026"


def edges_valid(edges: Sequence[float]) -> str | None:
    """Why these edges cannot be a band, or None."""
    if len(edges) != 6 or not all(isinstance(e, int | float) and not isinstance(e, bool) for e in edges):
        return "Six numbers, from worst to best."
    steps = [b - a for a, b in pairwise(edges)]
    if not (all(s > 0 for s in steps) or all(s < 0 for s in steps)):
        return "Edges must all rise or all fall, without repeats."
    return None


def score(value: float, edges: Sequence[float]) -> float:
    """0..10, linear between edges; edges rise for higher-is-better and fall for lower-is-better."""
    rising = edges[-1] > edges[0]
    ordered = list(edges) if rising else [-e for e in edges]
    v = value if rising else -value
    if v <= ordered[0]:
        return 0.0
    if v >= ordered[-1]:
        return 10.0
    for i in range(5):
        low, high = ordered[i], ordered[i + 1]
        if v < high:
            return round(2 * i + 2 * (v - low) / (high - low), 2)
    return 10.0


def level(points: float) -> int:
    return min(5, 1 + int(points // 2))


def bands_for(
    band_set: str, overrides: Mapping[str, Sequence[float]] | None = None
) -> dict[str, list[float]]:
    bands = {key: list(edges) for key, edges in BAND_SETS[band_set].items()}
    for key, edges in (overrides or {}).items():
        if key in bands:
            bands[key] = list(edges)
    return bands


def capability_score(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The weighted mean of the KPIs that have a score; None when none has."""
    present = [(scores[k], weights.get(k, 1.0)) for k in scores if scores[k] is not None]
    if not present:
        return None
    total = sum(w for _, w in present)
    return round(sum(s * w for s, w in present) / total, 2)
