"""Training pairs for the project's own reward-model head, from its human labels.

Each item's label is the one that counts under the project's conflict policy, and its pairs are
the ones it implies (``labeler.resolution``): the same decision and pairs an export writes.
Pairwise labels give one (chosen, rejected) pair; rankings and ratings give every pair of
responses in different groups; thumbs give every (up, down) pair; a multi-aspect label counts
by its overall preference. Ties and "both bad" say nothing about which response is better and
are left out. Model labels are never trained on: the head must learn from people, not from
itself.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from labeler.resolution import ConflictPolicy, label_pairs
from labeler.scoring import Featurizer, Head, item_features
from labeler.store.meta import get_schema
from labeler.store.resolved import resolved_labels
from labeler.types import Item

if TYPE_CHECKING:
    import sqlite_utils

Key = tuple[str, int]
# (winner rows, loser rows, the item index of each pair) -> a head; pairs of one item must
# stay in one cross-validation fold.
HeadTrainer = Callable[[np.ndarray, np.ndarray, np.ndarray], Head]


@dataclass
class TrainingPairs:
    """Winner and loser response keys, one pair per row, with the items they come from."""

    winners: list[Key] = field(default_factory=list)
    losers: list[Key] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.winners)


def training_pairs(
    db: sqlite_utils.Database, policy: ConflictPolicy | None = None
) -> TrainingPairs:
    """Pairs from every item whose label that counts comes from a person (or an imported
    file), under ``policy`` (None: the project's)."""
    pairs = TrainingPairs()
    unranked_last = get_schema(db).top_k is not None
    for resolved in resolved_labels(db, policy=policy, by_people=True):
        value = resolved.label.value
        if value is None:
            continue
        for w, lo in label_pairs(value, unranked_last=unranked_last):
            pairs.winners.append((resolved.item.id, w))
            pairs.losers.append((resolved.item.id, lo))
            pairs.items[resolved.item.id] = resolved.item
    return pairs


class NotEnoughLabelsError(ValueError):
    """Too few human preferences to train a head that is better than guessing."""


def train_head(
    db: sqlite_utils.Database,
    featurizer: Featurizer,
    trainer: HeadTrainer,
    *,
    min_pairs: int = 20,
    batch_size: int = 64,
    first_batch: int = 4,
) -> Generator[tuple[int, int], None, Head]:
    """Fit a head on the project's human preferences; yields progress while embedding.

    Embeddings come from the project's cache, so a retrain after more labels embeds only the
    newly labelled responses.
    """
    pairs = training_pairs(db)
    if len(pairs) < min_pairs:
        raise NotEnoughLabelsError(
            f"{len(pairs)} human preference pairs; label at least {min_pairs} to train a model"
        )
    winners, losers = yield from _pair_features(db, featurizer, pairs, batch_size, first_batch)
    item_index = {item_id: i for i, item_id in enumerate(pairs.items)}
    groups = np.array([item_index[item_id] for item_id, _ in pairs.winners])
    return trainer(winners, losers, groups)


def _pair_features(
    db: sqlite_utils.Database,
    featurizer: Featurizer,
    pairs: TrainingPairs,
    batch_size: int,
    first_batch: int,
) -> Generator[tuple[int, int], None, tuple[np.ndarray, np.ndarray]]:
    """Feature rows of every pair's winner and loser (embedding what the cache lacks).

    The first batch is small, so a rate (and the time left) is known within a second.
    """
    items = list(pairs.items.values())
    index: dict[Key, int] = {}
    blocks: list[np.ndarray] = []
    offset = 0
    yield 0, len(items)
    start = 0
    size = min(first_batch, batch_size)
    while start < len(items):
        chunk = items[start : start + size]
        keys, feats = item_features(db, featurizer, chunk)
        index.update({key: offset + i for i, key in enumerate(keys)})
        blocks.append(feats)
        offset += len(keys)
        start += len(chunk)
        size = batch_size
        yield start, len(items)
    features = np.vstack(blocks)
    return features[[index[k] for k in pairs.winners]], features[[index[k] for k in pairs.losers]]
