"""Label events (append-only), the live labels of each item, and the label that counts.

A label is *live* when it is not a retraction and no live event (or retraction) supersedes it;
liveness is decided here, in SQL (``LIVE_LABEL``). Which live label counts for an item is
decided once, in Python, by ``labeler.resolution`` under the project's conflict policy: this
module feeds it each item's live labels in chunks and hands back what it chose.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any, NamedTuple

from labeler.db import transaction
from labeler.resolution import ConflictPolicy, Decision, LiveLabel, resolve
from labeler.store.items import ITEM_COLUMNS, row_to_item
from labeler.store.meta import get_conflict_policy
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


class LiveGroup(NamedTuple):
    """One labelled item's live labels, oldest first, with the AI source routing trusted."""

    seq: int
    ai_source: str | None
    labels: list[LiveLabel]


_new = tuple.__new__
_ITEM_NAMES = [c.strip() for c in ITEM_COLUMNS.split(",")]
_STATUS, _FLAGGED, _ROUTE = (_ITEM_NAMES.index(c) for c in ("status", "flagged", "route"))

# The columns ``LiveLabel`` holds, in its order; what the rule in ``labeler.resolution`` reads.
_LIVE_COLS = ", ".join(f"l.{c}" for c in LiveLabel._fields)

# An item range's live labels (oldest first per item), through the labels' ``item_seq`` index.
_GROUPS_SQL = f"""
SELECT i.seq, i.ai_source, {_LIVE_COLS}
FROM items i CROSS JOIN labels l ON l.item_seq = i.seq
WHERE i.seq > ? AND i.seq <= ? {{item_filter}} AND l.value IS NOT NULL AND {LIVE_LABEL}
ORDER BY i.seq, l.id
"""


def _seq_ranges(
    db: sqlite_utils.Database, chunk_size: int, item_filter: str
) -> Iterator[tuple[int, int]]:
    """(after, last) seq ranges of up to ``chunk_size`` items each, in import order."""
    after = 0
    while True:
        # An empty result may just mean that no item in the range is labelled, so page on
        # the item seq, not on the rows returned.
        last = db.conn.execute(
            f"SELECT max(seq) FROM (SELECT seq FROM items WHERE seq > ? {item_filter} "
            "ORDER BY seq LIMIT ?)",
            (after, chunk_size),
        ).fetchone()[0]
        if last is None:
            return
        yield after, int(last)
        after = int(last)


def live_label_groups(
    db: sqlite_utils.Database, chunk_size: int = 5000, item_filter: str = ""
) -> Iterator[LiveGroup]:
    """Every labelled item's live labels, in import order, in bounded-memory chunks.

    ``item_filter`` is an extra SQL condition on ``items`` (for example
    ``"AND route = 'review'"``) for callers inside ``labeler.store``.
    """
    scoped = f"AND i.seq IN (SELECT seq FROM items WHERE 1 {item_filter})" if item_filter else ""
    sql = _GROUPS_SQL.replace("{item_filter}", scoped)
    for after, last in _seq_ranges(db, chunk_size, item_filter):
        for (seq, ai_source), rows in groupby(db.conn.execute(sql, (after, last)), _item_key):
            yield _new(LiveGroup, (seq, ai_source, [_new(LiveLabel, r[2:]) for r in rows]))


def _item_key(row: Sequence[Any]) -> tuple[int, str | None]:
    return row[0], row[1]


def decisions(
    db: sqlite_utils.Database,
    policy: ConflictPolicy | None = None,
    chunk_size: int = 5000,
    item_filter: str = "",
) -> Iterator[tuple[LiveGroup, Decision[LiveLabel]]]:
    """Each labelled item with the decision of ``labeler.resolution`` on it, in import order.

    ``policy`` None is the project's.
    """
    policy = get_conflict_policy(db) if policy is None else policy
    for group in live_label_groups(db, chunk_size, item_filter):
        yield group, resolve(group.labels, policy, group.ai_source)


def resolved_labels(
    db: sqlite_utils.Database,
    chunk_size: int = 5000,
    item_filter: str = "",
    policy: ConflictPolicy | None = None,
    *,
    by_people: bool = False,
) -> Iterator[ResolvedLabel]:
    """The label that counts for every labelled item, in import order, in bounded-memory
    chunks (``labeler.resolution`` under ``policy``, None: the project's).

    Unlabelled items are left out, and so are items whose conflict the policy drops and, with
    ``by_people``, items whose label that counts is the model's.
    """
    chosen: dict[int, int] = {}  # item seq -> id of the label that counts
    for group, decision in decisions(db, policy, chunk_size, item_filter):
        if decision.label is not None and (decision.by_people or not by_people):
            chosen[group.seq] = decision.label.id
        if len(chosen) >= chunk_size:
            yield from _resolved_rows(db, chosen)
            chosen = {}
    yield from _resolved_rows(db, chosen)


def _resolved_rows(db: sqlite_utils.Database, chosen: dict[int, int]) -> Iterator[ResolvedLabel]:
    """The items and labels ``chosen`` names (item seq -> label id), in import order."""
    if not chosen:
        return
    seqs = json.dumps(sorted(chosen))
    labels = {
        row[0]: row_to_label(row)
        for row in db.conn.execute(
            f"SELECT {LABEL_COLUMNS} FROM labels WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(chosen.values())),),
        )
    }
    for row in db.conn.execute(
        f"SELECT {ITEM_COLUMNS} FROM items WHERE seq IN (SELECT value FROM json_each(?)) "
        "ORDER BY seq",
        (seqs,),
    ):
        yield ResolvedLabel(
            item=row_to_item(row),
            label=labels[chosen[row[0]]],
            route=Route(row[_ROUTE]),
            status=Status(row[_STATUS]),
            flagged=bool(row[_FLAGGED]),
        )


def item_live_labels(db: sqlite_utils.Database, item_id: str) -> LiveGroup | None:
    """One item's live labels as the rule reads them (None: no such item)."""
    row = db.conn.execute("SELECT seq, ai_source FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        return None
    labels = db.conn.execute(
        f"SELECT {_LIVE_COLS} FROM labels l WHERE l.item_id = ? AND l.value IS NOT NULL "
        f"AND {LIVE_LABEL} ORDER BY l.id",
        (item_id,),
    ).fetchall()
    return LiveGroup(row[0], row[1], [_new(LiveLabel, r) for r in labels])


def resolved_label(
    db: sqlite_utils.Database, item_id: str, policy: ConflictPolicy | None = None
) -> Label | None:
    """The label that counts for one item (``policy`` None: the project's), or None."""
    group = item_live_labels(db, item_id)
    if group is None or not group.labels:
        return None
    policy = get_conflict_policy(db) if policy is None else policy
    decision = resolve(group.labels, policy, group.ai_source)
    if decision.label is None:
        return None
    row = db.conn.execute(
        f"SELECT {LABEL_COLUMNS} FROM labels WHERE id = ?", (decision.label.id,)
    ).fetchone()
    return row_to_label(row)


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
