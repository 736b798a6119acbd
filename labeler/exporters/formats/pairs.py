"""Preference pairs from any label kind, and the reductions of a ranking to pairs.

Every label kind becomes groups of response indices, best first (ties share a group), and
a pair rule turns the groups into (chosen, rejected) pairs:

- ``all``: every response against every lower-ranked one (k·(k−1)/2 pairs for k untied);
- ``best-vs-each``: the best group against each lower-ranked response;
- ``adjacent``: each group against the next one;
- ``best-vs-worst``: the best group against the worst.

A pair's ``strength`` says how much better the chosen response is, on the pairwise label
scale (1 = slightly, 2 = much): the stated strength of a pairwise label (1 when unstated),
the size of a multi-aspect ``overall`` preference, the number of rank groups between the
two responses, the rating difference, or 1 for thumbs. ``stated`` is the strength a label
stated itself (a pairwise label's or an ``overall`` aspect's size; 0 for anything else), and
``margin`` writes only that, for the labels of people.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from labeler.types import (
    AspectsValue,
    BinaryValue,
    LabelValue,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
)


class PairRule(StrEnum):
    ALL = "all"
    BEST_VS_EACH = "best-vs-each"
    ADJACENT = "adjacent"
    BEST_VS_WORST = "best-vs-worst"


class Pair(NamedTuple):
    """One comparison by response index; ``outcome``: ``preferred``, ``tie`` or ``both_bad``;
    ``stated``: the strength the label stated (0: none stated)."""

    chosen: int
    rejected: int
    strength: float
    outcome: str = "preferred"
    stated: float = 0.0


def ranking_to_pairs(groups: list[list[int]], rule: PairRule) -> list[tuple[int, int, int]]:
    """(chosen, rejected, group gap) for groups of indices listed best first.

    Responses in one group are tied and never paired with each other.

    >>> ranking_to_pairs([[2], [0], [1]], PairRule.ALL)
    [(2, 0, 1), (2, 1, 2), (0, 1, 1)]
    >>> ranking_to_pairs([[2], [0], [1]], PairRule.ADJACENT)
    [(2, 0, 1), (0, 1, 1)]
    >>> ranking_to_pairs([[2], [0, 3], [1]], PairRule.BEST_VS_WORST)
    [(2, 1, 2)]
    """
    if len(groups) < 2:
        return []
    if rule is PairRule.ALL:
        spans = [(i, j) for i in range(len(groups)) for j in range(i + 1, len(groups))]
    elif rule is PairRule.BEST_VS_EACH:
        spans = [(0, j) for j in range(1, len(groups))]
    elif rule is PairRule.ADJACENT:
        spans = [(i, i + 1) for i in range(len(groups) - 1)]
    else:
        spans = [(0, len(groups) - 1)]
    return [(a, b, j - i) for i, j in spans for a in groups[i] for b in groups[j]]


def ranked_groups(value: LabelValue, *, unranked_last: bool = False) -> list[list[int]]:
    """Response indices grouped best first, for any label kind.

    Unranked (None) responses are left out, or form a last group when ``unranked_last``
    (a top-k ranking, where everything not picked is worse than everything picked).

    >>> ranked_groups(RankingValue((2, 1, None)))
    [[1], [0]]
    >>> ranked_groups(RankingValue((2, 1, None)), unranked_last=True)
    [[1], [0], [2]]
    >>> ranked_groups(RatingValue((3, 5, 3)))
    [[1], [0, 2]]
    >>> ranked_groups(BinaryValue((False, True, None)))
    [[1], [0]]
    """
    if isinstance(value, AspectsValue):
        value = value.as_pairwise()
    if isinstance(value, PairwiseValue):
        if value.choice is PairChoice.A:
            return [[0], [1]]
        if value.choice is PairChoice.B:
            return [[1], [0]]
        return [[0, 1]]
    if isinstance(value, RankingValue):
        groups = value.order()
        unranked = [i for i, r in enumerate(value.ranks) if r is None]
        return [*groups, unranked] if unranked_last and unranked else groups
    if isinstance(value, RatingValue):
        levels = sorted({r for r in value.ratings if r is not None}, reverse=True)
        return [[i for i, r in enumerate(value.ratings) if r == lvl] for lvl in levels]
    ups = [i for i, t in enumerate(value.thumbs) if t is True]
    downs = [i for i, t in enumerate(value.thumbs) if t is False]
    return [g for g in (ups, downs) if g]


def preference_pairs(
    value: LabelValue,
    rule: PairRule = PairRule.ALL,
    *,
    keep_ties: bool = False,
    unranked_last: bool = False,
) -> list[Pair]:
    """The (chosen, rejected) pairs a label supports.

    Ties and "both bad" give no pair unless ``keep_ties``; then they give one pair in
    stored order with strength 0 and the outcome named.

    >>> preference_pairs(PairwiseValue(PairChoice.B, 2))
    [Pair(chosen=1, rejected=0, strength=2.0, outcome='preferred', stated=2.0)]
    >>> preference_pairs(PairwiseValue(PairChoice.TIE))
    []
    >>> preference_pairs(PairwiseValue(PairChoice.BOTH_BAD), keep_ties=True)
    [Pair(chosen=0, rejected=1, strength=0.0, outcome='both_bad', stated=0.0)]
    >>> [p[:2] for p in preference_pairs(RankingValue((3, 1, 2)), PairRule.BEST_VS_EACH)]
    [(1, 2), (1, 0)]
    """
    if isinstance(value, AspectsValue):
        value = value.as_pairwise()
    if isinstance(value, PairwiseValue):
        if value.choice in (PairChoice.A, PairChoice.B):
            a, b = (0, 1) if value.choice is PairChoice.A else (1, 0)
            return [Pair(a, b, float(value.strength or 1), stated=float(value.strength or 0))]
        return [Pair(0, 1, 0.0, value.choice.value)] if keep_ties else []
    groups = ranked_groups(value, unranked_last=unranked_last)
    if isinstance(value, RatingValue):
        ratings = value.ratings
        return [
            Pair(a, b, float(ratings[a] - ratings[b]))  # type: ignore[operator]
            for a, b, _ in ranking_to_pairs(groups, rule)
        ]
    if isinstance(value, BinaryValue):
        return [Pair(a, b, 1.0) for a, b, _ in ranking_to_pairs(groups, rule)]
    return [Pair(a, b, float(gap)) for a, b, gap in ranking_to_pairs(groups, rule)]


def margin(pair: Pair, source: str) -> float:
    """The reward-model margin of a pair (TRL's RewardTrainer ``margin`` column, which it
    subtracts inside the loss: ``-logsigmoid(r_chosen - r_rejected - margin)``).

    Only what people said: the strength a person (or an imported human label) stated, 1 =
    slightly, 2 = much better. Every other pair, model labels, rank and rating gaps and
    unstated strengths included, gets 0, which is RewardTrainer's plain loss.

    >>> margin(Pair(0, 1, 2.0, stated=2.0), "human")
    2.0
    >>> margin(Pair(0, 1, 1.0), "imported"), margin(Pair(0, 1, 2.0, stated=2.0), "model")
    (0.0, 0.0)
    """
    if pair.outcome != "preferred" or source == "model":
        return 0.0
    return pair.stated
