"""The per-response embedding cache: which items an encoder has not embedded, writing
vectors, and reading them back for training and routing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from labeler.db import transaction
from labeler.store.items import unprocessed_items
from labeler.types import Item

if TYPE_CHECKING:
    import sqlite_utils


_CHARS = "min(length(prompt) + length(responses) / n_responses, 1024) / 64"
ENCODING_COST = f"n_responses * (1 + ({_CHARS}) * ({_CHARS}) / 4)"
"""An item's encoding work in steps, from its prompt's and responses' length in 64-character
units, up to the 1024 or so that fill the encoder's 256 tokens (it truncates there): per
response one step plus a quarter of their square, as attention grows with the square of the
tokens (measured: a full sequence costs about 2.5 times one of 170 tokens). An encoder's time
follows this, so progress counted in it moves evenly where responses would not."""


def unembedded_cost(db: sqlite_utils.Database, encoder: str) -> int:
    """The ``ENCODING_COST`` of the items ``encoder`` has not embedded: its work left."""
    return int(
        db.conn.execute(
            f"SELECT coalesce(sum({ENCODING_COST}), 0) FROM items i WHERE NOT EXISTS "
            "(SELECT 1 FROM embeddings s WHERE s.encoder = ? AND s.item_id = i.id)",
            (encoder,),
        ).fetchone()[0]
    )


def encoding_cost(db: sqlite_utils.Database, item_ids: list[str]) -> int:
    """The ``ENCODING_COST`` of the given items."""
    marks = ",".join("?" * len(item_ids))
    return int(
        db.conn.execute(
            f"SELECT coalesce(sum({ENCODING_COST}), 0) FROM items WHERE id IN ({marks})",
            item_ids,
        ).fetchone()[0]
    )


def unembedded_items(
    db: sqlite_utils.Database, encoder: str, chunk_size: int = 128
) -> Iterator[list[Item]]:
    """Chunks of items whose responses have no cached embedding from ``encoder`` yet."""
    after = 0
    while chunk := unprocessed_items(db, "embeddings", "encoder", encoder, after, chunk_size):
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


def cached_rows(
    db: sqlite_utils.Database, encoder: str, keys: Sequence[tuple[str, int]]
) -> tuple[np.ndarray | None, np.ndarray]:
    """Features of the keys the cache holds (rows in key order; None if it holds none) and
    which keys those are, so only the rest need the encoder."""
    wanted = {key: i for i, key in enumerate(keys)}
    found = np.zeros(len(keys), dtype=bool)
    out: np.ndarray | None = None
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
            found[pos] = True
    return out, found


def response_embeddings(
    db: sqlite_utils.Database, ids: Sequence[str]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Float32 embeddings of responses A and B from the most common encoder, if complete."""
    row = db.conn.execute(
        "SELECT encoder FROM embeddings GROUP BY encoder ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    index = {item_id: i for i, item_id in enumerate(ids)}
    vecs: dict[tuple[int, int], np.ndarray] = {}
    for item_id, idx, blob in db.conn.execute(
        "SELECT item_id, response_idx, vector FROM embeddings WHERE encoder = ? "
        "AND response_idx < 2",
        (row[0],),
    ):
        if item_id in index:
            vecs[index[item_id], idx] = np.frombuffer(blob, dtype=np.float32)
    if len(vecs) != 2 * len(ids) or not vecs:
        return None
    a = np.stack([vecs[i, 0] for i in range(len(ids))])
    b = np.stack([vecs[i, 1] for i in range(len(ids))])
    return a, b
