"""Read-only queries behind exports: every labelled item with all its live labels, in chunks.

The resolved-label query in ``labels.py`` builds domain objects per row; an export of a
million items needs raw columns instead, and all live labels of an item at once (for the
conflict policies), so this module walks ``items`` in keyset chunks and joins the live
labels in one ordered query per chunk. Rows come back as plain strings; the exporters decode
them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import sqlite_utils


class LabelRow(NamedTuple):
    """One live label event, as stored (``value`` is its JSON text)."""

    id: int
    kind: str
    value: str
    source: str
    annotator: str
    action: str
    model_version: str | None
    confidence: float | None


class ExportRow(NamedTuple):
    """One labelled item, as stored, with its live labels best first.

    "Best first" is the resolution order: non-model labels before model labels, newer
    before older; so ``labels[0]`` is the item's resolved label.
    """

    seq: int
    item_id: str
    prompt: str
    responses: str
    images: str | None
    tags: str | None
    route: str
    labels: list[LabelRow]


_new = tuple.__new__

_LIVE_SQL = """
SELECT i.seq, i.id, i.prompt, i.responses, i.images, i.tags, i.route,
       l.id, l.kind, l.value, l.source, l.annotator, l.action, l.model_version, l.confidence
FROM items i JOIN labels l ON l.item_id = i.id
WHERE i.seq > ? AND i.seq <= ? AND l.action != 'retract' AND l.value IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id)
ORDER BY i.seq, l.id
"""

_CHUNK_END_SQL = (
    "SELECT count(*), max(seq) FROM (SELECT seq FROM items WHERE seq > ? ORDER BY seq LIMIT ?)"
)


def iter_export_chunks(
    db: sqlite_utils.Database, chunk_size: int = 5000
) -> Iterator[tuple[int, list[ExportRow]]]:
    """Yield ``(items scanned, labelled items)`` per ``chunk_size`` items, in import order.

    Memory is bounded by one chunk. Unlabelled items are scanned (and counted) but not
    returned.
    """
    conn = db.conn
    after = 0
    while True:
        scanned, last = conn.execute(_CHUNK_END_SQL, (after, chunk_size)).fetchone()
        if not scanned:
            return
        rows: list[ExportRow] = []
        seq = -1
        labels: list[LabelRow] = []
        for r in conn.execute(_LIVE_SQL, (after, last)):
            # tuple.__new__ skips the Python-level NamedTuple constructor (hot loop).
            label = _new(LabelRow, r[7:])
            if r[0] != seq:
                seq, labels = r[0], [label]
                rows.append(_new(ExportRow, (*r[:7], labels)))
            else:
                labels.append(label)
        yield int(scanned), rows
        after = int(last)


def count_items(db: sqlite_utils.Database) -> int:
    """All items (labelled or not): the length of the progress bar."""
    return int(db.conn.execute("SELECT count(*) FROM items").fetchone()[0])


def any_chat_items(db: sqlite_utils.Database) -> bool:
    """Whether any item's prompt is a message list (stored as a JSON array)."""
    row = db.conn.execute("SELECT 1 FROM items WHERE prompt LIKE '[%' LIMIT 1").fetchone()
    return row is not None


def any_images(db: sqlite_utils.Database) -> bool:
    row = db.conn.execute(
        "SELECT 1 FROM items WHERE images IS NOT NULL AND images != '[]' LIMIT 1"
    ).fetchone()
    return row is not None


def latest_routing_run(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The most recent routing run (strategy, budget, seed, summary), if routing ever ran."""
    row = db.conn.execute(
        "SELECT strategy, budget, seed, summary, created_at FROM routing_runs "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    summary = json.loads(row[3]) if row[3] else None
    return {
        "strategy": row[0],
        "budget": row[1],
        "seed": row[2],
        "summary": summary,
        "created_at": row[4],
    }
