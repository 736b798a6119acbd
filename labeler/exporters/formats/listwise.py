"""Ranks and scores per response, for ranked-list (LiPO-style) data.

Responses stay in stored order (so a ranked export imports back into the same items).
``ranks`` are 1 = best with ties sharing a rank, None = unranked; ``scores`` are higher =
better: the rating itself for ratings, 1/0 for thumbs and pairwise winners/losers (0.5 each
for a tie, 0 each for "both bad"), and for rankings the number of ranked responses placed
below.
"""

from __future__ import annotations

from labeler.types import (
    AspectsValue,
    BinaryValue,
    LabelValue,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
)

_PAIR_SCORES = {
    PairChoice.A: (1.0, 0.0),
    PairChoice.B: (0.0, 1.0),
    PairChoice.TIE: (0.5, 0.5),
    PairChoice.BOTH_BAD: (0.0, 0.0),
}


def competition_ranks(scores: list[float | None]) -> list[int | None]:
    """1 + the number of strictly higher scores; None stays None.

    >>> competition_ranks([0.2, 0.9, None, 0.9])
    [3, 1, None, 1]
    """
    known = [s for s in scores if s is not None]
    return [None if s is None else 1 + sum(x > s for x in known) for s in scores]


def ranks_and_scores(value: LabelValue) -> tuple[list[int | None], list[float | None]]:
    """(ranks, scores), one entry per response in stored order.

    >>> ranks_and_scores(RankingValue((2, 1, None, 2)))
    ([2, 1, None, 2], [0.0, 2.0, None, 0.0])
    >>> ranks_and_scores(PairwiseValue(PairChoice.B))
    ([2, 1], [0.0, 1.0])
    >>> ranks_and_scores(RatingValue((4, None, 2)))
    ([1, None, 2], [4.0, None, 2.0])
    """
    if isinstance(value, AspectsValue):
        value = value.as_pairwise()
    scores: list[float | None]
    if isinstance(value, RankingValue):
        ranked = [r for r in value.ranks if r is not None]
        scores = [None if r is None else float(sum(x > r for x in ranked)) for r in value.ranks]
        return list(value.ranks), scores
    if isinstance(value, PairwiseValue):
        scores = list(_PAIR_SCORES[value.choice])
    elif isinstance(value, RatingValue):
        scores = [None if r is None else float(r) for r in value.ratings]
    else:
        assert isinstance(value, BinaryValue)
        scores = [None if t is None else float(t) for t in value.thumbs]
    return competition_ranks(scores), scores


def is_ordered(ranks: list[int | None]) -> bool:
    """Whether the ranks say anything: at least two different ranks.

    >>> is_ordered([1, 1]), is_ordered([1, None, 2])
    (False, True)
    """
    return len({r for r in ranks if r is not None}) >= 2
