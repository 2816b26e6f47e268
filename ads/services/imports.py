"""Performance reports of other ad platforms (Google Ads, TikTok, LinkedIn), imported from CSV.

The mapping from the report's columns to ours is detected from its headers (each platform's
standard column names) and shown as a preview; the user may override it. Every row either becomes
an `AdInsight` or an error naming its line, column and reason. The report's campaigns, ad groups
and ads become placeholder campaigns, ad sets and ads (origin "import", no ad account, never sent
anywhere), keyed by the report's ids (or names where it has none), so insights summaries include
them beside Meta's.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from ads.models import (
    IMPORT_PLATFORMS,
    Ad,
    AdCampaign,
    AdInsight,
    AdSet,
    AdStatus,
    Origin,
    PushState,
)
from ads.money import CURRENCY_EXPONENTS, UnknownCurrency, to_minor
from cxm.audit.services import audit_record
from cxm.tenancy.models import Workspace

csv.field_size_limit(1_000_000)

TARGETS = (
    "date",
    "campaign",
    "campaign_id",
    "ad_group",
    "ad_group_id",
    "ad",
    "ad_id",
    "currency",
    "impressions",
    "reach",
    "clicks",
    "spend",
    "conversions",
    "conversion_value",
)
REQUIRED = ("date", "campaign", "impressions", "clicks", "spend")

# Standard report column names per platform (lower-cased), first match wins.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "google_ads": {
        "date": ("day", "date"),
        "campaign": ("campaign",),
        "campaign_id": ("campaign id",),
        "ad_group": ("ad group",),
        "ad_group_id": ("ad group id",),
        "ad": ("ad name", "ad"),
        "ad_id": ("ad id",),
        "currency": ("currency code", "currency"),
        "impressions": ("impr.", "impressions"),
        "reach": ("unique users", "reach"),
        "clicks": ("clicks",),
        "spend": ("cost",),
        "conversions": ("conversions",),
        "conversion_value": ("conv. value", "conversion value", "all conv. value"),
    },
    "tiktok_ads": {
        "date": ("by day", "date", "stat_time_day"),
        "campaign": ("campaign name",),
        "campaign_id": ("campaign id",),
        "ad_group": ("ad group name",),
        "ad_group_id": ("ad group id",),
        "ad": ("ad name",),
        "ad_id": ("ad id",),
        "currency": ("currency",),
        "impressions": ("impressions",),
        "reach": ("reach",),
        "clicks": ("clicks (destination)", "clicks"),
        "spend": ("cost", "total cost"),
        "conversions": ("conversions", "result"),
        "conversion_value": ("total complete payment value", "complete payment value", "conversion value"),
    },
    "linkedin_ads": {
        "date": ("start date (in utc)", "date"),
        "campaign": ("campaign name",),
        "campaign_id": ("campaign id",),
        "ad_group": ("campaign group name",),
        "ad_group_id": ("campaign group id",),
        "ad": ("creative name", "ad name"),
        "ad_id": ("creative id",),
        "currency": ("currency",),
        "impressions": ("impressions",),
        "reach": ("reach",),
        "clicks": ("clicks",),
        "spend": ("total spent", "amount spent"),
        "conversions": ("conversions",),
        "conversion_value": ("conversion value in local currency", "total conversion value"),
    },
}
# Columns only one platform's reports have: they decide between platforms sharing the rest.
SIGNATURES = {
    "google_ads": ("impr.", "ad group", "cost", "day", "conv. value", "currency code"),
    "tiktok_ads": ("ad group name", "by day", "stat_time_day", "total complete payment value"),
    "linkedin_ads": ("total spent", "campaign group name", "start date (in utc)", "creative name"),
}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%b %d, %Y", "%d %b %Y")
EMPTY = {"", "--", " --", "-"}


@dataclass
class RowError:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class ParsedRow:
    line: int
    date: date
    campaign: str
    campaign_id: str
    ad_group: str
    ad_group_id: str
    ad: str
    ad_id: str
    currency: str
    metrics: dict[str, int]


@dataclass
class ImportReport:
    platform: str
    headers: list[str]
    mapping: dict[str, str]
    missing: list[str]
    rows: int = 0
    stored: int = 0
    campaigns_created: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "headers": self.headers,
            "mapping": self.mapping,
            "missing": self.missing,
            "rows": self.rows,
            "stored": self.stored,
            "campaigns_created": self.campaigns_created,
            "error_count": self.error_count,
            "errors": self.errors,
            "sample": self.sample,
        }


def _headers(content: str) -> tuple[list[str], csv.reader]:
    reader = csv.reader(io.StringIO(content))
    for cells in reader:
        # Report exports often open with a title line or two ("Campaign report", a date range).
        if len([c for c in cells if c.strip()]) >= 3:
            return [c.lstrip("\ufeff").strip() for c in cells], reader
    raise ValidationError({"file": "No header row found."})


def detect_mapping(headers: list[str], platform: str = "") -> tuple[str, dict[str, str]]:
    """The platform whose standard columns the headers are (unless given) and target -> header."""
    lowered = {h.lower(): h for h in headers}
    if not platform:
        scores = {
            name: sum(3 for col in SIGNATURES[name] if col in lowered)
            + sum(1 for names in columns.values() if any(n in lowered for n in names))
            for name, columns in COLUMNS.items()
        }
        platform = max(scores, key=lambda name: scores[name])
    if platform not in COLUMNS:
        raise ValidationError({"platform": f"One of {', '.join(IMPORT_PLATFORMS)}."})
    mapping = {}
    for target, names in COLUMNS[platform].items():
        for name in names:
            if name in lowered:
                mapping[target] = lowered[name]
                break
    return platform, mapping


def _int(text: str) -> int:
    if text.isdigit():
        return int(text)
    text = text.replace(",", "").replace("%", "").strip()
    if text in EMPTY:
        return 0
    return int(Decimal(text).to_integral_value())


@lru_cache(maxsize=4096)
def _date(text: str) -> date:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _rows(
    reader: Iterable[list[str]], headers: list[str], mapping: dict[str, str], currency: str
) -> Iterator[ParsedRow | RowError]:
    index = {target: headers.index(header) for target, header in mapping.items()}
    width = len(headers)
    line = getattr(reader, "line_num", 1)
    for cells in reader:
        # The file's own line number (quoted cells may span lines; title lines come first).
        line = getattr(reader, "line_num", line + 1)
        if not any(c.strip() for c in cells):
            continue
        first = cells[0].strip().lower()
        if first.startswith("total") or (len(cells) < width and first == ""):
            continue  # the report's summary lines
        if len(cells) != width:
            yield RowError(line, "", f"has {len(cells)} cells; the header has {width}")
            continue

        def cell(target: str, cells: list[str] = cells) -> str:
            at = index.get(target)
            return cells[at].strip() if at is not None else ""

        row_currency = (cell("currency") or currency).upper()
        if row_currency not in CURRENCY_EXPONENTS:
            yield RowError(line, mapping.get("currency", "currency"), f"unknown currency {row_currency!r}")
            continue
        try:
            day = _date(cell("date"))
        except ValueError as error:
            yield RowError(line, mapping["date"], str(error))
            continue
        if not cell("campaign") and not cell("campaign_id"):
            yield RowError(line, mapping.get("campaign", "campaign"), "no campaign")
            continue
        metrics: dict[str, int] = {}
        bad = None
        for target in ("impressions", "reach", "clicks", "conversions"):
            try:
                metrics[target] = _int(cell(target))
            except (InvalidOperation, ValueError):
                bad = RowError(line, mapping[target], f"not a number: {cell(target)!r}")
                break
        if bad is None:
            for target in ("spend", "conversion_value"):
                raw = cell(target).replace(",", "")
                try:
                    metrics[target] = 0 if raw in EMPTY else to_minor(raw, row_currency)
                except (InvalidOperation, ValueError, UnknownCurrency):
                    bad = RowError(line, mapping[target], f"not an amount: {cell(target)!r}")
                    break
        if bad is None and any(value < 0 for value in metrics.values()):
            bad = RowError(line, "", "negative figures")
        if bad is not None:
            yield bad
            continue
        yield ParsedRow(
            line=line,
            date=day,
            campaign=cell("campaign"),
            campaign_id=cell("campaign_id"),
            ad_group=cell("ad_group"),
            ad_group_id=cell("ad_group_id"),
            ad=cell("ad"),
            ad_id=cell("ad_id"),
            currency=row_currency,
            metrics=metrics,
        )


def _prepare(content: str, platform: str, mapping: dict[str, str] | None, currency: str):
    headers, reader = _headers(content)
    platform, detected = detect_mapping(headers, platform)
    if mapping:
        unknown_targets = set(mapping) - set(TARGETS)
        unknown_headers = {h for h in mapping.values() if h and h not in headers}
        if unknown_targets or unknown_headers:
            raise ValidationError(
                {
                    "mapping": "Unknown "
                    + "; ".join(
                        part
                        for part in (
                            f"fields: {', '.join(sorted(unknown_targets))}" if unknown_targets else "",
                            f"columns: {', '.join(sorted(unknown_headers))}" if unknown_headers else "",
                        )
                        if part
                    )
                }
            )
        detected = {**detected, **mapping}
        detected = {target: header for target, header in detected.items() if header}
    missing = [target for target in REQUIRED if target not in detected]
    if "currency" not in detected and not currency:
        missing.append("currency")
    return platform, headers, reader, detected, missing


def insights_import_preview(
    *,
    content: str,
    platform: str = "",
    mapping: dict[str, str] | None = None,
    currency: str = "",
    sample: int = 20,
) -> ImportReport:
    """The detected (or given) mapping, the first rows as they would be stored, and the first
    errors; nothing is stored."""
    platform, headers, reader, mapping, missing = _prepare(content, platform, mapping, currency)
    report = ImportReport(platform=platform, headers=headers, mapping=mapping, missing=missing)
    if missing:
        return report
    for item in _rows(reader, headers, mapping, currency.upper()):
        if isinstance(item, RowError):
            report.error_count += 1
            if len(report.errors) < 100:
                report.errors.append(item.as_dict())
            continue
        report.rows += 1
        if len(report.sample) < sample:
            report.sample.append(
                {
                    "line": item.line,
                    "date": item.date.isoformat(),
                    "campaign": item.campaign or item.campaign_id,
                    "ad_group": item.ad_group or item.ad_group_id,
                    "ad": item.ad or item.ad_id,
                    "currency": item.currency,
                    **item.metrics,
                }
            )
    return report


def _ref(kind: str, platform: str, *parts: str) -> str:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=10).hexdigest()
    return f"imp-{platform[:6]}-{kind}-{digest}"


class _Placeholders:
    """Campaign, ad set and ad of each report line, found or created once per import."""

    def __init__(self, workspace: Workspace, platform: str):
        self.workspace = workspace
        self.platform = platform
        self.campaigns: dict[str, AdCampaign] = {}
        self.ad_sets: dict[str, AdSet] = {}
        self.ads: dict[str, tuple[int, int, int]] = {
            ref: (pk, campaign_id, ad_set_id)
            for ref, pk, campaign_id, ad_set_id in Ad.objects.filter(
                workspace=workspace, origin=Origin.IMPORT, external_ref__startswith=f"imp-{platform[:6]}-"
            ).values_list("external_ref", "pk", "campaign_id", "ad_set_id")
        }
        self.created = 0

    def _common(self, name: str, ref: str, external_id: str) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "name": name[:400] or external_id or "(unnamed)",
            "external_ref": ref,
            "origin": Origin.IMPORT,
            "push_state": PushState.SYNCED,
            "status": AdStatus.ACTIVE,
        }

    def ad_of(self, row: ParsedRow) -> tuple[int, int, int]:
        campaign_key = row.campaign_id or row.campaign
        group_key = row.ad_group_id or row.ad_group or "(all)"
        ad_key = row.ad_id or row.ad or "(all)"
        ad_ref = _ref("a", self.platform, campaign_key, group_key, ad_key)
        if ad_ref in self.ads:
            return self.ads[ad_ref]
        campaign_ref = _ref("c", self.platform, campaign_key)
        campaign = self.campaigns.get(campaign_ref)
        if campaign is None:
            campaign, made = AdCampaign.objects.get_or_create(
                workspace=self.workspace,
                external_ref=campaign_ref,
                defaults={
                    **self._common(row.campaign, campaign_ref, row.campaign_id),
                    "account": None,
                    "external_platform": self.platform,
                    "currency": row.currency,
                },
            )
            self.created += made
            self.campaigns[campaign_ref] = campaign
        set_ref = _ref("s", self.platform, campaign_key, group_key)
        ad_set = self.ad_sets.get(set_ref)
        if ad_set is None:
            ad_set, _ = AdSet.objects.get_or_create(
                workspace=self.workspace,
                external_ref=set_ref,
                defaults={
                    **self._common(row.ad_group or "(all ads)", set_ref, row.ad_group_id),
                    "campaign": campaign,
                },
            )
            self.ad_sets[set_ref] = ad_set
        ad, _ = Ad.objects.get_or_create(
            workspace=self.workspace,
            external_ref=ad_ref,
            defaults={
                **self._common(row.ad or "(all ads)", ad_ref, row.ad_id),
                "campaign": campaign,
                "ad_set": ad_set,
            },
        )
        self.ads[ad_ref] = (ad.pk, campaign.pk, ad_set.pk)
        return self.ads[ad_ref]


COPY_BATCH = 50_000
COPY_COLUMNS = (
    "workspace_id",
    "ad_id",
    "campaign_id",
    "ad_set_id",
    "date",
    "currency",
    "impressions",
    "reach",
    "clicks",
    "spend",
    "conversions",
    "conversion_value",
)
METRICS = ("currency", "impressions", "reach", "clicks", "spend", "conversions", "conversion_value")


def _copy_store(rows: list[tuple]) -> int:
    """Daily rows in by COPY into a temporary table, then one upsert on (workspace, ad, date, hour): a report
    of a million rows is too big for row-by-row ORM inserts. Runs inside the caller's transaction."""
    if not rows:
        return 0
    table = AdInsight._meta.db_table
    columns = ", ".join(COPY_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS ads_import_rows (workspace_id bigint, ad_id bigint, "
            "campaign_id bigint, ad_set_id bigint, date date, currency varchar(3), impressions bigint, "
            "reach bigint, clicks bigint, spend bigint, conversions bigint, conversion_value bigint) "
            "ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE ads_import_rows")
        with cursor.cursor.copy(f"COPY ads_import_rows ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in METRICS)
        # Identifiers are this module's constants; the values came in by COPY.
        upsert = (
            f"INSERT INTO {table} ({columns}, hour, source, updated_at) "  # noqa: S608
            f"SELECT {columns}, NULL, 'csv', now() FROM ads_import_rows "
            f"ON CONFLICT (workspace_id, ad_id, date, hour) DO UPDATE SET {updates}, source = 'csv', updated_at = now()"
        )
        cursor.execute(upsert)
    return len(rows)


def insights_import_commit(
    *,
    workspace: Workspace,
    content: str,
    platform: str = "",
    mapping: dict[str, str] | None = None,
    currency: str = "",
    by=None,
    request=None,
) -> ImportReport:
    """Store every good row of the report as an insight (a row already stored for the same ad and
    day is replaced: importing the same report twice changes nothing); bad rows are reported."""
    platform, headers, reader, mapping, missing = _prepare(content, platform, mapping, currency)
    report = ImportReport(platform=platform, headers=headers, mapping=mapping, missing=missing)
    if missing:
        raise ValidationError({"mapping": f"Map these fields to columns: {', '.join(missing)}."})
    places = _Placeholders(workspace, platform)
    # The last row of an (ad, day) wins, as one statement cannot update a row twice.
    pending: dict[tuple[int, date], tuple] = {}
    with transaction.atomic():
        for item in _rows(reader, headers, mapping, currency.upper()):
            if isinstance(item, RowError):
                report.error_count += 1
                if len(report.errors) < 100:
                    report.errors.append(item.as_dict())
                continue
            report.rows += 1
            ad_id, campaign_id, ad_set_id = places.ad_of(item)
            metrics = item.metrics
            pending[(ad_id, item.date)] = (
                workspace.pk,
                ad_id,
                campaign_id,
                ad_set_id,
                item.date,
                item.currency,
                metrics["impressions"],
                metrics["reach"],
                metrics["clicks"],
                metrics["spend"],
                metrics["conversions"],
                metrics["conversion_value"],
            )
            if len(pending) >= COPY_BATCH:
                report.stored += _copy_store(list(pending.values()))
                pending = {}
        report.stored += _copy_store(list(pending.values()))
        report.campaigns_created = places.created
        audit_record(
            workspace=workspace,
            actor=by,
            action="ads.insights_import",
            after={
                "platform": platform,
                "rows": report.rows,
                "stored": report.stored,
                "errors": report.error_count,
            },
            request=request,
            object_repr=f"{platform} report",
        )
    return report
