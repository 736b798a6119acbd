"""Which responses count as desirable or undesirable, for unpaired (KTO) data.

The rule, per label kind:

- pairwise (and a multi-aspect ``overall``): the winner is desirable, the loser is not;
  "both bad" makes both undesirable; a tie makes neither undesirable: the pair is left out,
  or with ``keep_ties`` both count as desirable;
- ranking: the best group is desirable, the worst group undesirable, the middle left out
  (a ranking with a single group is a tie);
- rating: above the middle of the scale desirable, below undesirable, the middle left out;
- thumbs: as given.

Optionally (``support``) a winner is kept only when another live label of the item (a
thumbs or rating label, another annotator, or the model's label) also calls it good;
unsupported winners are left out, never made negative.
"""

from __future__ import annotations

from labeler.exporters.formats.pairs import ranked_groups
from labeler.types import (
    AspectsValue,
    BinaryValue,
    LabelValue,
    PairChoice,
    PairwiseValue,
    RatingValue,
)


def desirability(
    value: LabelValue, *, keep_ties: bool = False, unranked_last: bool = False
) -> list[tuple[int, bool]]:
    """(response index, desirable) in stored order.

    >>> desirability(PairwiseValue(PairChoice.B))
    [(0, False), (1, True)]
    >>> desirability(PairwiseValue(PairChoice.BOTH_BAD))
    [(0, False), (1, False)]
    >>> desirability(PairwiseValue(PairChoice.TIE))
    []
    >>> desirability(RatingValue((5, 3, 1)))
    [(0, True), (2, False)]
    >>> desirability(BinaryValue((True, None, False)))
    [(0, True), (2, False)]
    """
    if isinstance(value, AspectsValue):
        value = value.as_pairwise()
    if isinstance(value, PairwiseValue) and value.choice is PairChoice.BOTH_BAD:
        return [(0, False), (1, False)]
    if isinstance(value, BinaryValue):
        return [(i, t) for i, t in enumerate(value.thumbs) if t is not None]
    if isinstance(value, RatingValue):
        mid = (value.scale + 1) / 2
        return [(i, r > mid) for i, r in enumerate(value.ratings) if r is not None and r != mid]
    groups = ranked_groups(value, unranked_last=unranked_last)
    if len(groups) < 2:
        return [(i, True) for i in sorted(groups[0])] if keep_ties and groups else []
    verdict = dict.fromkeys(groups[0], True) | dict.fromkeys(groups[-1], False)
    return sorted(verdict.items())


def supported(values: list[LabelValue], *, unranked_last: bool = False) -> frozenset[int]:
    """Indices that at least one of ``values`` calls desirable.

    >>> sorted(supported([BinaryValue((True, False)), RatingValue((2, 5))]))
    [0, 1]
    """
    return frozenset(
        i for v in values for i, good in desirability(v, unranked_last=unranked_last) if good
    )
