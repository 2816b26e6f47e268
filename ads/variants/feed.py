"""Product feeds from CSV: every row either becomes a FeedRow or an error naming its row, field and
reason; one bad row never costs the good ones."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ads.variants.money import CURRENCY_EXPONENTS, Money, MoneyError, parse_money

csv.field_size_limit(1_000_000)


@dataclass(frozen=True, slots=True)
class FeedError:
    index: int  # 1-based data row (the header is row 0)
    field: str
    reason: str
    line: int = 0  # line in the file where the row ends (quoted cells may span lines)

    def __str__(self) -> str:
        return f"row {self.index}, {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FeedRow:
    index: int
    id: str
    values: dict[str, object]  # str, or Money for price columns, or int for size columns


@dataclass
class Feed:
    columns: tuple[str, ...]
    rows: list[FeedRow] = field(default_factory=list)
    errors: list[FeedError] = field(default_factory=list)

    def __iter__(self) -> Iterator[FeedRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def load_feed_csv(
    lines: Iterable[str],
    *,
    id_field: str = "id",
    required: Sequence[str] = ("id", "product", "price"),
    money_fields: Sequence[str] = ("price", "sale_price"),
    currency_field: str = "currency",
    default_currency: str | None = None,
    int_fields: Sequence[str] | None = None,
    delimiter: str = ",",
) -> Feed:
    """Read a product feed. `lines` is an open text file, a list of lines or io.StringIO.

    Prices are "4.99" with a currency column (or `default_currency`), or "4.99 USD"; each becomes
    Money in minor units with the currency's exponent. A duplicate id, a missing required value, a
    bad amount or a bad image size makes that row an error; a missing required column makes the
    whole feed one (row 0)."""
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return Feed(columns=(), errors=[FeedError(0, "", "the file is empty")])
    columns = tuple(_column_name(name, first=i == 0) for i, name in enumerate(header))
    feed = Feed(columns=columns)
    missing = [name for name in required if name not in columns]
    if missing:
        feed.errors += [FeedError(0, name, "required column is missing", reader.line_num) for name in missing]
        return feed
    if len(set(columns)) != len(columns):
        dupes = sorted({name for name in columns if columns.count(name) > 1})
        feed.errors += [FeedError(0, name, "column appears twice", reader.line_num) for name in dupes]
        return feed
    money = [name for name in money_fields if name in columns]
    if int_fields is None:  # image sizes: image_width, story_image_height, ...
        int_fields = [name for name in columns if name.endswith(("image_width", "image_height"))]
    ints = [name for name in int_fields if name in columns]
    seen: dict[str, int] = {}
    for index, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(columns):
            feed.errors.append(
                FeedError(
                    index, "", f"has {len(cells)} cells; the header has {len(columns)}", reader.line_num
                )
            )
            continue
        values: dict[str, object] = {name: cell.strip() for name, cell in zip(columns, cells, strict=True)}
        problems = _row_problems(values, required, money, ints, currency_field, default_currency)
        row_id = str(values.get(id_field, ""))
        if row_id and row_id in seen:
            problems.append((id_field, f"duplicate id {row_id!r}, first at row {seen[row_id]}"))
        if problems:
            feed.errors += [FeedError(index, name, reason, reader.line_num) for name, reason in problems]
            continue
        seen[row_id] = index
        feed.rows.append(FeedRow(index, row_id, values))
    return feed


def _column_name(name: str, *, first: bool) -> str:
    name = name.lstrip("\ufeff") if first else name  # a BOM written by spreadsheet exports
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _row_problems(
    values: dict[str, object],
    required: Sequence[str],
    money: Sequence[str],
    ints: Sequence[str],
    currency_field: str,
    default_currency: str | None,
) -> list[tuple[str, str]]:
    problems = [(name, "required value is empty") for name in required if not values.get(name)]
    currency = str(values.get(currency_field) or default_currency or "").upper() or None
    if money and currency and currency not in CURRENCY_EXPONENTS:
        problems.append((currency_field, f"unknown currency {currency!r}"))
        return problems
    for name in money:
        raw = values.get(name)
        if not raw or any(name == bad for bad, _ in problems):
            continue
        try:
            values[name] = parse_money(str(raw), currency)
        except MoneyError as error:
            problems.append((name, str(error)))
    for name in ints:
        raw = str(values.get(name) or "")
        if not raw:
            continue
        if not raw.isdigit() or int(raw) == 0:
            problems.append((name, f"expected a positive whole number of pixels, got {raw!r}"))
        else:
            values[name] = int(raw)
    return problems


def feed_from_dicts(records: Iterable[dict[str, object]], *, id_field: str = "id") -> Feed:
    """A feed built in code (tests, a feed URL already parsed): values are used as given."""
    rows = []
    columns: list[str] = []
    for index, record in enumerate(records, start=1):
        for name in record:
            if name not in columns:
                columns.append(name)
        rows.append(FeedRow(index, str(record.get(id_field, index)), dict(record)))
    return Feed(columns=tuple(columns), rows=rows)


__all__ = ["Feed", "FeedError", "FeedRow", "Money", "feed_from_dicts", "load_feed_csv"]
