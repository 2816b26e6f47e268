"""Every CSV the platform writes for people goes through `csv_writer`: a cell a spreadsheet would
run as a formula is written as text instead.

Mention texts, author names, comment bodies and audit details come from strangers. A cell that
starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some spreadsheets skip before
reading one of those) is a formula to Excel, LibreOffice and Google Sheets: `=HYPERLINK(...)` or
`=cmd|' /C calc'!A0` run when the export is opened. As OWASP's "CSV Injection" page advises, such a
cell is prefixed with a single quote, which spreadsheets show as text and do not display. Numbers
stay numbers: only text is ever prefixed, so a negative amount is still a negative amount.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """The value as a cell a spreadsheet shows and never evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer whose every cell passes through `spreadsheet_cell`; writerow answers what the
    stream's write answered (so a streamed export can yield it)."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options) -> SafeCsvWriter:
    return SafeCsvWriter(stream, **options)
