"""Model scores per response: which items a model has not scored, writing scores with the
model labels they imply, and reading them back (per item, or as routing's margins)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from labeler.db import transaction
from labeler.store.items import unprocessed_items
from labeler.store.labels import LIVE_LABEL, insert_labels
from labeler.types import Item, Label

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True, slots=True)
class ResponseScore:
    item_id: str
    response_idx: int
    reward: float
    uncertainty: float | None
    members: np.ndarray | None


def count_unscored(db: sqlite_utils.Database, model_version: str) -> int:
    return int(
        db.conn.execute(
            "SELECT count(*) FROM items i WHERE NOT EXISTS "
            "(SELECT 1 FROM scores s WHERE s.model_version = ? AND s.item_id = i.id)",
            (model_version,),
        ).fetchone()[0]
    )


def count_unscored_responses(db: sqlite_utils.Database, model_version: str) -> int:
    """Responses of the items ``model_version`` has not scored: the work left, since a model's
    time grows with responses, not items."""
    return int(
        db.conn.execute(
            "SELECT coalesce(sum(n_responses), 0) FROM items i WHERE NOT EXISTS "
            "(SELECT 1 FROM scores s WHERE s.model_version = ? AND s.item_id = i.id)",
            (model_version,),
        ).fetchone()[0]
    )


def unscored_items(
    db: sqlite_utils.Database, model_version: str, chunk_size: int = 256
) -> Iterator[list[Item]]:
    """Chunks of items with no score from ``model_version`` yet, in import order (resumable)."""
    after = 0
    while chunk := unprocessed_items(
        db, "scores", "model_version", model_version, after, chunk_size
    ):
        yield [item for _, item in chunk]
        after = chunk[-1][0]


def write_scores_and_labels(
    db: sqlite_utils.Database,
    model_version: str,
    scores: Sequence[ResponseScore],
    labels: Sequence[Label],
) -> None:
    """One batch of rewards and the model labels derived from them, in one commit.

    A new model label supersedes the same annotator's earlier live model label on that item,
    so re-scoring with a newer model keeps one current opinion per model, with history.
    """
    rows = [
        (
            model_version,
            s.item_id,
            s.response_idx,
            float(s.reward),
            None if s.uncertainty is None else float(s.uncertainty),
            None if s.members is None else np.asarray(s.members, np.float32).tobytes(),
        )
        for s in scores
    ]
    with transaction(db.conn):
        db.conn.executemany(
            "INSERT OR REPLACE INTO scores "
            "(model_version, item_id, response_idx, reward, uncertainty, members) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        insert_labels(db.conn, [_superseding(db.conn, label) for label in labels])


def _superseding(conn: sqlite3.Connection, label: Label) -> Label:
    from dataclasses import replace

    row = conn.execute(
        f"SELECT l.id FROM labels l WHERE l.item_id = ? AND l.source = 'model' "
        f"AND l.annotator = ? AND {LIVE_LABEL} ORDER BY l.id DESC LIMIT 1",
        (label.item_id, label.annotator),
    ).fetchone()
    return label if row is None else replace(label, supersedes=int(row[0]))


def item_scores(
    db: sqlite_utils.Database, item_id: str, model_version: str
) -> list[ResponseScore]:
    rows = db.conn.execute(
        "SELECT item_id, response_idx, reward, uncertainty, members FROM scores "
        "WHERE model_version = ? AND item_id = ? ORDER BY response_idx",
        (model_version, item_id),
    ).fetchall()
    return [
        ResponseScore(
            r[0], r[1], r[2], r[3], None if r[4] is None else np.frombuffer(r[4], np.float32)
        )
        for r in rows
    ]


def reward_margins(
    db: sqlite_utils.Database, ids: Sequence[str], model_version: str
) -> tuple[np.ndarray, np.ndarray]:
    """Per item: reward difference r_B - r_A and its spread (NaN where unscored)."""
    index = {item_id: i for i, item_id in enumerate(ids)}
    rewards = np.full((len(ids), 2), np.nan)
    spread = np.full((len(ids), 2), np.nan)
    for item_id, idx, reward, unc in db.conn.execute(
        "SELECT item_id, response_idx, reward, uncertainty FROM scores "
        "WHERE model_version = ? AND response_idx < 2",
        (model_version,),
    ):
        if item_id in index:
            rewards[index[item_id], idx] = reward
            spread[index[item_id], idx] = np.nan if unc is None else unc
    return rewards[:, 1] - rewards[:, 0], np.sqrt(np.sum(spread**2, axis=1))
