"""The rows behind adjudication: which items are in conflict, and which were adjudicated.

Conflict is the rule's (``labeler.resolution``) under the project's policy; an adjudicated
item is settled, so it leaves the queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labeler.resolution import ADJUDICATED
from labeler.store.labels import LIVE_LABEL
from labeler.store.resolved import decisions

if TYPE_CHECKING:
    import sqlite_utils


# Only an item with two label events or more can be in conflict: the rule need not see the rest.
_TWO_EVENTS = (
    "AND EXISTS (SELECT 1 FROM labels x WHERE x.item_seq = items.seq LIMIT 1 OFFSET 1)"
)


def _conflict_seqs(db: sqlite_utils.Database) -> list[int]:
    return [g.seq for g, decision in decisions(db, item_filter=_TWO_EVENTS) if decision.conflict]


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
