"""The budget optimiser moves money toward what works, within its guardrails: minimum spend per
ad set, at most 10 % change per ad set per step, the total unchanged to the minor unit."""

from __future__ import annotations

import random

import pytest

from ads.optimizer import AdSetStats, OptimizerError, apply_guardrails, propose_budgets


def _clear_data():
    # Same spend; "good" returns 4x what "bad" does, "mid" 2x.
    return [
        AdSetStats("good", budget=100_000, spend=700_000, conversions=280, value=2_800_000),
        AdSetStats("mid", budget=100_000, spend=700_000, conversions=140, value=1_400_000),
        AdSetStats("bad", budget=100_001, spend=700_000, conversions=70, value=700_000),
    ]


@pytest.mark.parametrize("objective", ["value", "conversions"])
def test_budget_moves_toward_the_better_ad_set(objective):
    proposal = propose_budgets(_clear_data(), objective=objective, min_spend=10_000)
    budgets = proposal.budgets()
    assert budgets["good"] > 100_000 and budgets["bad"] < 100_001
    good = proposal.moves[0]
    assert good.probability_best > 0.99 and good.limited_by == ("max_change",)


def test_no_ad_set_changes_by_more_than_ten_percent_and_the_sum_is_exact():
    proposal = propose_budgets(_clear_data(), min_spend=10_000)
    for move in proposal.moves:
        assert abs(move.change) <= move.current // 10
    assert sum(proposal.budgets().values()) == 300_001


def test_min_spend_is_respected():
    data = [
        AdSetStats("good", budget=280_000, spend=700_000, conversions=280, value=2_800_000),
        AdSetStats("bad", budget=20_500, spend=700_000, conversions=1, value=10_000),
    ]
    proposal = propose_budgets(data, min_spend=20_000)
    assert proposal.budgets() == {"good": 280_500, "bad": 20_000}
    assert proposal.moves[1].limited_by == ("min_spend",)


def test_guardrails_hold_on_random_inputs():
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(2, 25)
        ad_sets = [
            AdSetStats(
                str(i),
                budget=rng.randint(1_000, 500_000),
                spend=rng.randint(0, 10**6),
                conversions=rng.randint(0, 300),
                value=rng.randint(0, 10**7),
            )
            for i in range(n)
        ]
        floor = min(a.budget for a in ad_sets) // 2
        for basis in ("ad_set", "campaign"):
            proposal = propose_budgets(
                ad_sets, min_spend=floor, basis=basis, seed=rng.randint(0, 99), draws=500
            )
            total = sum(a.budget for a in ad_sets)
            assert sum(m.proposed for m in proposal.moves) == total
            assert all(m.proposed >= floor for m in proposal.moves)
            if basis == "ad_set":
                assert all(abs(m.change) <= m.current // 10 for m in proposal.moves)
            else:
                assert sum(max(0, m.change) for m in proposal.moves) <= total // 10


def test_the_same_seed_gives_the_same_proposal():
    assert propose_budgets(_clear_data(), seed=5) == propose_budgets(_clear_data(), seed=5)


def test_each_move_is_explained_with_its_posterior():
    move = propose_budgets(_clear_data(), min_spend=10_000).moves[0]
    assert move.posterior.model.startswith("gamma-poisson")
    assert move.posterior.low < move.posterior.mean < move.posterior.high
    assert 3.5 < move.posterior.mean < 4.5  # ROAS 4
    assert "P(best)" in move.explanation and "credible" in move.explanation and "+10.0%" in move.explanation


def test_no_data_keeps_an_even_split_roughly_even():
    ad_sets = [AdSetStats(str(i), budget=50_000) for i in range(4)]
    budgets = propose_budgets(ad_sets, min_spend=5_000).budgets()
    assert sum(budgets.values()) == 200_000 and all(45_000 <= b <= 55_000 for b in budgets.values())


def test_campaign_basis_moves_at_most_that_share_of_the_total():
    proposal = propose_budgets(_clear_data(), min_spend=10_000, basis="campaign")
    moved = sum(max(0, m.change) for m in proposal.moves)
    assert 0 < moved <= 30_000 and proposal.budgets()["good"] > 100_000 + 20_000


def test_apply_guardrails_to_a_hand_edited_proposal():
    assert apply_guardrails([100_000, 100_000, 100_000], [300_000, 0, 0], min_spend=5_000) == [
        110_000,
        95_000,
        95_000,
    ]


def test_minimum_spends_above_the_budget_are_refused():
    with pytest.raises(OptimizerError, match="minimum spends"):
        propose_budgets([AdSetStats("a", 1_000), AdSetStats("b", 1_000)], min_spend=1_500)
