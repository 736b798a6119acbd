"""Routing strategies: determinism, budget accounting, monotone margin, no hidden labels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.routing import (
    HUMAN,
    MODEL,
    REVIEW,
    STRATEGY_NAMES,
    RoutingInput,
    logistic_head,
    make_strategy,
    resolve_budget,
    with_audit,
)
from labeler.routing.features import item_tags, routing_features, text_stats
from labeler.routing.hyper import fit_ppm
from labeler.routing.learned import LearnedStrategy
from labeler.routing.simulate import HiddenLabelError, Oracle, SimTask, human_trajectory, simulate


def synthetic(n: int = 300, seed: int = 0) -> tuple[RoutingInput, np.ndarray]:
    """Items whose AI label is wrong more often where judges disagree: (input, truth)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n).astype(np.int8)
    hard = rng.random(n) < 0.4
    ai = np.where(hard & (rng.random(n) < 0.6), 1 - truth, truth).astype(np.int8)
    judge = np.where(rng.random(n) < np.where(hard, 0.5, 0.1), 1 - truth, truth).astype(float)
    members = np.clip(
        np.where(truth == 1, 0.6, 0.4)[:, None]
        + rng.normal(0, np.where(hard, 0.2, 0.05))[:, None]
        + rng.normal(0, 0.05, (n, 5)),
        0,
        1,
    )
    words = [" ".join(["word"] * int(k)) for k in rng.integers(1, 60, n)]
    stats = text_stats(["prompt"] * n, words, words[::-1])
    base = RoutingInput(
        ai_label=ai,
        margin=np.abs(members.mean(axis=1) - 0.5),
        member_probs=members,
        judge_probs=judge[:, None],
        head_features=rng.normal(size=(n, 6)) + (truth[:, None] - 0.5),
    )
    features, names = routing_features(base, stats)
    tags, tag_names = item_tags(stats)
    inp = RoutingInput(
        **{
            **base.__dict__,
            "features": features,
            "feature_names": names,
            "tags": tags,
            "tag_names": tag_names,
            "human_label": None,
            "eligible": None,
        }
    )
    return inp, truth


def labelled(inp: RoutingInput, truth: np.ndarray, k: int, seed: int = 1) -> RoutingInput:
    """``inp`` with a random ``k`` human labels known."""
    known = np.random.default_rng(seed).permutation(inp.n)[:k]
    human = np.full(inp.n, -1, dtype=np.int8)
    human[known] = truth[known]
    return inp.with_human(human, human < 0)


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_every_strategy_is_deterministic_with_a_seed(name: str) -> None:
    inp, truth = synthetic()
    inp = labelled(inp, truth, 120)
    runs = [make_strategy(name).decide(inp, 0.3, np.random.default_rng(7)) for _ in range(2)]
    assert np.array_equal(runs[0].route, runs[1].route)
    assert np.array_equal(runs[0].priority, runs[1].priority)


@pytest.mark.parametrize("name", STRATEGY_NAMES)
@pytest.mark.parametrize("budget", [0, 0.0, 0.1, 0.25, 1.0, 17, 10_000])
def test_budget_is_exact_among_eligible_items(name: str, budget: float) -> None:
    inp, truth = synthetic()
    inp = labelled(inp, truth, 100)
    decision = make_strategy(name).decide(inp, budget, np.random.default_rng(0))
    eligible = inp.eligible_mask
    expected = resolve_budget(budget, int(eligible.sum()))
    assert np.sum((decision.route == HUMAN) & eligible) == expected
    assert not np.any((decision.route == HUMAN) & ~eligible)
    assert len(decision.human_order) == expected


def test_fractional_budget_rounds_the_eligible_count() -> None:
    assert resolve_budget(0.25, 10) == 2  # round half to even: 2.5 -> 2
    assert resolve_budget(0.35, 10) == 4
    assert resolve_budget(3, 2) == 2
    with pytest.raises(ValueError, match="fraction"):
        resolve_budget(1.5, 10)


@settings(max_examples=40, deadline=None)
@given(
    margins=st.lists(st.floats(0, 0.5, allow_nan=False), min_size=2, max_size=60),
    frac=st.floats(0, 1),
    seed=st.integers(0, 2**31),
)
def test_margin_routing_is_monotone_in_the_margin(
    margins: list[float], frac: float, seed: int
) -> None:
    m = np.array(margins)
    inp = RoutingInput(ai_label=np.zeros(len(m), dtype=np.int8), margin=m)
    d = make_strategy("margin").decide(inp, frac, np.random.default_rng(seed))
    human, model = m[d.route == HUMAN], m[d.route == MODEL]
    if len(human) and len(model):
        assert human.max() <= model.min()
    order = d.human_order
    assert np.all(np.diff(m[order]) >= 0)


def test_items_without_an_ai_label_go_to_humans_first() -> None:
    inp = RoutingInput(
        ai_label=np.array([0, -1, 1, -1, 0], dtype=np.int8),
        margin=np.array([0.0, 0.5, 0.1, 0.5, 0.2]),
    )
    for name in ("margin", "ensemble", "learned"):
        d = make_strategy(name).decide(inp, 2, np.random.default_rng(0))
        assert set(np.flatnonzero(d.route == HUMAN)) == {1, 3}


def test_ensemble_prefers_items_where_judges_disagree() -> None:
    inp = RoutingInput(
        ai_label=np.array([0, 0, 1, 1], dtype=np.int8),
        judge_probs=np.array([[0.0, 0.0], [1.0, 1.0], [1.0, np.nan], [0.5, 1.0]]),
    )
    d = make_strategy("ensemble").decide(inp, 2, np.random.default_rng(0))
    assert list(d.human_order) == [1, 3]


def test_learned_starts_from_its_prior_and_learns_from_the_first_labels() -> None:
    inp, truth = synthetic(n=2000, seed=3)
    strategy = LearnedStrategy()
    cold = strategy.decide(inp, 0.2, np.random.default_rng(0))
    wrong = inp.ai_label != truth
    # With no label at all the prior (disagreement, margin, spread) already finds mistakes.
    assert wrong[cold.route == HUMAN].mean() > wrong.mean() + 0.1
    prior = strategy.fit(inp)
    few = strategy.fit(labelled(inp, truth, 5))
    assert prior is not None
    assert few is not None
    # No switch at some label count: five labels already move the weights, a little.
    moved = np.abs(few.weights - prior.weights)
    assert 0 < moved.max() < 1.0
    warm_inp = labelled(inp, truth, 400)
    warm = strategy.decide(warm_inp, 0.2, np.random.default_rng(0))
    wrong = warm_inp.ai_label != truth
    assert wrong[warm.route == HUMAN].mean() > wrong[warm_inp.eligible_mask].mean() + 0.1


def test_audit_sample_is_random_share_of_model_items() -> None:
    inp, _ = synthetic(n=1000)
    d = make_strategy("margin").decide(inp, 0.2, np.random.default_rng(0))
    audited = with_audit(d, 0.05, np.random.default_rng(1))
    assert np.sum(audited.route == REVIEW) == round(0.05 * 800)
    assert np.sum(audited.route == HUMAN) == 200


def test_oracle_refuses_items_not_routed_to_a_human() -> None:
    inp, truth = synthetic(n=50)
    oracle = Oracle(truth)
    d = make_strategy("random").decide(inp, 10, np.random.default_rng(0))
    with pytest.raises(HiddenLabelError):
        oracle.reveal(d, np.flatnonzero(d.route == MODEL)[:1])
    oracle.reveal(d, d.human_order[:3])
    with pytest.raises(HiddenLabelError):
        oracle.reveal(d, d.human_order[:1])  # already revealed
    known = oracle.known_labels()
    assert np.sum(known >= 0) == 3
    assert oracle.reveals == 3


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_no_strategy_can_see_a_hidden_human_label(name: str) -> None:
    """Same revealed labels, different hidden ones: every decision must be identical."""
    inp, truth = synthetic(n=300)
    other = truth.copy()
    oracles = [Oracle(truth), Oracle(other)]
    first = make_strategy(name).decide(oracles[0].input_for(inp), 60, np.random.default_rng(0))
    for o in oracles:
        o.reveal(first, first.human_order[:60])
    # hidden labels of the second oracle now differ everywhere except where revealed
    hidden = ~oracles[0].revealed
    other[hidden] = 1 - other[hidden]
    oracles[1] = Oracle(other)
    oracles[1].reveal(first, first.human_order[:60])
    decisions = [
        make_strategy(name).decide(o.input_for(inp), 60, np.random.default_rng(1)) for o in oracles
    ]
    assert np.array_equal(decisions[0].route, decisions[1].route)
    assert np.array_equal(decisions[0].priority, decisions[1].priority)


def test_trajectory_reveals_only_routed_items_and_exactly_the_budget() -> None:
    inp, truth = synthetic(n=200)
    oracle = Oracle(truth)
    order = human_trajectory(
        make_strategy("learned"), inp, oracle, 90, 10, np.random.default_rng(0)
    )
    assert len(order) == len(set(order.tolist())) == 90
    assert oracle.reveals == 90


def test_simulation_metrics_and_oracle_bound() -> None:
    inp, truth = synthetic(n=400)
    rng = np.random.default_rng(0)
    test_x = rng.normal(size=(100, 6))
    test_gold = (test_x.sum(axis=1) > 0).astype(np.int8)

    def task(seed: int) -> SimTask:
        return SimTask(inp, truth, truth, test_x, test_gold)

    head = logistic_head()
    rows = simulate(
        {n: (lambda n=n: make_strategy(n, head)) for n in ("random", "ensemble")},
        task,
        head,
        seeds=[0, 1],
        budgets=(0.0, 0.5, 1.0),
    )
    assert len(rows) == 2 * 2 * 3
    for r in rows:
        assert r.reveals <= r.n_human == round(r.budget * 400)
        assert r.hybrid_acc <= r.oracle_acc + 1e-12
        if r.budget == 1.0:
            assert r.hybrid_acc == 1.0  # human == gold here
    ens = np.mean([r.hybrid_acc for r in rows if r.strategy == "ensemble" and r.budget == 0.5])
    rnd = np.mean([r.hybrid_acc for r in rows if r.strategy == "random" and r.budget == 0.5])
    assert ens > rnd


def test_ppm_recovers_a_quadratic_response() -> None:
    rng = np.random.default_rng(0)
    shares = rng.random((200, 4)) * 0.5
    acc = 0.6 + 0.3 * shares[:, 0] - 0.4 * shares[:, 1] ** 2 + rng.normal(0, 0.002, 200)
    ppm = fit_ppm(shares, acc, alpha=1e-3)
    assert ppm.r2 > 0.95
    probe = np.array([[0.5, 0.0, 0.2, 0.2], [0.0, 0.5, 0.2, 0.2]])
    high, low = ppm.predict(probe)
    assert high > low + 0.2


def test_hyper_explores_at_random_until_it_has_human_labels() -> None:
    inp, truth = synthetic(n=400)
    cold = make_strategy("hyper").decide(inp, 0.2, np.random.default_rng(0))
    assert cold.info["fallback"] == "random"
    warm = make_strategy("hyper").decide(labelled(inp, truth, 150), 0.2, np.random.default_rng(0))
    assert warm.info["fallback"] == ""
    assert 0.0 <= float(warm.info["predicted_accuracy"]) <= 1.0 + 1e-9
