"""Queue queries for the labelling loop: live counts per queue and the labels a session shows.

Counts group the ``items_queue`` index in one pass; at a million items that is a big query, so
the GUI runs it on a worker with its own read connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labeler.resolution import model_choice
from labeler.store.labels import LABEL_COLUMNS, LIVE_LABEL, row_to_label
from labeler.store.progress_queries import route_counts
from labeler.types import Label, Route, Status

if TYPE_CHECKING:
    import sqlite_utils

_L_COLS = ", ".join(f"l.{c.strip()}" for c in LABEL_COLUMNS.split(","))


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many items sit in each sidebar queue."""

    to_label: int = 0
    to_review: int = 0
    done: int = 0
    skipped: int = 0
    flagged: int = 0
    total: int = 0


def queue_counts(db: sqlite_utils.Database) -> QueueCounts:
    """Counts for the human queue, the review queue, done, skipped and flagged items."""
    counts = route_counts(db)
    return QueueCounts(
        to_label=counts.get(Route.HUMAN, Status.TODO),
        to_review=counts.get(Route.REVIEW, Status.TODO),
        done=counts.status_total(Status.DONE),
        skipped=counts.status_total(Status.SKIPPED),
        flagged=counts.flagged,
        total=counts.total,
    )


def model_label(db: sqlite_utils.Database, item_id: str) -> Label | None:
    """The model label the review queue shows for an item: among its model labels that no one
    retracted, live or already reviewed, the one ``labeler.resolution`` lets count (the AI
    source routing trusted for the item, else the latest).

    A review supersedes the model label; the review queue still shows what the model said,
    so this does not require the label to be live, only not retracted.
    """
    rows = db.conn.execute(
        f"SELECT {_L_COLS}, i.ai_source FROM labels l JOIN items i ON i.id = l.item_id "
        "WHERE l.item_id = ? AND l.source = 'model' "
        "AND l.action != 'retract' AND NOT EXISTS (SELECT 1 FROM labels s "
        "WHERE s.supersedes = l.id AND s.action = 'retract' AND s.source = 'model') "
        "ORDER BY l.id",
        (item_id,),
    ).fetchall()
    if not rows:
        return None
    return model_choice([row_to_label(r) for r in rows], rows[0][-1])


def live_labels_by(db: sqlite_utils.Database, item_id: str, annotator: str) -> list[Label]:
    """One annotator's live human labels on an item, oldest first (what a relabel replaces)."""
    rows = db.conn.execute(
        f"SELECT {_L_COLS} FROM labels l WHERE l.item_id = ? AND l.source = 'human' "
        f"AND l.annotator = ? AND {LIVE_LABEL} ORDER BY l.id",
        (item_id, annotator),
    ).fetchall()
    return [row_to_label(r) for r in rows]
