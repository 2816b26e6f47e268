"""Budget split across a campaign's ad sets by Thompson sampling, within guardrails. Pure functions:
the service layer feeds them insights and budgets, and stores, audits and applies the proposal.

Model, per ad set, independently:

- objective "conversions": conversions ~ Poisson(rate x spend) with rate ~ Gamma(a0, b0) a priori,
  hence rate ~ Gamma(a0 + conversions, b0 + spend) a posteriori; `rate` is conversions per major
  currency unit (1.00) spent.
- objective "value": value per unit spent = rate x mean order value. The rate as above; order
  values ~ Exponential(mean m) with m ~ InverseGamma(c0, d0), hence m ~ InverseGamma(c0 +
  conversions, d0 + value). A draw of the objective is rate* x m*: ROAS, value and spend being in
  the same currency.

The prior is weak and centred on the campaign: `prior_strength` pseudo-conversions at the pooled
rate and pooled order value of all the ad sets, so a new ad set starts where the campaign is and a
few days of its own data outweigh that.

A step draws `draws` joint samples of every ad set's objective. P(best) is the share of draws in
which an ad set is the best. The allocation (rule "expected_optimal", the default) is the average
over the draws of the best budget split for that draw within the guardrails; it is Thompson
sampling made smooth (each draw is one plausible truth, and the budget goes where those truths
agree), and, being an average of feasible splits, it is itself feasible. Rule "probability_best"
instead aims at min spend + the rest in proportion to P(best), then projects that onto the
guardrails (water-filling: clip(target + shift) with the shift that makes the sum exact, never
moving a budget against its target's direction).

Guardrails: no ad set below `min_spend` (which wins: an ad set under it is raised); each step
changes an ad set's budget by at most `max_change` of that budget (basis "ad_set", the default),
or moves at most `max_change` of the campaign budget between ad sets (basis "campaign"); the total
is unchanged; budgets are integer minor units, rounded by largest remainder within the bounds so
the sum is exact.

Why the basis matters: from an even split over 20 ad sets a 10 % per-ad-set cap lets the best ad
set grow from 5 % to at most 5 % x 1.1^13 = 17 % of the budget in 13 daily steps, whatever the
evidence; a 10 % campaign cap moves 10 points of the budget a day (see bench/ads_optimizer).

numpy is used for the draws; it is installed as a dependency of py3langid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

OBJECTIVES = ("value", "conversions")
BASES = ("ad_set", "campaign")
RULES = ("expected_optimal", "probability_best")


class OptimizerError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class AdSetStats:
    """What one ad set did over the observation window, and its budget now; money in the campaign
    currency's minor units."""

    id: str
    budget: int
    spend: int = 0
    conversions: int = 0
    value: int = 0


@dataclass(frozen=True, slots=True)
class Posterior:
    model: str  # "gamma-poisson", or "gamma-poisson x inverse-gamma-exponential" for value
    alpha: float  # rate ~ Gamma(alpha, beta); beta in major units spent
    beta: float
    value_shape: float | None  # mean order value ~ InverseGamma(shape, scale), major units
    value_scale: float | None
    mean: float  # of the objective, per 1.00 spent
    low: float  # credible interval, from the draws
    high: float


@dataclass(frozen=True, slots=True)
class Move:
    id: str
    current: int
    proposed: int
    target: int  # min spend + the rest x P(best): where the evidence alone points
    probability_best: float
    posterior: Posterior
    limited_by: tuple[str, ...]  # "max_change", "min_spend"
    explanation: str

    @property
    def change(self) -> int:
        return self.proposed - self.current


@dataclass(frozen=True, slots=True)
class Proposal:
    objective: str
    rule: str
    basis: str
    max_change: Fraction
    total: int
    moves: tuple[Move, ...]
    draws: int
    seed: int | None
    credible: float

    def budgets(self) -> dict[str, int]:
        return {move.id: move.proposed for move in self.moves}


def propose_budgets(
    ad_sets: Sequence[AdSetStats],
    *,
    objective: str = "value",
    min_spend: int | Mapping[str, int] = 0,
    max_change: float | Fraction = Fraction(1, 10),
    basis: str = "ad_set",
    rule: str = "expected_optimal",
    total: int | None = None,
    draws: int = 4000,
    seed: int | None = 0,
    prior_strength: float = 1.0,
    credible: float = 0.9,
    exponent: int = 2,
) -> Proposal:
    """Propose new budgets for `ad_sets`; see the module docstring for model, rules and guardrails.

    `min_spend` is one amount for all or per ad set id. `max_change` is a share (0.1 = 10 %) of
    each ad set's budget (basis "ad_set") or of the campaign budget (basis "campaign"). `total`
    defaults to the sum of the current budgets (another total rescales them first). `exponent` is
    the currency's, for "per 1.00 spent" figures. The same inputs and `seed` give the same proposal.
    """
    if not ad_sets:
        raise OptimizerError("no ad sets")
    for name, value, allowed in (
        ("objective", objective, OBJECTIVES),
        ("basis", basis, BASES),
        ("rule", rule, RULES),
    ):
        if value not in allowed:
            raise OptimizerError(f"{name} is one of {', '.join(allowed)}")
    ids = [ad_set.id for ad_set in ad_sets]
    if len(set(ids)) != len(ids):
        raise OptimizerError("ad set ids repeat")
    for ad_set in ad_sets:
        if min(ad_set.budget, ad_set.spend, ad_set.conversions, ad_set.value) < 0:
            raise OptimizerError(f"ad set {ad_set.id}: negative figures")
    step = _fraction(max_change)
    current = [ad_set.budget for ad_set in ad_sets]
    total = sum(current) if total is None else total
    if total != sum(current):
        current = _rescale(current, total)
    floors = [min_spend.get(i, 0) if isinstance(min_spend, Mapping) else min_spend for i in ids]
    if sum(floors) > total:
        raise OptimizerError(f"minimum spends add up to {sum(floors)}, more than the budget {total}")

    posteriors, samples = _sample(ad_sets, objective, draws, seed, prior_strength, exponent, credible)
    p_best = np.bincount(np.argmax(samples, axis=1), minlength=len(ids)) / draws
    spare = total - sum(floors)
    target = _round_to_total(
        [f + spare * p for f, p in zip(floors, p_best, strict=True)], total, floors, [total] * len(ids)
    )

    if rule == "expected_optimal" and all(c >= f for c, f in zip(current, floors, strict=True)):
        proposed = _expected_optimal(samples, current, floors, step, basis)
    else:  # also when an ad set sits below its minimum: the projection raises it first
        proposed = _guard(current, target, floors, step, basis)
    low, high = _bounds(current, floors, step) if basis == "ad_set" else (floors, [total] * len(ids))

    moves = []
    for i, ad_set in enumerate(ad_sets):
        limited = _limited_by(current[i], proposed[i], target[i], low[i], high[i], floors[i], basis)
        moves.append(
            Move(
                id=ad_set.id,
                current=current[i],
                proposed=proposed[i],
                target=target[i],
                probability_best=float(p_best[i]),
                posterior=posteriors[i],
                limited_by=limited,
                explanation=_explain(
                    objective,
                    current[i],
                    proposed[i],
                    target[i],
                    float(p_best[i]),
                    posteriors[i],
                    limited,
                    credible,
                ),
            )
        )
    return Proposal(objective, rule, basis, step, total, tuple(moves), draws, seed, credible)


def apply_guardrails(
    current: Sequence[int],
    target: Sequence[int],
    *,
    min_spend: int | Sequence[int] = 0,
    max_change: float | Fraction = Fraction(1, 10),
    basis: str = "ad_set",
) -> list[int]:
    """The integer budgets closest to `target` that keep the guardrails from `current` (minimum
    spends, the step bound, no move against the target's direction, sum(current) exactly): for a
    proposal a marketer edited by hand."""
    current, target = list(current), list(target)
    if len(current) != len(target):
        raise OptimizerError("current and target budgets differ in length")
    if basis not in BASES:
        raise OptimizerError(f"basis is one of {', '.join(BASES)}")
    total = sum(current)
    floors = list(min_spend) if isinstance(min_spend, Sequence) else [min_spend] * len(current)
    if sum(floors) > total:
        raise OptimizerError(f"minimum spends add up to {sum(floors)}, more than the budget {total}")
    if sum(target) != total:
        target = _rescale(target, total)
    return _guard(current, target, floors, _fraction(max_change), basis)


def _fraction(value: float | Fraction) -> Fraction:
    fraction = value if isinstance(value, Fraction) else Fraction(str(value))  # 0.1 -> 1/10 exactly
    if not 0 <= fraction <= 1:
        raise OptimizerError("max_change is a share between 0 and 1")
    return fraction


# --- posterior ------------------------------------------------------------------------------------


def _sample(
    ad_sets: Sequence[AdSetStats],
    objective: str,
    draws: int,
    seed: int | None,
    prior_strength: float,
    exponent: int,
    credible: float,
) -> tuple[list[Posterior], np.ndarray]:
    unit = 10**exponent
    spend = np.array([ad_set.spend / unit for ad_set in ad_sets])
    conversions = np.array([float(ad_set.conversions) for ad_set in ad_sets])
    value = np.array([ad_set.value / unit for ad_set in ad_sets])
    pooled_rate = (conversions.sum() + 0.5) / (spend.sum() + 1.0)  # no data is not a zero rate
    pooled_value = value.sum() / conversions.sum() if conversions.sum() else 1.0
    alphas = prior_strength + conversions
    betas = prior_strength / pooled_rate + spend
    shapes = prior_strength + 1.0 + conversions  # InverseGamma mean = scale / (shape - 1)
    scales = prior_strength * pooled_value + value

    rng = np.random.default_rng(seed)
    samples = rng.gamma(alphas, 1.0 / betas, size=(draws, len(ad_sets)))
    by_value = objective == "value"
    if by_value:
        samples = samples * (scales / rng.gamma(shapes, 1.0, size=(draws, len(ad_sets))))
    means = alphas / betas * (scales / (shapes - 1) if by_value else 1.0)
    tail = (1 - credible) / 2
    lows, highs = np.quantile(samples, [tail, 1 - tail], axis=0)
    model = "gamma-poisson x inverse-gamma-exponential" if by_value else "gamma-poisson"
    posteriors = [
        Posterior(
            model=model,
            alpha=float(alphas[i]),
            beta=float(betas[i]),
            value_shape=float(shapes[i]) if by_value else None,
            value_scale=float(scales[i]) if by_value else None,
            mean=float(means[i]),
            low=float(lows[i]),
            high=float(highs[i]),
        )
        for i in range(len(ad_sets))
    ]
    return posteriors, samples


def _expected_optimal(
    samples: np.ndarray, current: list[int], floors: list[int], step: Fraction, basis: str
) -> list[int]:
    """The mean over draws of each draw's best feasible split (budget is linear in the rate, so a
    draw's best fills the ad sets in the order of its sampled values)."""
    total = sum(current)
    n = len(current)
    cur = np.array(current, dtype=float)
    if basis == "ad_set":
        low, high = _bounds(current, floors, step)
        lo, cap = np.array(low, dtype=float), np.array(high, dtype=float) - np.array(low, dtype=float)
        order = np.argsort(-samples, axis=1)
        cap_sorted = cap[order]
        before = np.cumsum(cap_sorted, axis=1) - cap_sorted
        give_sorted = np.clip(total - lo.sum() - before, 0.0, cap_sorted)
        give = np.empty_like(give_sorted)
        np.put_along_axis(give, order, give_sorted, axis=1)
        mean = lo + give.mean(axis=0)
        return _round_to_total(mean.tolist(), total, low, high)
    # campaign: take up to `allowed` from the draw's worst ad sets (down to their floors) and give
    # it to the draw's best; the margin keeps rounding from exceeding the cap.
    allowed = max(0, math.floor(total * step) - n)
    room = cur - np.array(floors, dtype=float)
    order = np.argsort(samples, axis=1)  # worst first
    best = order[:, -1]
    room_sorted = room[order]
    room_sorted[:, -1] = 0.0
    before = np.cumsum(room_sorted, axis=1) - room_sorted
    take_sorted = np.clip(allowed - before, 0.0, room_sorted)
    take = np.empty_like(take_sorted)
    np.put_along_axis(take, order, take_sorted, axis=1)
    alloc = cur - take
    alloc[np.arange(len(best)), best] += take.sum(axis=1)
    mean = alloc.mean(axis=0)
    low = [min(c, math.floor(m)) for c, m in zip(current, mean, strict=True)]
    high = [max(c, math.ceil(m)) for c, m in zip(current, mean, strict=True)]
    return _round_to_total(
        mean.tolist(), total, [max(lo, f) for lo, f in zip(low, floors, strict=True)], high
    )


# --- guardrails -----------------------------------------------------------------------------------


def _guard(current: list[int], target: list[int], floors: list[int], step: Fraction, basis: str) -> list[int]:
    total = sum(current)
    if basis == "ad_set":
        low, high = _bounds(current, floors, step)
        return _closest_within(target, *_toward(target, current, low, high, floors, total), total)
    # campaign: go the same fraction of the way to the target everywhere, so that at most
    # step x total changes hands; a convex combination keeps the floors and the total.
    moving = sum(max(0, t - c) for t, c in zip(target, current, strict=True))
    allowed = max(0, math.floor(total * step) - len(current))
    theta = Fraction(1) if moving <= allowed else Fraction(allowed, moving)
    values = [float(c + theta * (t - c)) for c, t in zip(current, target, strict=True)]
    low = [max(f, min(c, t)) for c, t, f in zip(current, target, floors, strict=True)]
    high = [max(c, t, f) for c, t, f in zip(current, target, floors, strict=True)]
    return _round_to_total(values, total, low, high)


def _bounds(current: list[int], floors: list[int], step: Fraction) -> tuple[list[int], list[int]]:
    """[current - d, current + d] with d = floor(current x step), never below the minimum spend."""
    low, high = [], []
    for budget, floor in zip(current, floors, strict=True):
        d = math.floor(budget * step)
        lo = max(floor, budget - d)
        low.append(lo)
        high.append(max(lo, budget + d))
    return low, high


def _toward(
    target: list[int], current: list[int], low: list[int], high: list[int], floors: list[int], total: int
) -> tuple[list[int], list[int]]:
    """Narrow each ad set's bounds to the side of its target, so that when caps bind elsewhere no
    budget moves against the evidence (a likely loser is never raised to balance the sum). The
    plain bounds when raising an ad set to its minimum makes that infeasible."""
    lo2, hi2 = [], []
    for t, c, lo, hi, floor in zip(target, current, low, high, floors, strict=True):
        if t >= c:
            lo2.append(max(c, floor))
            hi2.append(max(hi, lo2[-1]))
        else:
            lo2.append(lo)
            hi2.append(max(c, lo))
    if sum(lo2) <= total <= sum(hi2):
        return lo2, hi2
    return low, high


def _closest_within(target: list[int], low: list[int], high: list[int], total: int) -> list[int]:
    """Integer budgets within [low, high] summing to `total`, closest to `target`."""
    if not sum(low) <= total <= sum(high):
        raise OptimizerError(
            f"guardrails cannot be met: bounds sum to {sum(low)}..{sum(high)}, budget {total}"
        )

    def allocation(shift: float) -> list[float]:
        return [min(max(t + shift, lo), hi) for t, lo, hi in zip(target, low, high, strict=True)]

    below, above = -float(total) - max(target), float(total) + max(high)
    for _ in range(100):
        middle = (below + above) / 2
        if sum(allocation(middle)) < total:
            below = middle
        else:
            above = middle
    return _round_to_total(allocation(above), total, low, high)


def _round_to_total(
    values: Sequence[float], total: int, low: Sequence[int], high: Sequence[int]
) -> list[int]:
    """Round down within the bounds, then hand out the remainder by largest fraction."""
    rounded = [min(max(math.floor(v), lo), hi) for v, lo, hi in zip(values, low, high, strict=True)]
    remainder = total - sum(rounded)
    direction = 1 if remainder > 0 else -1
    order = sorted(range(len(values)), key=lambda i: values[i] - math.floor(values[i]), reverse=direction > 0)
    while remainder:
        moved = False
        for i in order:
            if remainder == 0:
                break
            if (direction > 0 and rounded[i] < high[i]) or (direction < 0 and rounded[i] > low[i]):
                rounded[i] += direction
                remainder -= direction
                moved = True
        if not moved:
            raise OptimizerError("cannot round the budgets to the total within the bounds")
    return rounded


def _rescale(budgets: list[int], total: int) -> list[int]:
    base = sum(budgets)
    share = [total / len(budgets)] * len(budgets) if base == 0 else [b * total / base for b in budgets]
    return _round_to_total(share, total, [0] * len(budgets), [total] * len(budgets))


def _limited_by(
    current: int, proposed: int, target: int, low: int, high: int, floor: int, basis: str
) -> tuple[str, ...]:
    if proposed == floor and target <= floor and floor > 0:
        return ("min_spend",)  # the evidence says less; the minimum keeps it
    if proposed == target:
        return ()
    if (target > proposed and (basis == "campaign" or proposed == high)) or (
        target < proposed and (basis == "campaign" or proposed == low)
    ):
        return ("max_change",)
    return ()


def _explain(
    objective: str,
    current: int,
    proposed: int,
    target: int,
    p_best: float,
    posterior: Posterior,
    limited: tuple[str, ...],
    credible: float,
) -> str:
    what = "value per 1.00 spent (ROAS)" if objective == "value" else "conversions per 1.00 spent"
    change = proposed - current
    pct = f" ({change / current:+.1%})" if current else ""
    verb = "keep" if change == 0 else ("raise" if change > 0 else "lower")
    text = (
        f"{verb} {current} -> {proposed}{pct}: P(best) {p_best:.0%}; {what} {posterior.mean:.3g} "
        f"[{posterior.low:.3g}-{posterior.high:.3g}, {credible:.0%} credible]"
    )
    if limited:
        reasons = {
            "max_change": "capped by the max change per step",
            "min_spend": "held at the minimum spend",
        }
        text += f"; evidence alone points to {target}, " + " and ".join(reasons[r] for r in limited)
    return text
