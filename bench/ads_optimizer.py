"""bench/ads_optimizer: 20 ad sets with known true conversion rates and order values, simulated day
by day; the optimiser re-splits the budget every morning from everything seen so far, within its
guardrails. Reports ROAS as a share of the oracle's (all budget beyond the minimums on the truly
best ad set) and of an even split's, after 14 and 30 days.

    .venv/bin/python -m bench.ads_optimizer
    .venv/bin/python -m bench.ads_optimizer --scenarios 20 --max-change 0.1 --basis ad_set

Each guardrail setting is run over `--scenarios` random sets of true rates: max change 10 % and
25 %, as a share of each ad set's budget (the default guardrail) and of the campaign budget.
No database. The noise: conversions are Poisson around rate x spend, with a day-of-week factor and
a per-ad-set daily factor (Gamma, mean 1, shape 20: the overdispersion real days show), delivery
spends 90-105 % of each budget, order values are log-normal (sigma 0.6) around each ad set's mean.
The "capped oracle" knows the true rates but moves under the same guardrails (each day the
best split within them): with 20 ad sets starting even and at most 10 % change per ad set per
day, the best ad set can hold at most 5 % x 1.1^13 = 17 % of the budget on day 14, which bounds
every policy, this one included.
ROAS figures are expected value over spend for the budgets chosen (so luck in one simulated day
does not flatter or punish a policy); the realised ROAS is printed alongside.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time
from dataclasses import dataclass

from ads.optimizer import AdSetStats, apply_guardrails, propose_budgets

DAY_FACTORS = (1.0, 0.97, 0.98, 1.0, 1.05, 1.12, 1.08)  # Monday..Sunday


@dataclass
class Truth:
    rate: list[float]  # conversions per 1.00 spent
    order_value: list[float]  # mean value per conversion, major units

    @property
    def roas(self) -> list[float]:
        return [r * v for r, v in zip(self.rate, self.order_value, strict=True)]


def scenario(rng: random.Random, n: int, cpa_sigma: float) -> Truth:
    cpa = [25.0 * math.exp(rng.gauss(0, cpa_sigma)) for _ in range(n)]
    aov = [60.0 * math.exp(rng.gauss(0, 0.2)) for _ in range(n)]
    return Truth([1 / c for c in cpa], aov)


def oracle_budgets(truth: Truth, total: int, floor: int) -> list[int]:
    best = max(range(len(truth.roas)), key=truth.roas.__getitem__)
    budgets = [floor] * len(truth.roas)
    budgets[best] = total - floor * (len(truth.roas) - 1)
    return budgets


def expected_roas(truth: Truth, budgets: list[int]) -> float:
    return sum(b * r for b, r in zip(budgets, truth.roas, strict=True)) / sum(budgets)


def capped_oracle_step(
    truth: Truth, budgets: list[int], floor: int, max_change: float, basis: str
) -> list[int]:
    """The best next budgets knowing the true ROAS, under the same guardrails: per ad set, fill the
    highest-ROAS ad sets to their caps first (the optimum of that day's linear programme)."""
    if basis == "campaign":
        target = oracle_budgets(truth, sum(budgets), floor)
        return apply_guardrails(budgets, target, min_spend=floor, max_change=max_change, basis=basis)
    low = [max(floor, b - math.floor(b * max_change + 1e-9)) for b in budgets]
    high = [b + math.floor(b * max_change + 1e-9) for b in budgets]
    out, spare = list(low), sum(budgets) - sum(low)
    for i in sorted(range(len(budgets)), key=lambda i: -truth.roas[i]):
        give = min(spare, high[i] - out[i])
        out[i] += give
        spare -= give
    return out


def poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def simulate(
    truth: Truth,
    *,
    days: int,
    total: int,
    floor: int,
    max_change: float,
    basis: str,
    seed: int,
    policy: str,
    rule: str = "expected_optimal",
):
    """Day-by-day budgets and outcomes of a policy: "thompson", "even", "oracle", or
    "capped_oracle" (knows the truth but moves within the same guardrails: the best any policy
    can do under them)."""
    rng = random.Random(seed)
    n = len(truth.rate)
    budgets = _even(total, n)
    spend, conversions, value = [0] * n, [0] * n, [0] * n
    daily_expected, realised_value, realised_spend = [], 0, 0
    if policy == "oracle":
        budgets = oracle_budgets(truth, total, floor)
    for day in range(days):
        if policy == "thompson" and day > 0:
            stats = [AdSetStats(str(i), budgets[i], spend[i], conversions[i], value[i]) for i in range(n)]
            proposal = propose_budgets(
                stats, min_spend=floor, max_change=max_change, basis=basis, rule=rule, seed=seed * 1000 + day
            )
            budgets = [move.proposed for move in proposal.moves]
            assert sum(budgets) == total and min(budgets) >= floor
        elif policy == "capped_oracle" and day > 0:
            budgets = capped_oracle_step(truth, budgets, floor, max_change, basis)
        daily_expected.append(expected_roas(truth, budgets))
        factor = DAY_FACTORS[day % 7]
        for i in range(n):
            spent = round(budgets[i] * rng.uniform(0.90, 1.05))  # minor units
            mean = truth.rate[i] * spent / 100 * factor * rng.gammavariate(20, 1 / 20)
            got = poisson(rng, mean)
            worth = sum(
                truth.order_value[i] * math.exp(rng.gauss(-0.18, 0.6)) for _ in range(got)
            )  # E[exp(N(-0.18, 0.6))] = 1
            spend[i] += spent
            conversions[i] += got
            value[i] += round(worth * 100)
            realised_value += round(worth * 100)
            realised_spend += spent
    return daily_expected, realised_value / realised_spend, budgets


def _even(total: int, n: int) -> list[int]:
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ad-sets", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--budget", type=int, default=300_000, help="daily total, minor units (cents)")
    parser.add_argument("--min-spend", type=int, default=1_500, help="per ad set per day, minor units")
    parser.add_argument("--scenarios", type=int, default=10, help="random sets of true rates")
    parser.add_argument(
        "--cpa-sigma", type=float, default=0.35, help="spread of true CPAs (log-normal sigma)"
    )
    parser.add_argument("--max-change", type=float, nargs="+", default=[0.10, 0.25])
    parser.add_argument(
        "--basis", nargs="+", default=["ad_set", "campaign"], help="what max change is a share of"
    )
    parser.add_argument(
        "--rule", default="expected_optimal", choices=["expected_optimal", "probability_best"]
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    print(
        f"{args.ad_sets} ad sets, {args.days} days, budget {args.budget / 100:.2f}/day, "
        f"min spend {args.min_spend / 100:.2f}/ad set, {args.scenarios} scenarios, CPA sigma {args.cpa_sigma}, "
        f"rule {args.rule}"
    )
    checkpoints = [d for d in (14, 30) if d <= args.days]
    for basis, max_change in [(b, m) for b in args.basis for m in args.max_change]:
        rows: dict[str, list[float]] = {}
        for s in range(args.scenarios):
            truth = scenario(random.Random(args.seed * 7919 + s), args.ad_sets, args.cpa_sigma)
            oracle = expected_roas(truth, oracle_budgets(truth, args.budget, args.min_spend))
            even = expected_roas(truth, _even(args.budget, args.ad_sets))
            daily, realised, _ = simulate(
                truth,
                days=args.days,
                total=args.budget,
                floor=args.min_spend,
                max_change=max_change,
                basis=basis,
                seed=args.seed + s,
                policy="thompson",
                rule=args.rule,
            )
            _, even_realised, _ = simulate(
                truth,
                days=args.days,
                total=args.budget,
                floor=args.min_spend,
                max_change=max_change,
                basis=basis,
                seed=args.seed + s,
                policy="even",
            )
            capped, _, _ = simulate(
                truth,
                days=args.days,
                total=args.budget,
                floor=args.min_spend,
                max_change=max_change,
                basis=basis,
                seed=args.seed + s,
                policy="capped_oracle",
            )
            rows.setdefault("even split, share of oracle", []).append(even / oracle)
            for day in checkpoints:
                on_day = daily[day - 1]
                cumulative = statistics.fmean(daily[:day])
                rows.setdefault(f"day {day}: capped oracle on the day, share of oracle", []).append(
                    capped[day - 1] / oracle
                )
                rows.setdefault(f"day {day}: on the day, share of capped oracle", []).append(
                    on_day / capped[day - 1]
                )
                rows.setdefault(f"day {day}: on the day, share of oracle", []).append(on_day / oracle)
                rows.setdefault(f"day {day}: days 1-{day}, share of oracle", []).append(cumulative / oracle)
                rows.setdefault(f"day {day}: on the day, vs even split", []).append(on_day / even)
                rows.setdefault(f"day {day}: days 1-{day}, vs even split", []).append(cumulative / even)
            rows.setdefault(f"realised ROAS, {args.days} days, vs even split", []).append(
                realised / even_realised
            )
        what = "of each ad set's budget" if basis == "ad_set" else "of the campaign budget"
        print(f"\nmax change per step {max_change:.0%} {what} (mean, min over scenarios):")
        for name, values in rows.items():
            print(f"  {name:<52} {statistics.fmean(values):6.1%}  (min {min(values):6.1%})")
    load = os.getloadavg()
    print(f"\n{time.perf_counter() - started:.1f} s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
