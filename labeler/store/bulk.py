"""Bulk writes for importers: prebuilt item rows, which item ids a project already holds,
and the journal for a first big load.

Importers encode each text once and reuse it for both the content hash and the row, so they
hand over rows in exactly ``items.item_to_row``'s layout (a test keeps the two in step).
Knowing the stored ids lets an import attach a file's labels only to the items it adds, so
importing the same labelled file twice does not double its labels.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from labeler.store.items import _INSERT

_CHUNK = 500


def insert_item_rows(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert rows shaped like ``item_to_row`` inside the caller's transaction; returns how
    many were new (an id already stored is skipped)."""
    before = conn.total_changes
    conn.executemany(_INSERT, rows)
    return conn.total_changes - before


def existing_item_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    """The subset of ``ids`` already stored (works inside the caller's open transaction)."""
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(
            row[0] for row in conn.execute(f"SELECT id FROM items WHERE id IN ({marks})", chunk)
        )
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
