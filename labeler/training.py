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

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from labeler.progress import Steps
from labeler.resolution import ConflictPolicy, label_pairs
from labeler.scoring import Featurizer, Head, embed_missing, embed_project, pair_texts
from labeler.store.meta import get_schema
from labeler.store.resolved import resolved_labels
from labeler.types import Item

if TYPE_CHECKING:
    import sqlite_utils

Key = tuple[str, int]


class HeadTrainer(Protocol):
    """(winner rows, loser rows, the item index of each pair) -> a head, fitted in ``steps``
    counted steps; pairs of one item must stay in one cross-validation fold."""

    def steps(self, n_items: int) -> int: ...

    def __call__(
        self, winners: np.ndarray, losers: np.ndarray, groups: np.ndarray
    ) -> Steps[Head]: ...


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
    batch_size: int = 128,
    first_batch: int = 8,
    embed_all: bool = False,
) -> Generator[tuple[int, int], None, Head]:
    """Fit a head on the project's human preferences.

    Progress counts the responses to embed, then the head's fits, in one determinate total
    from the first step: one embedding and one fit take about as long. Embeddings come from
    the project's cache, so a retrain after more labels embeds only the newly labelled
    responses.
    """
    pairs = training_pairs(db)
    if len(pairs) < min_pairs:
        raise NotEnoughLabelsError(
            f"{len(pairs)} human preference pairs; label at least {min_pairs} to train a model"
        )
    keys, prompts, responses = pair_texts(list(pairs.items.values()))
    fits = trainer.steps(len(pairs.items))
    offset = 0  # the whole project's encoding work, counted first
    if embed_all:
        for done, offset in embed_project(db, featurizer):
            yield done, offset + fits
    # a small first batch: a rate within a second
    embedding = embed_missing(
        db, featurizer, keys, prompts, responses, batch_size=batch_size, first_batch=first_batch
    )
    total = to_embed = 0
    try:
        while True:
            embedded, to_embed = next(embedding)
            total = offset + to_embed + fits
            yield offset + embedded, total
    except StopIteration as stop:
        feats: np.ndarray = stop.value
    index = {key: i for i, key in enumerate(keys)}
    winners = feats[[index[k] for k in pairs.winners]]
    losers = feats[[index[k] for k in pairs.losers]]
    item_index = {item_id: i for i, item_id in enumerate(pairs.items)}
    groups = np.array([item_index[item_id] for item_id, _ in pairs.winners])
    fitting = trainer(winners, losers, groups)
    try:
        while True:
            done, steps = next(fitting)
            total = max(total, offset + to_embed + steps)
            yield offset + to_embed + done, total
    except StopIteration as stop:
        head: Head = stop.value
        return head
