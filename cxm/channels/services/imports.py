"""Accounts imported from CSV, one per row; a bad row is reported, the good ones kept."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cxm.audit.services import audit_record
from cxm.channels.services.accounts import account_create
from cxm.tenancy.models import Brand, BusinessUnit, Workspace

CSV_COLUMNS = [
    "platform",
    "handle",
    "base_url",
    "display_name",
    "business_unit",
    "brand",
    "country",
    "language",
]
CREDENTIAL_PREFIX = "credential:"
OPTION_PREFIX = "option:"


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def accounts_import_csv(*, workspace: Workspace, text: str, by=None, request=None) -> ImportResult:
    """One account per row; a bad row is reported with its row number and field, the good ones kept.

    Columns: platform, handle, base_url, display_name, business_unit (name), brand (name), country,
    language, plus `credential:<name>` and `option:<name>` columns (options with `|` become lists).
    """
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "platform" not in reader.fieldnames or "handle" not in reader.fieldnames:
        result.errors.append(
            {
                "row": 1,
                "field": "header",
                "message": "The first row must name the columns, including platform and handle.",
            }
        )
        return result
    units = {unit.name.lower(): unit for unit in BusinessUnit.objects.filter(workspace=workspace)}
    brands = {brand.name.lower(): brand for brand in Brand.objects.filter(workspace=workspace)}
    for row_number, row in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        try:
            unit = _lookup(units, row.get("business_unit", ""), "business_unit")
            brand = _lookup(brands, row.get("brand", ""), "brand")
            credentials = {
                k[len(CREDENTIAL_PREFIX) :]: v
                for k, v in row.items()
                if k.startswith(CREDENTIAL_PREFIX) and v
            }
            options: dict[str, Any] = {}
            for key, value in row.items():
                if key.startswith(OPTION_PREFIX) and value:
                    options[key[len(OPTION_PREFIX) :]] = value.split("|") if "|" in value else value
            if "search_terms" in options and isinstance(options["search_terms"], str):
                options["search_terms"] = [options["search_terms"]]
            with transaction.atomic():
                account = account_create(
                    workspace=workspace,
                    platform=row.get("platform", ""),
                    handle=row.get("handle", ""),
                    base_url=row.get("base_url", ""),
                    display_name=row.get("display_name", ""),
                    business_unit=unit,
                    brand=brand,
                    country=row.get("country", ""),
                    language=row.get("language", ""),
                    credentials=credentials,
                    options=options,
                    by=by,
                    request=request,
                )
            result.created.append(account.pk)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.errors.append({"row": row_number, "field": name, "message": " ".join(messages)})
    if result.created:
        audit_record(
            workspace=workspace,
            actor=by,
            action="account.import",
            request=request,
            object_repr=f"{len(result.created)} accounts from CSV",
            after={"created": len(result.created), "errors": len(result.errors)},
        )
    return result


def _lookup(table: dict, name: str, field_name: str):
    if not name:
        return None
    try:
        return table[name.lower()]
    except KeyError:
        raise ValidationError({field_name: f"No {field_name.replace('_', ' ')} named {name!r}."}) from None
