"""Server-rendered SVG geometry for the transformation pages: a line over daily points (sparkline
and trend chart) and the radar of assessed beside measured levels. The templates only draw what
these functions compute."""

from __future__ import annotations

import math
from typing import Any


def _point_value(point: dict[str, Any], field: str) -> float | None:
    value = point.get(field)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def line(
    points: list[dict[str, Any]],
    *,
    field: str,
    width: int = 120,
    height: int = 32,
    pad: int = 2,
    low: float | None = None,
    high: float | None = None,
) -> dict[str, Any] | None:
    """Polylines (one per run of days with a value: a day without data breaks the line rather than
    dropping to 0) scaled into `width` x `height`. None when no day has a value."""
    values = [_point_value(p, field) for p in points]
    known = [v for v in values if v is not None]
    if not known:
        return None
    low = min(known) if low is None else low
    high = max(known) if high is None else high
    span = high - low
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    segments: list[list[tuple[float, float]]] = [[]]
    last: tuple[float, float] | None = None
    for index, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        x = pad + index * step
        # a flat series sits in the middle rather than on the floor
        y = height / 2 if span == 0 else height - pad - (value - low) / span * (height - 2 * pad)
        segments[-1].append((x, y))
        last = (x, y)
    return {
        "width": width,
        "height": height,
        "segments": [" ".join(f"{x:.1f},{y:.1f}" for x, y in s) for s in segments if len(s) > 1],
        # a lone day between gaps still shows
        "dots": [{"x": f"{s[0][0]:.1f}", "y": f"{s[0][1]:.1f}"} for s in segments if len(s) == 1],
        "last": {"x": f"{last[0]:.1f}", "y": f"{last[1]:.1f}"} if last else None,
        "low": low,
        "high": high,
        "first_day": points[0].get("day"),
        "last_day": points[-1].get("day"),
        "latest": known[-1],
    }


def radar(
    axes: list[dict[str, Any]],
    *,
    series: tuple[str, ...] = ("assessed", "measured"),
    size: int = 320,
    levels: int = 5,
) -> dict[str, Any]:
    """A radar over `axes` (each {"label", <series>: value 0..levels or None}): the grid rings,
    the spokes with label positions, and one polygon per series (a missing value sits at the centre
    and is listed in `missing`)."""
    # labels need room beside the spokes pointing left and right
    width = size + 160
    centre = size / 2
    centre_x = width / 2
    radius = size / 2 - 40
    count = len(axes)

    def at(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        r = radius * value / levels
        return centre_x + r * math.cos(angle), centre + r * math.sin(angle)

    rings = [
        " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(i, ring) for i in range(count)))
        for ring in range(1, levels + 1)
    ]
    spokes = []
    for index, axis in enumerate(axes):
        x, y = at(index, levels)
        lx, ly = at(index, levels + 0.9)
        anchor = "middle" if abs(lx - centre_x) < 8 else ("start" if lx > centre_x else "end")
        spokes.append(
            {
                "x": f"{x:.1f}",
                "y": f"{y:.1f}",
                "lx": f"{lx:.1f}",
                "ly": f"{ly + 4:.1f}",
                "anchor": anchor,
                "label": axis["label"],
            }
        )
    polygons = {}
    for name in series:
        corners = []
        missing = []
        for index, axis in enumerate(axes):
            value = axis.get(name)
            if value is None:
                missing.append(axis["label"])
            corners.append(at(index, float(value or 0)))
        polygons[name] = {
            "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in corners),
            "missing": missing,
            "empty": len(missing) == count,
        }
    return {
        "width": width,
        "height": size,
        "centre_x": centre_x,
        "centre": centre,
        "rings": rings,
        "spokes": spokes,
        "polygons": polygons,
    }
