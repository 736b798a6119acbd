"""Length-bucketed batches: sequences of similar length run together so padding stays small."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Batch:
    """Padded arrays for one batch and the positions of its rows in the caller's order."""

    index: np.ndarray
    input_ids: np.ndarray
    type_ids: np.ndarray
    attention_mask: np.ndarray


def length_batches(
    lengths: Sequence[int], *, max_batch: int = 32, max_tokens: int = 8192
) -> Iterator[np.ndarray]:
    """Indices grouped by similar length, longest first, each group within both limits.

    Sorting by length means a batch pads only to the longest row among near-equals; the token
    cap keeps long batches from needing much more memory than short ones.
    """
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    start = 0
    while start < len(order):
        longest = int(lengths[order[start]])
        size = max(1, min(max_batch, max_tokens // max(longest, 1)))
        yield order[start : start + size]
        start += size


def pad_batch(
    index: np.ndarray,
    ids: Sequence[Sequence[int]],
    type_ids: Sequence[Sequence[int]],
    *,
    pad_id: int = 0,
    dtype: type[np.integer] = np.int64,
) -> Batch:
    """Right-pad the rows ``index`` of ``ids``/``type_ids`` to their longest member."""
    width = max(len(ids[i]) for i in index)
    input_ids = np.full((len(index), width), pad_id, dtype=dtype)
    types = np.zeros((len(index), width), dtype=dtype)
    mask = np.zeros((len(index), width), dtype=dtype)
    for row, i in enumerate(index):
        n = len(ids[i])
        input_ids[row, :n] = ids[i]
        types[row, :n] = type_ids[i]
        mask[row, :n] = 1
    return Batch(index=index, input_ids=input_ids, type_ids=types, attention_mask=mask)
