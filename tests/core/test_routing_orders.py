"""One judge in both presentation orders: the default strategy is at least as good as sending
the items where the judge contradicts itself to people first, at every budget."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labeler.routing import RoutingInput, logistic_head, make_strategy
from labeler.routing.base import Budget, RoutingDecision, decide_by_score
from labeler.routing.features import routing_features, text_stats
from labeler.routing.signals import contradiction
from labeler.routing.simple import self_contradiction
from labeler.routing.simulate import SimTask, simulate, summarise


class ContradictionsFirst:
    name: ClassVar[str] = "contradictions-first"
    nested: ClassVar[bool] = True

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision:
        return decide_by_score(inp, self_contradiction(inp), budget, rng, self.name)


def position_biased_judge(n: int, seed: int) -> tuple[RoutingInput, np.ndarray]:
    """A judge that on 30% of items picks whatever it is shown first, else is right 85% of
    the time; its first run is the AI label, its swapped run the only other opinion."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n).astype(np.int8)
    biased = rng.random(n) < 0.3

    def run(first_is_b: bool) -> np.ndarray:
        fair = np.where(rng.random(n) < 0.85, truth, 1 - truth)
        return np.where(biased, int(first_is_b), fair).astype(np.int8)

    straight, swapped = run(False), run(True)
    words = [" ".join(["w"] * int(k)) for k in rng.integers(1, 50, n)]
    stats = text_stats(["p"] * n, words, words[::-1])
    base = RoutingInput(
        ai_label=straight,
        judge_probs=swapped[:, None].astype(float),
        contradiction=contradiction(straight, swapped),
        head_features=rng.normal(size=(n, 4)) + (truth[:, None] - 0.5),
    )
    features, names = routing_features(base, stats)
    inp = RoutingInput(**{**base.__dict__, "features": features, "feature_names": names})
    return inp, truth


def test_default_strategy_is_never_worse_than_contradictions_first() -> None:
    tasks = {s: position_biased_judge(800, s) for s in range(3)}

    def task(seed: int) -> SimTask:
        inp, truth = tasks[seed]
        return SimTask(inp, truth, truth, inp.head_features[:50], truth[:50])  # type: ignore[index]

    head = logistic_head()
    budgets = (0.05, 0.1, 0.2, 0.3, 0.4, 0.6)
    rows = simulate(
        {"learned": lambda: make_strategy("learned"), "first": ContradictionsFirst},
        task,
        head,
        seeds=[0, 1, 2],
        budgets=budgets,
    )
    acc = {(s.strategy, s.budget): s.hybrid_mean for s in summarise(rows)}
    for b in budgets:
        # Within the contradictions nothing else predicts an error here, so both order them
        # about at random: equal up to one seed-to-seed standard deviation.
        assert acc["learned", b] >= acc["first", b] - 0.01, b
    # The guarantee behind it: while contradictions last, they are all people get.
    inp, _ = tasks[0]
    assert inp.contradiction is not None
    contradicts = inp.contradiction > 0
    k = int(contradicts.sum())
    decision = make_strategy("learned").decide(inp, k, np.random.default_rng(0))
    assert contradicts[decision.human_order].all()
