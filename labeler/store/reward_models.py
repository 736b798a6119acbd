"""Reward models: the registry of models that scored or labelled, and trained heads kept
inside the project so a copied project file scores alike.

A head is a few tens of KB of opaque bytes (the model layer's ``.npz`` content), keyed by its
version: the same bytes always have the same key, so storing one twice is a no-op.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from labeler.db import transaction

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
        # Training to a head the project already had (the same labels again) makes that
        # model the latest again: its time is now and its row the newest.
        db.conn.execute(
            "UPDATE models SET created_at = ?, rowid = (SELECT max(rowid) + 1 FROM models) "
            "WHERE version = ? AND rowid < (SELECT max(rowid) FROM models)",
            (datetime.now(UTC).isoformat(timespec="seconds"), version),
        )


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


def latest_model_version(db: sqlite_utils.Database) -> str | None:
    """The newest registered model that has scores (any scored model if none is registered)."""
    row = (
        db.conn.execute(
            "SELECT m.version FROM models m WHERE EXISTS "
            "(SELECT 1 FROM scores s WHERE s.model_version = m.version) "
            "ORDER BY m.created_at DESC LIMIT 1"
        ).fetchone()
        or db.conn.execute("SELECT model_version FROM scores LIMIT 1").fetchone()
    )
    return None if row is None else str(row[0])


TRAINED_KIND = "default-head"
"""The registry kind of a model trained on this project's own human labels (``prefmark
train``): its labels and scores are in-sample on them."""


def project_trained_sources(db: sqlite_utils.Database) -> set[str]:
    """Annotators of model labels made by a model trained on this project's human labels.

    That is any model registered with kind ``TRAINED_KIND`` (``prefmark train``); judging
    routing against the same human labels such a model learnt from flatters it.
    """
    rows = db.conn.execute(
        "SELECT DISTINCT l.annotator FROM labels l JOIN models m ON m.version = l.model_version "
        "WHERE l.source = 'model' AND m.kind = ?",
        (TRAINED_KIND,),
    )
    return {str(r[0]) for r in rows}


def is_trained_version(db: sqlite_utils.Database, version: str | None) -> bool:
    """Whether ``version`` is a model trained on this project's human labels (its scores are
    in-sample on those labels)."""
    if version is None:
        return False
    row = db.conn.execute("SELECT kind FROM models WHERE version = ?", (version,)).fetchone()
    return row is not None and row[0] == TRAINED_KIND
