"""Bulk writes for importers: prebuilt item rows, and which item ids a project already holds.

Importers encode each text once and reuse it for both the content hash and the row, so they
hand over rows in exactly ``items.item_to_row``'s layout (a test keeps the two in step).
Knowing the stored ids lets an import attach a file's labels only to the items it adds, so
importing the same labelled file twice does not double its labels.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
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
