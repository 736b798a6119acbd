"""The rows behind ``assign``: which items still need a person, and an annotator's file.

An annotator's project holds copies of the items given to them (in the order they are to be
served) and the project's settings (label schema, guidelines, name, conflict policy), read
from the source project attached read-only. No labels and no gold answers are copied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from labeler.db import CONTENT_FLAGS, transaction
from labeler.store.merge import attached
from labeler.store.meta import get_meta

if TYPE_CHECKING:
    import sqlite_utils

ASSIGNED_TO = "assigned_to"
"""Meta key: the annotator an annotator's project was made for."""
_SETTINGS = ("label_schema", "guidelines", "name", "conflict_policy")
_COPIED = "id, prompt, responses, n_responses, images, metadata, tags, source"


def assigned_to(db: sqlite_utils.Database) -> str | None:
    """The annotator this project was made for by ``assign`` (None: a team's own project)."""
    return get_meta(db, ASSIGNED_TO)


def unlabelled_items(db: sqlite_utils.Database, exclude: Sequence[str] = ()) -> list[str]:
    """Ids of items waiting for a person (human queue, not done, no live people's label),
    in import order, less ``exclude``."""
    skip = set(exclude)
    rows = db.conn.execute(
        "SELECT id FROM items WHERE route = 'human' AND status != 'done' ORDER BY seq"
    )
    return [item_id for (item_id,) in rows if item_id not in skip]


def fill_annotator_project(
    conn: sqlite3.Connection, source: Path, annotator: str, ids: Sequence[str]
) -> None:
    """Copy ``ids`` (in serving order) and the settings of ``source`` into the new, empty
    project on ``conn``, marked as ``annotator``'s, in one transaction."""
    with attached(conn, source):
        conn.execute("CREATE TEMP TABLE wanted (pos INTEGER PRIMARY KEY, id TEXT NOT NULL)")
        try:
            with transaction(conn):
                conn.executemany("INSERT INTO temp.wanted (id) VALUES (?)", [(i,) for i in ids])
                conn.execute(
                    f"INSERT OR IGNORE INTO main.items ({_COPIED}) SELECT "
                    + ", ".join(f"s.{c.strip()}" for c in _COPIED.split(","))
                    + " FROM temp.wanted w JOIN src.items s ON s.id = w.id ORDER BY w.pos"
                )
                marks = ", ".join("?" * len(_SETTINGS))
                conn.execute(
                    f"INSERT INTO main.meta (key, value) SELECT key, value FROM src.meta "
                    f"WHERE key IN ({marks})",
                    _SETTINGS,
                )
                conn.execute("INSERT INTO main.meta VALUES (?, ?)", (ASSIGNED_TO, annotator))
                for key, test in CONTENT_FLAGS.items():
                    conn.execute(
                        "INSERT OR IGNORE INTO main.meta (key, value) SELECT ?, '1' "
                        f"WHERE EXISTS (SELECT 1 FROM main.items WHERE {test})",
                        (key,),
                    )
        finally:
            conn.execute("DROP TABLE temp.wanted")
