"""Shown order: a person sees responses shuffled per item, and every value a view hands in is
in *shown* positions; these map it to stored response order and back, in one place."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import replace

from labeler.types import (
    AspectsValue,
    BinaryValue,
    LabelValue,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
)


def shown_order_for(item_id: str, n: int, seed: int) -> tuple[int, ...]:
    """A deterministic shuffle of ``range(n)`` per item and seed (stable across runs)."""
    digest = hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=8).digest()
    order = list(range(n))
    random.Random(int.from_bytes(digest, "big")).shuffle(order)
    return tuple(order)


def _permute_to_stored(values: Sequence[object], order: Sequence[int]) -> tuple:
    stored: list[object] = [None] * len(order)
    for shown_pos, stored_idx in enumerate(order):
        stored[stored_idx] = values[shown_pos]
    return tuple(stored)


def _permute_to_shown(values: Sequence[object], order: Sequence[int]) -> tuple:
    return tuple(values[stored_idx] for stored_idx in order)


_PAIR_SIDE = {PairChoice.A: 0, PairChoice.B: 1}


def to_stored(value: LabelValue, order: Sequence[int]) -> LabelValue:
    """Map a value given in shown positions (A = left) to stored response order."""
    if isinstance(value, PairwiseValue):
        if value.choice not in _PAIR_SIDE:
            return value
        stored_idx = order[_PAIR_SIDE[value.choice]]
        return replace(value, choice=PairChoice.A if stored_idx == 0 else PairChoice.B)
    if isinstance(value, AspectsValue):
        # -2 means "left much better"; when the stored A was shown on the right, flip the sign.
        flip = -1 if tuple(order[:2]) == (1, 0) else 1
        return AspectsValue({k: v * flip for k, v in value.aspects.items()})
    if isinstance(value, RankingValue):
        return RankingValue(_permute_to_stored(value.ranks, order))
    if isinstance(value, RatingValue):
        return RatingValue(_permute_to_stored(value.ratings, order), value.scale)
    return BinaryValue(_permute_to_stored(value.thumbs, order))


def to_shown(value: LabelValue, order: Sequence[int]) -> LabelValue:
    """The inverse of ``to_stored``: a stored value in the positions the person sees."""
    if isinstance(value, PairwiseValue):
        if value.choice not in _PAIR_SIDE:
            return value
        shown_pos = list(order).index(_PAIR_SIDE[value.choice])
        return replace(value, choice=PairChoice.A if shown_pos == 0 else PairChoice.B)
    if isinstance(value, AspectsValue):
        return to_stored(value, order)  # a sign flip is its own inverse
    if isinstance(value, RankingValue):
        return RankingValue(_permute_to_shown(value.ranks, order))
    if isinstance(value, RatingValue):
        return RatingValue(_permute_to_shown(value.ratings, order), value.scale)
    return BinaryValue(_permute_to_shown(value.thumbs, order))
