"""The export ZIP: one JSON file and one CSV file per kind of record, and a summary."""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from cxm.spreadsheet import csv_writer


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return "" if value is None else value


class ZipExportWriter:
    """Collects records per kind; `save` writes the ZIP next to its final name, then renames it,
    so a download never sees half a file."""

    def __init__(self) -> None:
        self.records: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def write(self, kind: str, record: dict[str, Any]) -> None:
        self.records[kind].append(record)

    def counts(self) -> dict[str, int]:
        return {kind: len(rows) for kind, rows in self.records.items()}

    def save(self, path: Path, *, summary: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "summary.json", json.dumps(summary, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
            )
            for kind, rows in sorted(self.records.items()):
                archive.writestr(
                    f"{kind}.json", json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
                )
                columns: list[str] = []
                for row in rows:
                    columns.extend(key for key in row if key not in columns)
                buffer = io.StringIO()
                writer = csv_writer(buffer)
                writer.writerow(columns)
                for row in rows:
                    writer.writerow([_cell(row.get(column)) for column in columns])
                archive.writestr(f"{kind}.csv", buffer.getvalue())
        partial.rename(path)
