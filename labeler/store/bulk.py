"""Bulk writes for importers: prebuilt item and label rows, what a project already holds of
a batch, and the journal for a first big load.

Importers build item rows with ``labeler.codec`` (the codec ``items.item_to_row`` calls)
without going through ``Item`` objects, and hand them over as they are. Knowing which items
of a batch are stored, and their live labels, lets an import attach a file's labels to items
old and new while skipping a label that is already live, so importing the same labelled file
twice does not double its labels.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from labeler.codec import ItemRow
from labeler.store.items import _INSERT, note_content
from labeler.store.labels import _INSERT as _INSERT_LABEL
from labeler.store.labels import LIVE_LABEL

_CHUNK = 500

LabelKey = tuple[str, str, str, str | None, str | None]
"""What makes two labels the same for an import: item id, source, annotator, kind and value
(as stored: the JSON text ``labels.label_to_row`` writes)."""


def label_row_key(row: Sequence[Any]) -> LabelKey:
    """The ``LabelKey`` of a row shaped like ``labels.label_to_row``."""
    return (row[0], row[3], row[4], row[1], row[2])


@dataclass(slots=True)
class Stored:
    """What a project holds of a batch of item ids: each stored one's ``seq``, and (when
    asked for) the keys of their live labels."""

    seq: dict[str, int] = field(default_factory=dict)
    labels: set[LabelKey] = field(default_factory=set)


def insert_item_rows(conn: sqlite3.Connection, rows: Sequence[ItemRow]) -> int:
    """Insert item rows inside the caller's transaction; returns how many were new (an id
    already stored is skipped)."""
    before = conn.total_changes
    conn.executemany(_INSERT, rows)
    inserted = conn.total_changes - before
    note_content(conn, rows)
    return inserted


def insert_label_rows(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert rows shaped like ``label_to_row`` inside the caller's transaction, marking their
    items done as ``labels.insert_labels`` does (model labels leave the status alone)."""
    conn.executemany(_INSERT_LABEL, rows)
    done = [(r[0],) for r in rows if r[3] != "model"]
    conn.executemany("UPDATE items SET status = 'done' WHERE id = ?", done)
    return len(rows)


def max_item_seq(conn: sqlite3.Connection) -> int:
    """The highest ``seq`` stored (0 when empty): items added later all have a higher one."""
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM items").fetchone()[0])


def stored_items(conn: sqlite3.Connection, ids: Sequence[str], *, with_labels: bool) -> Stored:
    """Which of ``ids`` are stored, with their live label keys when ``with_labels``: one query
    per chunk of ids, inside the caller's open transaction."""
    found = Stored()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        if not with_labels:
            sql = f"SELECT id, seq FROM items WHERE id IN ({marks})"
            found.seq.update(conn.execute(sql, chunk))
            continue
        sql = (
            "SELECT i.id, i.seq, l.source, l.annotator, l.kind, l.value FROM items i "
            f"LEFT JOIN labels l ON l.item_id = i.id AND {LIVE_LABEL} WHERE i.id IN ({marks})"
        )
        for item_id, seq, source, annotator, kind, value in conn.execute(sql, chunk):
            found.seq[item_id] = seq
            if source is not None:
                found.labels.add((item_id, source, annotator, kind, value))
    return found


@contextmanager
def first_load_journal(conn: sqlite3.Connection) -> Iterator[bool]:
    """Around the first import into an empty project: the rollback journal instead of WAL.

    In WAL mode a big import writes every page twice: into the WAL, then into the database
    when the commit checkpoints (for a million 2 KB items, 2.8 GB twice, about a third
    of the import's CPU time). A rollback journal keeps only the pages that existed before the
    transaction, which in an empty project are a handful, so each new page is written once.
    The import stays one transaction (a crash leaves the journal, and the next open rolls
    it back). Switching needs the project to be open nowhere else; when another connection
    has it, or it already holds items, nothing changes. While the load runs, other
    connections cannot open the project (they wait, then report it locked) where WAL would
    let them read the empty project. WAL comes back afterwards (and ``open_db`` restores
    it anyway). Yields whether the journal was switched.
    """
    empty = conn.execute("SELECT NOT EXISTS (SELECT 1 FROM items)").fetchone()[0]
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if not empty or mode != "wal" or conn.in_transaction:
        yield False
        return
    try:
        switched = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    except sqlite3.OperationalError:  # another connection holds the file
        switched = False
    try:
        yield switched
    finally:
        if switched:
            # Opened elsewhere meanwhile: then the next ``open_db`` switches back.
            with suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode=WAL")
