"""How long people take per item: timed labels against the length of what they read.

Length is the characters of the stored prompt and responses (``items.prompt`` plus
``items.responses`` as stored), measured the same way for the labels that teach the pace and
for the items whose time is predicted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from labeler.agreement import IDLE_CAP_MS

if TYPE_CHECKING:
    import sqlite_utils

_CHARS = "length(i.prompt) + length(i.responses)"


def timed_labels(db: sqlite_utils.Database) -> tuple[np.ndarray, np.ndarray]:
    """(characters of the item, milliseconds spent) for every timed human label; idle time
    is capped as for the labelling rate, so a coffee break does not read as a long item."""
    rows = db.conn.execute(
        f"SELECT {_CHARS}, min(max(l.time_ms, 0), ?) FROM labels l "
        "JOIN items i ON i.id = l.item_id WHERE l.source != 'model' "
        "AND l.action != 'retract' AND l.time_ms IS NOT NULL",
        (IDLE_CAP_MS,),
    ).fetchall()
    data = np.array(rows, dtype=np.float64).reshape(-1, 2)
    return data[:, 0], data[:, 1]


def item_chars(db: sqlite_utils.Database, ids: Sequence[str]) -> np.ndarray:
    """Characters of each item in ``ids`` (same order)."""
    chars = dict(db.conn.execute(f"SELECT i.id, {_CHARS} FROM items i").fetchall())
    return np.array([chars.get(i, 0) for i in ids], dtype=np.float64)


def pair_chars(db: sqlite_utils.Database) -> dict[str, int]:
    """Characters of every two-response item (the items routing can send), by id."""
    rows = db.conn.execute(f"SELECT i.id, {_CHARS} FROM items i WHERE i.n_responses = 2")
    return {item_id: int(chars or 0) for item_id, chars in rows}
