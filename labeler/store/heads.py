"""SQL for trained heads kept inside the project, so a copied project file scores alike.

A head is a few tens of KB of opaque bytes (the model layer's ``.npz`` content), keyed by its
version: the same bytes always have the same key, so storing one twice is a no-op.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from labeler.db import transaction
from labeler.store.score_queries import upsert_model

if TYPE_CHECKING:
    import sqlite_utils


def register_head_model(
    db: sqlite_utils.Database,
    version: str,
    *,
    head_version: str,
    data: bytes,
    kind: str,
    name: str,
    info: dict[str, Any] | None = None,
) -> None:
    """Store a head's bytes and register the model using it, in one transaction: a project
    never names a model whose head it lacks."""
    with transaction(db.conn):
        _insert(db.conn, head_version, data)
        upsert_model(db.conn, version, kind=kind, name=name, info=info)


def head_data(db: sqlite_utils.Database, head_version: str) -> bytes | None:
    """The stored bytes of a head, or None if this project does not hold it (a file from
    before heads were stored, opened read-only, has no ``heads`` table at all)."""
    has_table = db.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'heads'"
    ).fetchone()
    if has_table is None:
        return None
    row = db.conn.execute("SELECT data FROM heads WHERE version = ?", (head_version,)).fetchone()
    return None if row is None else bytes(row[0])


def keep_head(db: sqlite_utils.Database, head_version: str, data: bytes) -> bool:
    """Copy a head saved outside the project (by older versions) into it, if it can be written.

    Best effort: a read-only or busy project is left as it is (False), and the head is simply
    read from outside again next time.
    """
    try:
        with transaction(db.conn):
            _insert(db.conn, head_version, data)
    except sqlite3.OperationalError:
        return False
    return True


def _insert(conn: sqlite3.Connection, head_version: str, data: bytes) -> None:
    conn.execute("INSERT OR IGNORE INTO heads (version, data) VALUES (?, ?)", (head_version, data))
