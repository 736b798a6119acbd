"""The rows behind adjudication: which items are in conflict, and which were adjudicated.

Conflict is the rule's (``labeler.resolution``) under the project's policy; an adjudicated
item is settled, so it leaves the queue.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING

from labeler.resolution import ADJUDICATED, LiveLabel, resolve
from labeler.store.labels import LIVE_LABEL
from labeler.store.meta import get_conflict_policy

if TYPE_CHECKING:
    import sqlite_utils


_CANDIDATES_SQL = f"""
SELECT i.seq, i.ai_source, {", ".join(f"l.{c}" for c in LiveLabel._fields)}
FROM temp.conflict_candidates c JOIN items i ON i.seq = c.seq
CROSS JOIN labels l ON l.item_seq = i.seq
WHERE l.value IS NOT NULL AND {LIVE_LABEL}
ORDER BY i.seq, l.id"""


def _conflict_seqs(db: sqlite_utils.Database) -> list[int]:
    """Only an item with two label events or more can be in conflict, so the rule
    (``labeler.resolution``) is asked about those alone: listed once in a temporary table
    (possible on a read-only connection too), their live labels read in one ordered query."""
    conn = db.conn
    policy = get_conflict_policy(db)
    conn.execute("CREATE TEMP TABLE conflict_candidates (seq INTEGER PRIMARY KEY)")
    try:
        conn.execute(
            "INSERT INTO temp.conflict_candidates SELECT item_seq FROM labels "
            "WHERE item_seq IS NOT NULL GROUP BY item_seq HAVING count(*) > 1"
        )
        found = []
        new = tuple.__new__
        for (seq, ai_source), rows in groupby(conn.execute(_CANDIDATES_SQL), itemgetter(0, 1)):
            if resolve([new(LiveLabel, r[2:]) for r in rows], policy, ai_source).conflict:
                found.append(int(seq))
        return found
    finally:
        conn.execute("DROP TABLE temp.conflict_candidates")


def conflict_count(db: sqlite_utils.Database) -> int:
    """How many items are in conflict under the project's policy (not adjudicated)."""
    return len(_conflict_seqs(db))


def conflicting_items(db: sqlite_utils.Database) -> list[str]:
    """Ids of the items whose people's labels disagree and no one adjudicated, in import
    order: the adjudication queue."""
    seqs = _conflict_seqs(db)
    ids: list[str] = []
    for start in range(0, len(seqs), 500):
        chunk = seqs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        ids += [
            r[0]
            for r in db.conn.execute(
                f"SELECT id FROM items WHERE seq IN ({marks}) ORDER BY seq", chunk
            )
        ]
    return ids


def adjudicated_count(db: sqlite_utils.Database) -> int:
    """How many items carry a live adjudication."""
    return int(
        db.conn.execute(
            f"SELECT count(DISTINCT l.item_id) FROM labels l WHERE l.action = ? AND {LIVE_LABEL}",
            (ADJUDICATED,),
        ).fetchone()[0]
    )
