"""The ROI arithmetic of a total-economic-impact case: risk-adjusted benefit and cost lines over
three years, discounted, with NPV, ROI and payback. Pure functions, no Django.

Sums are kept in `Decimal` (inputs are converted through `str()`, so 0.1 stays 0.1) and rounded
once at the end: money to 2 decimals, `roi` as a ratio to 4 decimals, `payback_months` to 1
decimal, all returned as JSON numbers (`float`). `roi` is None when the present value of the
costs is 0 (a return on nothing is undefined), `payback_months` None when the cumulative net has
not reached 0 within the 36 months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

YEARS = 3
MONTHS = 12 * YEARS
DEFAULT_DISCOUNT_RATE = Decimal("0.10")

# The risk adjustment follows the evidence behind a figure (see docs/transformation.md).
RISK_STRONG_EVIDENCE = Decimal("0.10")  # measured, n >= STRONG_N, improvement held STRONG_WEEKS
RISK_MEASURED = Decimal("0.20")
RISK_TYPED = Decimal("0.30")
STRONG_N = 1000
STRONG_WEEKS = 8

# The largest amount a line may hold: beyond any budget, and small enough that sums of many
# lines still round to the cent within Decimal's 28 digits (1e308 would not, nor fit a float).
MAX_AMOUNT = Decimal(10**15)
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Line:
    name: str
    annual: tuple[Decimal, ...]  # years 1..3
    risk: Decimal
    initial: Decimal = Decimal(0)  # costs only: spent at t = 0


@dataclass(frozen=True)
class RoiInput:
    discount_rate: Decimal
    benefits: tuple[Line, ...]
    costs: tuple[Line, ...]


def _(message: str) -> str:
    """Marks a message for translation (the catalogue picks up `_("...")`) without importing
    Django; callers translate `RoiInputError.fields` with gettext when they show them."""
    return message


class RoiInputError(ValueError):
    """Bad input; `fields` maps a field path (`benefits[0].annual`) to its messages (English
    source strings, marked for translation)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("invalid ROI input")
        self.fields = fields

    def translated(self, translate) -> dict[str, list[str]]:
        return {key: [translate(message) for message in messages] for key, messages in self.fields.items()}


def _number(value: Any, *, strict: bool = False) -> Decimal | None:
    # Pages send numbers as form text; the API takes JSON numbers only, as its schema says.
    accepted = int | float if strict else int | float | str | Decimal
    if isinstance(value, bool) or not isinstance(value, accepted):
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def roi_parse(data: Any, *, strict: bool = False) -> RoiInput:
    """The input as the API and the ROI page send it, checked; raises RoiInputError naming every
    bad field. Extra keys on a line (its source, its kind) are ignored here. `strict` (the API)
    takes JSON numbers only and no nulls for optional numbers."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise RoiInputError(
            {"non_field_errors": [_("Send an object with discount_rate, benefits and costs.")]}
        )

    rate = DEFAULT_DISCOUNT_RATE
    if data.get("discount_rate") is not None or (strict and "discount_rate" in data):
        rate = _number(data["discount_rate"], strict=strict)
        if rate is None:
            errors["discount_rate"] = [_("Enter a number, e.g. 0.10 for 10 %.")]
        elif rate < 0 or rate > 1:
            errors["discount_rate"] = [_("Enter a rate between 0 and 1, e.g. 0.10 for 10 %.")]

    parsed: dict[str, list[Line]] = {}
    for kind in ("benefits", "costs"):
        items = data.get(kind)
        parsed[kind] = []
        if items is None:
            errors[kind] = [_("This field is required.")]
            continue
        if not isinstance(items, list):
            errors[kind] = [_("Send a list of lines.")]
            continue
        for index, item in enumerate(items):
            line = _parse_line(
                item, f"{kind}[{index}]", with_initial=kind == "costs", errors=errors, strict=strict
            )
            if line is not None:
                parsed[kind].append(line)
    if errors:
        raise RoiInputError(errors)
    return RoiInput(rate, tuple(parsed["benefits"]), tuple(parsed["costs"]))


def _parse_line(
    item: Any, path: str, *, with_initial: bool, errors: dict[str, list[str]], strict: bool
) -> Line | None:
    if not isinstance(item, dict):
        errors[path] = [_("Send an object with name, annual and risk.")]
        return None
    before = len(errors)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        errors[f"{path}.name"] = [_("This field is required.")]

    annual = item.get("annual")
    amounts: list[Decimal] = []
    if annual is None:
        errors[f"{path}.annual"] = [_("This field is required.")]
    elif not isinstance(annual, list) or len(annual) != YEARS:
        errors[f"{path}.annual"] = [_("Send exactly 3 amounts, one per year.")]
    else:
        amounts = [a for a in (_number(v, strict=strict) for v in annual) if a is not None and a >= 0]
        if len(amounts) != YEARS:
            errors[f"{path}.annual"] = [_("Each amount must be a number of 0 or more.")]
        elif max(amounts) > MAX_AMOUNT:
            errors[f"{path}.annual"] = [_("Each amount must be at most 10^15.")]

    risk = _number(item.get("risk"), strict=strict) if item.get("risk") is not None else None
    if item.get("risk") is None:
        errors[f"{path}.risk"] = [_("This field is required.")]
    elif risk is None or risk < 0 or risk > 1:
        errors[f"{path}.risk"] = [_("Enter a risk adjustment between 0 and 1, e.g. 0.20 for 20 %.")]

    initial = Decimal(0)
    if with_initial and (item.get("initial") is not None or (strict and "initial" in item)):
        initial = _number(item["initial"], strict=strict)
        if initial is None or initial < 0:
            errors[f"{path}.initial"] = [_("Enter an amount of 0 or more.")]
        elif initial > MAX_AMOUNT:
            errors[f"{path}.initial"] = [_("Each amount must be at most 10^15.")]
    if len(errors) != before:
        return None
    return Line(name.strip(), tuple(amounts), risk, initial)


def _benefit_factor(line: Line) -> Decimal:
    return 1 - line.risk


def _cost_factor(line: Line) -> Decimal:
    return 1 + line.risk


def roi_compute(case: RoiInput) -> dict[str, Any]:
    """{"pv_benefits", "pv_costs", "npv", "roi", "payback_months"}: year t discounted by
    (1 + rate)^t, initial costs at t = 0 undiscounted; a benefit counts (1 - risk) of its value,
    a cost (1 + risk)."""
    factors = [(1 + case.discount_rate) ** year for year in range(1, YEARS + 1)]
    pv_benefits = sum(
        (
            amount * _benefit_factor(line) / factor
            for line in case.benefits
            for amount, factor in zip(line.annual, factors, strict=True)
        ),
        Decimal(0),
    )
    pv_costs = sum((line.initial * _cost_factor(line) for line in case.costs), Decimal(0)) + sum(
        (
            amount * _cost_factor(line) / factor
            for line in case.costs
            for amount, factor in zip(line.annual, factors, strict=True)
        ),
        Decimal(0),
    )
    npv = pv_benefits - pv_costs
    return {
        "pv_benefits": _money(pv_benefits),
        "pv_costs": _money(pv_costs),
        "npv": _money(npv),
        "roi": float((npv / pv_costs).quantize(RATIO, ROUND_HALF_UP)) if pv_costs else None,
        "payback_months": payback_months(case),
    }


def yearly_table(case: RoiInput) -> list[dict[str, Any]]:
    """Per line and year, the risk-adjusted and the discounted figures, for the page and the CSV."""
    rows = []
    factors = [Decimal(1)] + [(1 + case.discount_rate) ** year for year in range(1, YEARS + 1)]
    for kind, lines, adjust in (
        ("benefit", case.benefits, _benefit_factor),
        ("cost", case.costs, _cost_factor),
    ):
        for line in lines:
            amounts = [line.initial if kind == "cost" else Decimal(0), *line.annual]
            adjusted = [amount * adjust(line) for amount in amounts]
            present = [value / factor for value, factor in zip(adjusted, factors, strict=True)]
            rows.append(
                {
                    "kind": kind,
                    "name": line.name,
                    "risk": float(line.risk),
                    "amounts": [_money(a) for a in amounts],
                    "adjusted": [_money(a) for a in adjusted],
                    "total_adjusted": _money(sum(adjusted, Decimal(0))),
                    "present_value": _money(sum(present, Decimal(0))),
                }
            )
    return rows


def payback_months(case: RoiInput) -> float | None:
    """When the cumulative, undiscounted, risk-adjusted net first reaches 0: initial costs at
    month 0, each year's benefits minus costs spread evenly over its 12 months, interpolated
    within the month. None if not within 36 months."""
    cumulative = -sum((line.initial * _cost_factor(line) for line in case.costs), Decimal(0))
    monthly = []
    for year in range(YEARS):
        benefits = sum((line.annual[year] * _benefit_factor(line) for line in case.benefits), Decimal(0))
        costs = sum((line.annual[year] * _cost_factor(line) for line in case.costs), Decimal(0))
        monthly.extend([(benefits - costs) / 12] * 12)
    if cumulative >= 0 and monthly[0] >= 0:
        return 0.0
    for month, net in enumerate(monthly):
        after = cumulative + net
        if cumulative < 0 <= after:
            crossing = Decimal(month) + (-cumulative / net)
            return float(crossing.quantize(TENTH, ROUND_HALF_UP))
        cumulative = after
    return None


def _money(value: Decimal) -> float:
    rounded = float(value.quantize(CENT, ROUND_HALF_UP))
    return 0.0 if rounded == 0 or math.isnan(rounded) else rounded


def risk_for_evidence(*, typed: bool, n: int | None = None, weeks_held: int = 0) -> Decimal:
    """10 % for a measured figure with n of 1,000 or more whose improvement held 8 weeks, 20 % for
    other measured figures, 30 % for a figure someone typed in."""
    if typed:
        return RISK_TYPED
    if n is not None and n >= STRONG_N and weeks_held >= STRONG_WEEKS:
        return RISK_STRONG_EVIDENCE
    return RISK_MEASURED
