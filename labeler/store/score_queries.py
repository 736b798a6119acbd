"""SQL for model scores, the per-response embedding cache and the registry of models."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.db import transaction
from labeler.store.items import ITEM_COLUMNS, row_to_item
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


def _unprocessed(
    db: sqlite_utils.Database, table: str, key: str, version: str, after: int, limit: int
) -> list[tuple[int, Item]]:
    rows = db.conn.execute(
        f"""SELECT {ITEM_COLUMNS} FROM items i WHERE i.seq > ? AND NOT EXISTS (
            SELECT 1 FROM {table} s WHERE s.{key} = ? AND s.item_id = i.id)
        ORDER BY i.seq LIMIT ?""",
        (after, version, limit),
    ).fetchall()
    return [(int(r[0]), row_to_item(r)) for r in rows]


def count_unscored(db: sqlite_utils.Database, model_version: str) -> int:
    return int(
        db.conn.execute(
            "SELECT count(*) FROM items i WHERE NOT EXISTS "
            "(SELECT 1 FROM scores s WHERE s.model_version = ? AND s.item_id = i.id)",
            (model_version,),
        ).fetchone()[0]
    )


def unscored_items(
    db: sqlite_utils.Database, model_version: str, chunk_size: int = 256
) -> Iterator[list[Item]]:
    """Chunks of items with no score from ``model_version`` yet, in import order (resumable)."""
    after = 0
    while chunk := _unprocessed(db, "scores", "model_version", model_version, after, chunk_size):
        yield [item for _, item in chunk]
        after = chunk[-1][0]


def count_unembedded(db: sqlite_utils.Database, encoder: str) -> int:
    return int(
        db.conn.execute(
            "SELECT count(*) FROM items i WHERE NOT EXISTS "
            "(SELECT 1 FROM embeddings s WHERE s.encoder = ? AND s.item_id = i.id)",
            (encoder,),
        ).fetchone()[0]
    )


def unembedded_items(
    db: sqlite_utils.Database, encoder: str, chunk_size: int = 128
) -> Iterator[list[Item]]:
    """Chunks of items whose responses have no cached embedding from ``encoder`` yet."""
    after = 0
    while chunk := _unprocessed(db, "embeddings", "encoder", encoder, after, chunk_size):
        yield [item for _, item in chunk]
        after = chunk[-1][0]


def write_embeddings(
    db: sqlite_utils.Database,
    encoder: str,
    keys: Sequence[tuple[str, int]],
    vectors: np.ndarray,
    extra: np.ndarray,
) -> None:
    """Cache one batch of per-response embeddings (float32) and extra features in one commit."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    extra = np.ascontiguousarray(extra, dtype=np.float32)
    rows = [
        (encoder, item_id, idx, vectors[i].tobytes(), extra[i].tobytes())
        for i, (item_id, idx) in enumerate(keys)
    ]
    with transaction(db.conn):
        db.conn.executemany(
            "INSERT OR REPLACE INTO embeddings (encoder, item_id, response_idx, vector, extra) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )


def cached_features(
    db: sqlite_utils.Database, encoder: str, keys: Sequence[tuple[str, int]]
) -> np.ndarray | None:
    """[len(keys), dim + extra] float32 features for the keys, or None if any is missing."""
    if not keys:
        return None
    wanted = {key: i for i, key in enumerate(keys)}
    out: np.ndarray | None = None
    found = 0
    item_ids = sorted({item_id for item_id, _ in keys})
    for start in range(0, len(item_ids), 500):
        part = item_ids[start : start + 500]
        rows = db.conn.execute(
            "SELECT item_id, response_idx, vector, extra FROM embeddings WHERE encoder = ? "
            f"AND item_id IN ({','.join('?' * len(part))})",
            [encoder, *part],
        )
        for item_id, idx, vector, extra in rows:
            pos = wanted.get((item_id, idx))
            if pos is None:
                continue
            row = np.concatenate(
                [np.frombuffer(vector, np.float32), np.frombuffer(extra or b"", np.float32)]
            )
            if out is None:
                out = np.empty((len(keys), row.size), np.float32)
            out[pos] = row
            found += 1
    return out if found == len(keys) else None


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


def register_model(
    db: sqlite_utils.Database,
    version: str,
    *,
    kind: str,
    name: str,
    path: str | None = None,
    info: dict[str, Any] | None = None,
) -> None:
    """Remember a model (its version names the exact weights) so labels can be traced to it."""
    with transaction(db.conn):
        upsert_model(db.conn, version, kind=kind, name=name, path=path, info=info)


def upsert_model(
    conn: sqlite3.Connection,
    version: str,
    *,
    kind: str,
    name: str,
    path: str | None = None,
    info: dict[str, Any] | None = None,
) -> None:
    """``register_model``'s statement, inside the caller's transaction."""
    conn.execute(
        # Registering again (every scoring run does) keeps what is known: a saved head's
        # path and details are never overwritten by a registration that lacks them.
        "INSERT INTO models (version, kind, name, path, created_at, info) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(version) DO UPDATE SET "
        "path = coalesce(excluded.path, models.path), "
        "info = CASE WHEN excluded.info = '{}' THEN models.info ELSE excluded.info END",
        (
            version,
            kind,
            name,
            path,
            datetime.now(UTC).isoformat(timespec="seconds"),
            json.dumps(info or {}),
        ),
    )


def latest_model(db: sqlite_utils.Database, kind: str | None = None) -> dict[str, Any] | None:
    """The most recently registered model (optionally of one kind), as a dict."""
    sql = "SELECT version, kind, name, path, created_at, info FROM models"
    params: list[Any] = []
    if kind is not None:
        sql += " WHERE kind = ?"
        params.append(kind)
    row = db.conn.execute(sql + " ORDER BY created_at DESC, rowid DESC LIMIT 1", params).fetchone()
    if row is None:
        return None
    keys = ("version", "kind", "name", "path", "created_at", "info")
    out = dict(zip(keys, row, strict=True))
    out["info"] = json.loads(out["info"] or "{}")
    return out
