"""Label events (append-only) and the resolved label of each item.

A label is *live* when it is not a retraction and no live event (or retraction) supersedes it. The
resolved label of an item is its latest live non-model label, else its latest live model label:
so a human label wins over a model label, and a review (accept/override) wins over what it
reviewed. That rule is one SQL query (``_RESOLVED_SQL``), never a Python loop over rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from labeler.db import transaction
from labeler.store.items import ITEM_COLUMNS, row_to_item
from labeler.types import Action, Item, Label, Route, Source, Status, value_from_json

if TYPE_CHECKING:
    import sqlite_utils

LABEL_COLUMNS = (
    "id, item_id, kind, value, source, annotator, action, model_version, confidence, "
    "shown_order, time_ms, rationale, supersedes, created_at"
)

_INSERT = (
    "INSERT INTO labels (item_id, kind, value, source, annotator, action, model_version, "
    "confidence, shown_order, time_ms, rationale, supersedes, created_at, item_seq) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
    "(SELECT seq FROM items WHERE id = ?1))"
)

# A label is live unless it is a retraction, or something live (or a retraction) supersedes it.
# A superseding label that was itself retracted no longer counts, so undoing a relabel or a
# review brings back the label it had replaced. Undo never retracts a retraction, so one level
# of look-ahead is exact.
LIVE_LABEL = (
    "l.action != 'retract' AND NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id "
    "AND (s.action = 'retract' OR NOT EXISTS (SELECT 1 FROM labels r "
    "WHERE r.supersedes = s.id AND r.action = 'retract')))"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def label_to_row(label: Label) -> tuple[Any, ...]:
    return (
        label.item_id,
        None if label.value is None else label.value.kind.value,
        None if label.value is None else json.dumps(label.value.to_json()),
        label.source.value,
        label.annotator,
        label.action.value,
        label.model_version,
        label.confidence,
        None if label.shown_order is None else json.dumps(list(label.shown_order)),
        label.time_ms,
        label.rationale,
        label.supersedes,
        label.created_at or _now(),
    )


def row_to_label(row: Sequence[Any]) -> Label:
    """Build a Label from a row selected with ``LABEL_COLUMNS``."""
    (lid, item_id, kind, value, source, annotator, action, model_version, confidence,
     shown_order, time_ms, rationale, supersedes, created_at) = row[:14]  # fmt: skip
    return Label(
        item_id=item_id,
        value=None if value is None else value_from_json(kind, json.loads(value)),
        source=Source(source),
        annotator=annotator,
        action=Action(action),
        model_version=model_version,
        confidence=confidence,
        shown_order=None if shown_order is None else tuple(json.loads(shown_order)),
        time_ms=time_ms,
        rationale=rationale,
        supersedes=supersedes,
        id=lid,
        created_at=created_at,
    )


def insert_labels(conn: sqlite3.Connection, labels: Iterable[Label]) -> int:
    """Bulk insert inside the caller's transaction (used by importers); marks items done.

    Only human and imported labels mark an item done; model labels leave its status alone.
    """
    rows = [label_to_row(label) for label in labels]
    conn.executemany(_INSERT, rows)
    done = [(r[0],) for r in rows if r[3] != Source.MODEL.value]
    conn.executemany("UPDATE items SET status = 'done' WHERE id = ?", done)
    return len(rows)


def _refresh_status(conn: sqlite3.Connection, item_id: str) -> None:
    """Recompute an item's queue status from its live labels (after a label or an undo)."""
    has_human = conn.execute(
        f"SELECT 1 FROM labels l WHERE l.item_id = ? AND l.source != 'model' AND {LIVE_LABEL}",
        (item_id,),
    ).fetchone()
    if has_human:
        conn.execute("UPDATE items SET status = 'done' WHERE id = ?", (item_id,))
    else:
        conn.execute(
            "UPDATE items SET status = 'todo' WHERE id = ? AND status = 'done'", (item_id,)
        )


def record_label(db: sqlite_utils.Database, label: Label) -> Label:
    """Append one label event in its own committed transaction; returns it with id and time."""
    return record_labels(db, [label])[0]


def record_labels(db: sqlite_utils.Database, labels: Sequence[Label]) -> list[Label]:
    """Append the events of one user decision in ONE committed transaction.

    A ranking with its thumbs and rating, or the undo of all of them, is kept whole or not at
    all: a crash never leaves part of a decision stored and the item marked done.
    A retraction (undo) must name the label it retracts in ``supersedes``.
    """
    for label in labels:
        if label.action is Action.RETRACT and label.supersedes is None:
            raise ValueError("a retraction must name the label it retracts")
        if label.action is not Action.RETRACT and label.value is None:
            raise ValueError("only a retraction may have no value")
    now = _now()
    stamped = [replace(label, created_at=label.created_at or now) for label in labels]
    recorded: list[Label] = []
    with transaction(db.conn):
        for label in stamped:
            cur = db.conn.execute(_INSERT, label_to_row(label))
            recorded.append(replace(label, id=cur.lastrowid))
        for item_id in dict.fromkeys(
            lab.item_id
            for lab in stamped
            if lab.source is not Source.MODEL or lab.action is Action.RETRACT
        ):
            _refresh_status(db.conn, item_id)
    return recorded


def label_history(db: sqlite_utils.Database, item_id: str) -> list[Label]:
    """Every event for an item, oldest first (including superseded and retracted ones)."""
    rows = db.conn.execute(
        f"SELECT {LABEL_COLUMNS} FROM labels WHERE item_id = ? ORDER BY id", (item_id,)
    ).fetchall()
    return [row_to_label(r) for r in rows]


def live_labels(db: sqlite_utils.Database, item_id: str) -> list[Label]:
    """The labels of an item that still count, oldest first."""
    cols = ", ".join(f"l.{c.strip()}" for c in LABEL_COLUMNS.split(","))
    rows = db.conn.execute(
        f"SELECT {cols} FROM labels l WHERE l.item_id = ? AND {LIVE_LABEL} ORDER BY l.id",
        (item_id,),
    ).fetchall()
    return [row_to_label(r) for r in rows]


@dataclass(frozen=True, slots=True)
class ResolvedLabel:
    """An item with the one label that counts for it, and how it was routed."""

    item: Item
    label: Label
    route: Route
    status: Status
    flagged: bool


_ITEM_COLS = ", ".join(f"i.{c.strip()}" for c in ITEM_COLUMNS.split(","))
_LABEL_COLS = ", ".join(f"r.{c.strip()}" for c in LABEL_COLUMNS.split(","))

# Which live label counts: any person's (or an imported one) over a model's; among model
# labels, the AI source routing trusted for the item (``items.ai_source``); then the latest.
# ``l`` is the label and ``i`` its item.
LABEL_PRECEDENCE = "(l.source != 'model') DESC, (l.annotator IS i.ai_source) DESC, l.id DESC"

_RESOLVED_SQL = f"""
WITH chunk AS (
    SELECT seq, id FROM items WHERE seq > :after {{item_filter}} ORDER BY seq LIMIT :limit
),
ranked AS (
    SELECT l.*, ROW_NUMBER() OVER (PARTITION BY l.item_id ORDER BY {LABEL_PRECEDENCE}) AS rn
    FROM labels l JOIN chunk c ON c.id = l.item_id JOIN items i ON i.seq = c.seq
    WHERE {LIVE_LABEL}
)
SELECT {_ITEM_COLS}, {_LABEL_COLS}
FROM chunk c JOIN items i ON i.seq = c.seq JOIN ranked r ON r.item_id = i.id AND r.rn = 1
ORDER BY i.seq
"""


def _resolved_from_row(row: Sequence[Any]) -> ResolvedLabel:
    n = len(ITEM_COLUMNS.split(","))
    return ResolvedLabel(
        item=row_to_item(row[:n]),
        label=row_to_label(row[n:]),
        route=Route(row[9]),
        status=Status(row[7]),
        flagged=bool(row[8]),
    )


def resolved_labels(
    db: sqlite_utils.Database, chunk_size: int = 5000, item_filter: str = ""
) -> Iterator[ResolvedLabel]:
    """The resolved label of every labelled item, in import order, in bounded-memory chunks.

    Unlabelled items are left out. ``item_filter`` is an extra SQL condition on ``items``
    (for example ``"AND route = 'model'"``) for callers inside ``labeler.store``.
    """
    sql = _RESOLVED_SQL.replace("{item_filter}", item_filter)
    after = 0
    while True:
        # Each chunk covers up to chunk_size items; an empty result may just mean that no
        # item in the chunk is labelled, so page on the item seq, not on the rows returned.
        last = db.conn.execute(
            f"SELECT max(seq) FROM (SELECT seq FROM items WHERE seq > ? {item_filter} "
            "ORDER BY seq LIMIT ?)",
            (after, chunk_size),
        ).fetchone()[0]
        if last is None:
            return
        for row in db.conn.execute(sql, {"after": after, "limit": chunk_size}):
            yield _resolved_from_row(row)
        after = int(last)


def resolved_label(db: sqlite_utils.Database, item_id: str) -> Label | None:
    """The label that counts for one item, or None."""
    row = db.conn.execute(
        f"""SELECT {", ".join(f"l.{c.strip()}" for c in LABEL_COLUMNS.split(","))}
        FROM labels l JOIN items i ON i.id = l.item_id WHERE l.item_id = ? AND {LIVE_LABEL}
        ORDER BY {LABEL_PRECEDENCE} LIMIT 1""",
        (item_id,),
    ).fetchone()
    return None if row is None else row_to_label(row)


def latest_human_label(
    db: sqlite_utils.Database, item_id: str, annotator: str | None = None
) -> Label | None:
    """The latest live human label on an item (by one annotator if given), for relabelling."""
    sql = (
        f"SELECT {', '.join(f'l.{c.strip()}' for c in LABEL_COLUMNS.split(','))} "
        f"FROM labels l WHERE l.item_id = ? AND l.source = 'human' AND {LIVE_LABEL}"
    )
    params: list[Any] = [item_id]
    if annotator is not None:
        sql += " AND l.annotator = ?"
        params.append(annotator)
    row = db.conn.execute(sql + " ORDER BY l.id DESC LIMIT 1", params).fetchone()
    return None if row is None else row_to_label(row)
