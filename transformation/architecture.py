"""The reference architecture as the workspace is configured: connected channels by platform, the
modules they feed, the rules those modules apply and what comes out, with counts from the last 7
days. `architecture_diagram` lays it out as boxes and edges; the template only draws them as SVG."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ads import selectors as ads_selectors
from care import selectors as care_selectors
from cxm.channels.models import ChannelAccount, Platform
from listening import selectors as listening_selectors
from publishing import selectors as publishing_selectors

DAYS = 7

BOX_WIDTH = 190
BOX_HEIGHT = 52
ROW_GAP = 18
COLUMN_X = (10, 280, 550, 820)
TOP = 40
WIDTH = COLUMN_X[-1] + BOX_WIDTH + 10


@dataclass
class Box:
    key: str
    column: int
    title: str
    lines: list[str]
    x: int = 0
    y: int = 0
    muted: bool = False  # configured but idle, or not configured at all

    @property
    def mid_y(self) -> int:
        return self.y + BOX_HEIGHT // 2

    @property
    def right(self) -> int:
        return self.x + BOX_WIDTH


@dataclass
class Edge:
    source: str
    target: str
    count: int | None = None
    path: str = ""
    label_x: int = 0
    label_y: int = 0


@dataclass
class Diagram:
    boxes: list[Box] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: int = WIDTH
    height: int = 0
    since: datetime | None = None
    columns: list[dict[str, Any]] = field(default_factory=list)
    platforms: list[dict[str, Any]] = field(default_factory=list)  # the table beside the drawing


def _by_platform(per_account: dict[int | None, int], platform_of: dict[int, str]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for account_id, count in per_account.items():
        if account_id in platform_of:
            totals[platform_of[account_id]] += count
    return totals


def architecture_diagram(*, workspace, now: datetime | None = None) -> Diagram:
    """Channels (by platform) -> modules -> rules -> outputs, each box and edge with its counts."""
    now = now or timezone.now()
    since = now - timedelta(days=DAYS)
    accounts = list(ChannelAccount.objects.for_workspace(workspace).values("id", "platform", "status"))
    platform_of = {a["id"]: a["platform"] for a in accounts}
    listening = listening_selectors.architecture_counts(workspace=workspace, since=since)
    care = care_selectors.architecture_counts(workspace=workspace, since=since)
    publishing = publishing_selectors.architecture_counts(workspace=workspace, since=since)
    ads = ads_selectors.architecture_counts(workspace=workspace, since=since.date())
    publishable = set(
        publishing_selectors.publishable_accounts(workspace=workspace).values_list("platform", flat=True)
    )
    ad_platforms = set(ads_selectors.ad_accounts(workspace=workspace).values_list("platform", flat=True))

    mentions = _by_platform(listening["mentions_by_account"], platform_of)
    inbound = _by_platform(care["inbound_by_account"], platform_of)
    replies = _by_platform(care["replies_by_account"], platform_of)
    published = _by_platform(publishing["published_by_account"], platform_of)
    campaigns = _by_platform(ads["campaigns_by_account"], platform_of)

    labels = dict(Platform.choices)
    diagram = Diagram(since=since)
    counts_by_platform: dict[str, int] = defaultdict(int)
    connected: dict[str, int] = defaultdict(int)
    for account in accounts:
        counts_by_platform[account["platform"]] += 1
        connected[account["platform"]] += account["status"] == "connected"

    for platform in sorted(counts_by_platform):
        is_ads = platform in ad_platforms
        box_key = f"platform:{platform}"
        diagram.boxes.append(
            Box(
                box_key,
                0,
                str(labels.get(platform, platform)),
                [
                    _("%(n)s accounts, %(c)s connected")
                    % {"n": counts_by_platform[platform], "c": connected[platform]}
                ],
                muted=connected[platform] == 0,
            )
        )
        row = {
            "platform": platform,
            "label": str(labels.get(platform, platform)),
            "accounts": counts_by_platform[platform],
            "connected": connected[platform],
            "mentions": mentions.get(platform, 0),
            "inbound": inbound.get(platform, 0),
            "replies": replies.get(platform, 0),
            "published": published.get(platform, 0),
            "campaigns": campaigns.get(platform, 0),
        }
        diagram.platforms.append(row)
        if is_ads:
            diagram.edges.append(Edge(box_key, "module:ads", campaigns.get(platform, 0)))
            continue
        diagram.edges.append(Edge(box_key, "module:listening", mentions.get(platform, 0)))
        diagram.edges.append(Edge(box_key, "module:care", inbound.get(platform, 0)))
        if platform in publishable:
            diagram.edges.append(Edge(box_key, "module:publishing", published.get(platform, 0)))

    in_use = {edge.target for edge in diagram.edges}
    diagram.boxes += [
        Box(
            "module:listening",
            1,
            _("Listening"),
            [_("%(n)s mentions in") % {"n": listening["mentions"]}],
            muted="module:listening" not in in_use,
        ),
        Box(
            "module:care",
            1,
            _("Care"),
            [_("%(n)s messages in") % {"n": care["inbound"]}],
            muted="module:care" not in in_use,
        ),
        Box(
            "module:publishing",
            1,
            _("Publishing"),
            [_("%(n)s posts out") % {"n": publishing["published"]}],
            muted="module:publishing" not in in_use,
        ),
        Box(
            "module:ads",
            1,
            _("Ads"),
            [_("%(n)s campaigns running") % {"n": ads["campaigns_running"]}],
            muted="module:ads" not in in_use,
        ),
        Box(
            "rule:topics",
            2,
            _("Topics"),
            [_("%(n)s configured") % {"n": listening["topics"]}],
            muted=not listening["topics"],
        ),
        Box(
            "rule:automation",
            2,
            _("Care automation rules"),
            [_("%(n)s active") % {"n": care["rules"]}],
            muted=not care["rules"],
        ),
        Box(
            "rule:approval",
            2,
            _("Approval rules"),
            [_("%(n)s business units") % {"n": publishing["approval_rules"]}],
            muted=not publishing["approval_rules"],
        ),
        Box(
            "rule:comment_guard",
            2,
            _("Comment guards"),
            [_("%(n)s campaigns guarded") % {"n": ads["comment_guards"]}],
            muted=not ads["comment_guards"],
        ),
        Box(
            "output:alerts",
            3,
            _("Alerts"),
            [_("%(n)s spikes, %(a)s on ads") % {"n": listening["alerts"], "a": ads["comment_alerts"]}],
            muted=not (listening["alerts"] or ads["comment_alerts"]),
        ),
        Box(
            "output:replies",
            3,
            _("Replies sent"),
            [_("%(n)s replies") % {"n": care["replies_sent"]}],
            muted=not care["replies_sent"],
        ),
        Box(
            "output:posts",
            3,
            _("Posts published"),
            [_("%(n)s posts") % {"n": publishing["published"]}],
            muted=not publishing["published"],
        ),
        Box(
            "output:ads",
            3,
            _("Ads running"),
            [_("%(n)s campaigns") % {"n": ads["campaigns_running"]}],
            muted=not ads["campaigns_running"],
        ),
    ]
    diagram.edges += [
        Edge("module:listening", "rule:topics", listening["mentions"]),
        Edge("module:care", "rule:automation", care["inbound"]),
        Edge("module:publishing", "rule:approval", None),
        Edge("module:ads", "rule:comment_guard", None),
        Edge("rule:topics", "output:alerts", listening["alerts"]),
        Edge("rule:comment_guard", "output:alerts", ads["comment_alerts"]),
        Edge("rule:automation", "output:replies", care["replies_sent"]),
        Edge("rule:approval", "output:posts", publishing["published"]),
        Edge("rule:comment_guard", "output:ads", ads["campaigns_running"]),
    ]
    _lay_out(diagram)
    diagram.columns = [
        {"x": COLUMN_X[0], "title": _("Channels")},
        {"x": COLUMN_X[1], "title": _("Modules")},
        {"x": COLUMN_X[2], "title": _("Rules")},
        {"x": COLUMN_X[3], "title": _("Outputs")},
    ]
    return diagram


def _lay_out(diagram: Diagram) -> None:
    """Stack each column's boxes from the top; join boxes with curves, the count at the middle."""
    rows: dict[int, int] = defaultdict(int)
    for box in diagram.boxes:
        box.x = COLUMN_X[box.column]
        box.y = TOP + rows[box.column] * (BOX_HEIGHT + ROW_GAP)
        rows[box.column] += 1
    by_key = {box.key: box for box in diagram.boxes}
    for edge in diagram.edges:
        source, target = by_key[edge.source], by_key[edge.target]
        x1, y1, x2, y2 = source.right, source.mid_y, target.x, target.mid_y
        bend = (x2 - x1) // 2
        edge.path = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
        edge.label_x, edge.label_y = (x1 + x2) // 2, (y1 + y2) // 2 - 4
    diagram.height = TOP + max(rows.values() or [1]) * (BOX_HEIGHT + ROW_GAP) + 10
