"""Writes of the workspace's transformation settings: the money figures the value and ROI models
use, the baseline they measure against (including an imported earlier period), all audited."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cxm.audit.services import audit_record
from transformation.kpis.registry import BY_KEY
from transformation.models import TransformationSettings

BASELINE_COLUMNS = ("kpi", "value", "n", "since", "until")
MAX_BASELINE_ROWS = 200


def _settings_state(row: TransformationSettings) -> dict[str, Any]:
    return {
        "currency": row.currency,
        "operating_margin": str(row.operating_margin),
        "loaded_hourly_cost": str(row.loaded_hourly_cost),
        "discount_rate": str(row.discount_rate),
        "baseline_start": row.baseline_start.isoformat() if row.baseline_start else None,
    }


def _settings_for_update(workspace) -> TransformationSettings:
    row, _ = TransformationSettings.objects.select_for_update().get_or_create(workspace=workspace)
    return row


@transaction.atomic
def settings_update(
    *,
    workspace,
    currency: str,
    operating_margin: Decimal,
    loaded_hourly_cost: Decimal,
    discount_rate: Decimal,
    baseline_start: date | None,
    by=None,
    request=None,
) -> TransformationSettings:
    errors = {}
    if not (len(currency) == 3 and currency.isalpha()):
        errors["currency"] = "Three letters, e.g. USD."
    if not Decimal(0) <= operating_margin <= Decimal(1):
        errors["operating_margin"] = "A share from 0 to 1 (0.15 for 15 %)."
    if loaded_hourly_cost < 0:
        errors["loaded_hourly_cost"] = "Zero or more."
    if not Decimal(0) <= discount_rate <= Decimal(1):
        errors["discount_rate"] = "A rate from 0 to 1 (0.10 for 10 %)."
    if errors:
        raise ValidationError(errors)
    row = _settings_for_update(workspace)
    before = _settings_state(row)
    row.currency = currency.upper()
    row.operating_margin = operating_margin
    row.loaded_hourly_cost = loaded_hourly_cost
    row.discount_rate = discount_rate
    row.baseline_start = baseline_start
    row.save()
    after = _settings_state(row)
    if after != before:
        audit_record(
            workspace=workspace,
            actor=by,
            action="transformation.settings",
            target=row,
            before=before,
            after=after,
            request=request,
            object_repr="transformation settings",
        )
    return row


def baseline_parse(text: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """An earlier period's KPI figures from CSV (`kpi,value,n,since,until`): the good rows by KPI
    key, and each bad row's index (1 = the first data row), field and reason."""
    reader = csv.DictReader(io.StringIO(text.strip()))
    missing = [c for c in BASELINE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return {}, [
            {
                "index": 0,
                "field": ",".join(missing),
                "message": "Missing column(s); the header is kpi,value,n,since,until.",
            }
        ]
    figures: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(reader, start=1):
        if index > MAX_BASELINE_ROWS:
            errors.append({"index": index, "field": "", "message": f"At most {MAX_BASELINE_ROWS} rows."})
            break
        problem = _baseline_row_problem(row)
        if problem:
            errors.append({"index": index, "field": problem[0], "message": problem[1]})
            continue
        figures[row["kpi"].strip()] = {
            "value": float(row["value"]),
            "n": int(row["n"]),
            "since": row["since"].strip(),
            "until": row["until"].strip(),
        }
    return figures, errors


def _baseline_row_problem(row: dict[str, str]) -> tuple[str, str] | None:
    key = (row.get("kpi") or "").strip()
    if key not in BY_KEY:
        return "kpi", f"Unknown KPI {key!r}."
    try:
        value = Decimal((row.get("value") or "").strip())
    except InvalidOperation:
        return "value", "A number."
    if not value.is_finite():
        return "value", "A number."
    try:
        n = int((row.get("n") or "").strip())
    except ValueError:
        return "n", "A whole number of items measured."
    if n < 0:
        return "n", "Zero or more."
    try:
        since = date.fromisoformat((row.get("since") or "").strip())
        until = date.fromisoformat((row.get("until") or "").strip())
    except ValueError:
        return "since", "Dates as YYYY-MM-DD."
    if until < since:
        return "until", "The period ends before it starts."
    return None


@transaction.atomic
def baseline_import(*, workspace, text: str, by=None, request=None) -> tuple[int, list[dict[str, Any]]]:
    """Keep the good rows as the imported baseline (replacing the figures of the same KPIs),
    report the bad ones. Audited when anything was kept."""
    figures, errors = baseline_parse(text)
    if figures:
        row = _settings_for_update(workspace)
        before = dict(row.baseline_imported or {})
        row.baseline_imported = {**before, **figures}
        row.save(update_fields=["baseline_imported", "updated_at"])
        audit_record(
            workspace=workspace,
            actor=by,
            action="transformation.baseline_import",
            target=row,
            before={"baseline_imported": before},
            after={"baseline_imported": row.baseline_imported},
            request=request,
            object_repr="imported baseline",
        )
    return len(figures), errors


@transaction.atomic
def baseline_import_clear(*, workspace, by=None, request=None) -> None:
    row = _settings_for_update(workspace)
    if not row.baseline_imported:
        return
    audit_record(
        workspace=workspace,
        actor=by,
        action="transformation.baseline_import_clear",
        target=row,
        before={"baseline_imported": row.baseline_imported},
        after={"baseline_imported": {}},
        request=request,
        object_repr="imported baseline",
    )
    row.baseline_imported = {}
    row.save(update_fields=["baseline_imported", "updated_at"])
