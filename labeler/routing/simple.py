"""The non-learning strategies: ``random`` (the baseline), ``margin`` and ``ensemble``."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from labeler.routing.base import Budget, RoutingDecision, RoutingInput, decide_by_score


class RandomStrategy:
    """Uniformly random human items: the baseline every other strategy must beat.

    It deliberately ignores even missing AI labels, so it measures what a budget buys with no
    routing intelligence at all.
    """

    name: ClassVar[str] = "random"
    nested: ClassVar[bool] = True

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision:
        score = rng.random(inp.n)
        return decide_by_score(inp, score, budget, rng, self.name, unlabelled_first=False)


def uncertainty_from_margin(inp: RoutingInput) -> np.ndarray:
    """0.5 - margin: 0.5 for a coin flip, 0 for a certain model; unscored items count as 0.5."""
    if inp.margin is None:
        return np.full(inp.n, 0.5)
    margin = np.clip(np.nan_to_num(np.asarray(inp.margin, dtype=np.float64), nan=0.0), 0, 0.5)
    return 0.5 - margin


class MarginStrategy:
    """Smallest reward-model preference margin first (classic uncertainty sampling).

    Monotone by construction: an item with a smaller margin is never routed to the model while
    one with a larger margin goes to a human.
    """

    name: ClassVar[str] = "margin"
    nested: ClassVar[bool] = True

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision:
        # Rank on the margin itself (not 0.5 - margin), so float rounding never merges two
        # different margins into a tie.
        margin = np.asarray(inp.margin if inp.margin is not None else np.zeros(inp.n), float)
        score = -np.clip(np.nan_to_num(margin, nan=0.0), 0.0, 0.5)
        return decide_by_score(inp, score, budget, rng, self.name)


def disagreement(inp: RoutingInput) -> np.ndarray:
    """How much the other AI opinions disagree with the AI label, in [0, 1].

    Each judge column and the ensemble's mean head count as one voter; a voter's disagreement
    is the probability it puts on the side the AI label did not choose (a tie counts 0.5).
    Missing opinions are skipped; an item with no voters scores 0.
    """
    y = inp.ai_label.astype(np.float64)
    voters = []
    if inp.judge_probs is not None and inp.judge_probs.shape[1]:
        voters.append(np.asarray(inp.judge_probs, dtype=np.float64))
    if inp.member_probs is not None and inp.member_probs.shape[1]:
        voters.append(np.asarray(inp.member_probs, dtype=np.float64).mean(axis=1, keepdims=True))
    if not voters:
        return np.zeros(inp.n)
    probs = np.concatenate(voters, axis=1)
    dis = np.abs(probs - y[:, None])
    counted = ~np.isnan(dis)
    total = np.where(counted, dis, 0.0).sum(axis=1)
    n_voters = counted.sum(axis=1)
    out = np.divide(total, n_voters, out=np.zeros(inp.n), where=n_voters > 0)
    out[inp.ai_label < 0] = 1.0
    return out


def member_spread(inp: RoutingInput) -> np.ndarray:
    """Standard deviation of the ensemble heads' P(B) (Coste et al.): 0 without an ensemble."""
    if inp.member_probs is None or inp.member_probs.shape[1] < 2:
        return np.zeros(inp.n)
    return np.nan_to_num(np.asarray(inp.member_probs, dtype=np.float64).std(axis=1))


def self_contradiction(inp: RoutingInput) -> np.ndarray:
    """The AI source against its own swapped-order run, in [0, 1] (0 without such a run)."""
    if inp.contradiction is None:
        return np.zeros(inp.n)
    return np.nan_to_num(np.asarray(inp.contradiction, dtype=np.float64))


class EnsembleStrategy:
    """Self-contradicting AI labels first, then the largest disagreement among AI opinions.

    A judge that gives opposite verdicts when the responses are swapped is wrong far more
    often than one that holds its verdict, so self-contradicting items form the first tier.
    Then the judges' disagreement with the AI label plus the spread of the ensemble heads,
    plus a small share of the margin uncertainty to order items that all voters agree on.
    Spread is in P units (at most 0.5), so a judge flipping the label outweighs it.
    """

    name: ClassVar[str] = "ensemble"
    nested: ClassVar[bool] = True

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision:
        return decide_by_score(inp, ensemble_score(inp), budget, rng, self.name)


TIER = 10.0  # larger than every other part of a score: self-contradiction ranks first


def ensemble_score(inp: RoutingInput) -> np.ndarray:
    return (
        TIER * self_contradiction(inp)
        + disagreement(inp)
        + member_spread(inp)
        + 0.1 * uncertainty_from_margin(inp)
    )
