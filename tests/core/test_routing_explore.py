"""Exploration rules for ``learned``: hand-worked orders, seeded draws, tiers kept."""

from __future__ import annotations

import numpy as np
import pytest

from labeler.routing import HUMAN, RoutingInput
from labeler.routing.explore import bald, explore_decision, interleave
from labeler.routing.learned import LearnedStrategy
from labeler.routing.logistic import LogisticModel, fit_logistic

# Two features; the first weight is known exactly, the second not at all (variance 4), the
# bias is known: an item's logit is x1 +- 2 * x2.
MODEL = LogisticModel(
    mean=np.zeros(2),
    scale=np.ones(2),
    weights=np.array([1.0, 0.0]),
    bias=0.0,
    covariance=np.diag([0.0, 4.0, 0.0]),
)
X = np.array([[1.0, 0.0], [0.6, 1.0], [0.2, 0.0]])
FLAT = np.zeros(3)
ALL = np.ones(3, dtype=bool)


def order(logit: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-logit, kind="stable")]


def test_ucb_puts_the_item_the_model_knows_nothing_about_first() -> None:
    rng = np.random.default_rng(0)
    # Greedy: logits 1, 0.6, 0.2. UCB adds one s.d. (0, 2, 0): 1, 2.6, 0.2.
    ucb = explore_decision("ucb", MODEL, X, FLAT, ALL, rng)
    assert ucb == pytest.approx([1.0, 2.6, 0.2])
    assert order(MODEL.decision(X)) == [0, 1, 2]
    assert order(ucb) == [1, 0, 2]


def test_thompson_is_seeded_and_moves_only_what_the_posterior_doubts() -> None:
    draws = [
        explore_decision("thompson", MODEL, X, FLAT, ALL, np.random.default_rng(s))
        for s in range(40)
    ]
    again = explore_decision("thompson", MODEL, X, FLAT, ALL, np.random.default_rng(7))
    assert np.array_equal(draws[7], again)
    # Items 0 and 2 depend only on the known weight: their logits never move.
    assert all(d[[0, 2]] == pytest.approx([1.0, 0.2]) for d in draws)
    # Item 1's logit is 0.6 + a draw from N(0, 4): it lands above and below the others.
    assert {order(d)[0] for d in draws} == {0, 1}
    assert {order(d)[-1] for d in draws} == {1, 2}
    assert np.std([d[1] for d in draws]) == pytest.approx(2.0, rel=0.35)


def test_bald_is_zero_when_certain_and_one_bit_when_the_label_is_a_coin_toss() -> None:
    assert bald(np.array([0.0]), np.array([0.0]))[0] == pytest.approx(0.0, abs=1e-9)
    info = bald(np.zeros(4), np.array([0.5, 1.0, 4.0, 1000.0]))
    assert np.all(np.diff(info) > 0)
    assert info[-1] == pytest.approx(1.0, abs=0.01)
    # A confident prediction teaches less than an unsure one at the same doubt about weights.
    assert bald(np.array([4.0]), np.array([1.0]))[0] < bald(np.array([0.0]), np.array([1.0]))[0]


def test_interleave_gives_every_period_th_pick_to_the_informative_item() -> None:
    greedy = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0, -np.inf])
    informative = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 9.0, -np.inf])
    merged = interleave(greedy, informative, period=3)
    # Picks 1, 2 greedy (items 0, 1); pick 3 informative (item 5); picks 4, 5 greedy (2, 3);
    # pick 6 informative: the best untaken is item 4; the ineligible item 6 comes last.
    assert order(merged) == [0, 1, 5, 2, 3, 4, 6]
    assert order(interleave(greedy, informative, period=1000)) == [0, 1, 2, 3, 4, 5, 6]


def synthetic(n: int = 400, seed: int = 0) -> tuple[RoutingInput, np.ndarray]:
    """Items with one informative feature, a few self-contradictions and half of them
    labelled by people: (input, truth)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n).astype(np.int8)
    signal = rng.normal(size=n)
    wrong = rng.random(n) < 1 / (1 + np.exp(2 - 1.5 * signal))
    ai = np.where(wrong, 1 - truth, truth).astype(np.int8)
    contradiction = np.zeros(n)
    contradiction[rng.choice(n, 12, replace=False)] = 1.0
    known = rng.random(n) < 0.5
    return (
        RoutingInput(
            ai_label=ai,
            contradiction=contradiction,
            features=np.column_stack([signal, rng.normal(size=n)]),
            feature_names=("signal", "noise"),
            human_label=np.where(known, truth, -1).astype(np.int8),
            eligible=~known,
        ),
        truth,
    )


def test_learned_bald_keeps_the_tiers_and_greedy_picks_between_its_own() -> None:
    inp, _ = synthetic()
    greedy = LearnedStrategy().decide(inp, 100, np.random.default_rng(0)).human_order
    picks = LearnedStrategy(explore="bald").decide(inp, 100, np.random.default_rng(0))
    again = LearnedStrategy(explore="bald").decide(inp, 100, np.random.default_rng(0))
    assert np.array_equal(picks.human_order, again.human_order)
    assert np.all(picks.route[~inp.eligible_mask] != HUMAN)
    first = picks.human_order
    assert inp.contradiction is not None
    contradicting = inp.contradiction[inp.eligible_mask].sum()
    assert contradicting > 0
    assert np.all(inp.contradiction[first[: int(contradicting)]] == 1)
    # Nine greedy picks, then one informative pick, in every run of ten: without the
    # informative picks the order is greedy's.
    informative = {int(i) for i in first[9::10]}
    own = [int(i) for pos, i in enumerate(first) if pos % 10 != 9]
    assert own == [int(i) for i in greedy if int(i) not in informative][: len(own)]
    assert not np.array_equal(first, greedy)


def test_thompson_routing_is_seeded_and_differs_across_seeds() -> None:
    inp, _ = synthetic()
    runs = [
        LearnedStrategy(explore="thompson").decide(inp, 50, np.random.default_rng(s)).human_order
        for s in (0, 0, 1)
    ]
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_the_fit_reports_its_laplace_covariance() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (rng.random(200) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    few = fit_logistic(x[:20], y[:20], l2=8.0, center=(np.zeros(2), np.ones(2)))
    many = fit_logistic(x, y, l2=8.0, center=(np.zeros(2), np.ones(2)))
    assert few.covariance is not None
    assert many.covariance is not None
    # More rows, less doubt; never more than the prior's 1/8 per weight.
    assert np.all(np.diag(many.covariance)[:2] < np.diag(few.covariance)[:2])
    assert np.all(np.diag(few.covariance)[:2] <= 1 / 8)
    with pytest.raises(ValueError, match="unknown exploration rule"):
        explore_decision("eps", MODEL, X, FLAT, ALL, np.random.default_rng(0))
