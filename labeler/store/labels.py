"""Label events (append-only), the live labels of each item, and the label that counts.

A label is *live* when it is not a retraction and no live event (or retraction) supersedes it;
liveness is decided here, in SQL (``LIVE_LABEL``). Which live label counts for an item is
decided once, in Python, by ``labeler.resolution`` under the project's conflict policy:
``resolved`` feeds it each item's live labels and hands back what it chose. This module
writes events (one by one, or an import's prebuilt rows, skipping labels already live), reads an
item's history and live labels, and streams the label facts behind the agreement numbers.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from labeler.agreement import (
    IDLE_CAP_MS,
    AgreementReport,
    LabelFact,
    compute_report,
    rate_per_hour,
)
from labeler.db import transaction
from labeler.resolution import (
    LiveLabel,
    model_choice,
)
from labeler.store.reward_models import TRAINED_KIND
from labeler.types import Action, Label, PairChoice, Source, value_from_json

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


_L_COLS = ", ".join(f"l.{c.strip()}" for c in LABEL_COLUMNS.split(","))


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


_CHUNK = 500


LabelKey = tuple[str, str, str, str | None, str | None]
"""What makes two labels the same for an import: item id, source, annotator, kind and value
(as stored: the JSON text ``labels.label_to_row`` writes)."""


def label_row_key(row: Sequence[Any]) -> LabelKey:
    """The ``LabelKey`` of a row shaped like ``labels.label_to_row``."""
    return (row[0], row[3], row[4], row[1], row[2])


@dataclass(slots=True)
class Stored:
    """What a project holds of a batch of item ids: each stored one's ``seq``, and (when
    asked for) the keys of their live labels."""

    seq: dict[str, int] = field(default_factory=dict)
    labels: set[LabelKey] = field(default_factory=set)


def insert_label_rows(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert rows shaped like ``label_to_row`` inside the caller's transaction, marking their
    items done as ``labels.insert_labels`` does (model labels leave the status alone)."""
    conn.executemany(_INSERT, rows)
    done = [(r[0],) for r in rows if r[3] != "model"]
    conn.executemany("UPDATE items SET status = 'done' WHERE id = ?", done)
    return len(rows)


def stored_items(conn: sqlite3.Connection, ids: Sequence[str], *, with_labels: bool) -> Stored:
    """Which of ``ids`` are stored, with their live label keys when ``with_labels``: one query
    per chunk of ids, inside the caller's open transaction."""
    found = Stored()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        if not with_labels:
            sql = f"SELECT id, seq FROM items WHERE id IN ({marks})"
            found.seq.update(conn.execute(sql, chunk))
            continue
        sql = (
            "SELECT i.id, i.seq, l.source, l.annotator, l.kind, l.value FROM items i "
            f"LEFT JOIN labels l ON l.item_id = i.id AND {LIVE_LABEL} WHERE i.id IN ({marks})"
        )
        for item_id, seq, source, annotator, kind, value in conn.execute(sql, chunk):
            found.seq[item_id] = seq
            if source is not None:
                found.labels.add((item_id, source, annotator, kind, value))
    return found


_PEOPLE_SQL = f"""
    SELECT l.item_id, {", ".join(f"l.{c}" for c in LiveLabel._fields)}
    FROM labels l WHERE l.source != 'model' AND l.value IS NOT NULL AND {LIVE_LABEL}
    ORDER BY l.item_id, l.id"""


_WITH_MODEL_SQL = _PEOPLE_SQL.replace("l.source != 'model' AND ", "")


def people_labels(
    db: sqlite_utils.Database, with_model: bool = False
) -> Iterator[tuple[str, list[LiveLabel]]]:
    """(item id, its live people's labels oldest first) for every item people labelled;
    ``with_model`` adds the item's live model labels in place (what ``dawid-skene`` weighs
    people's conflicting labels with), still only for items people labelled."""
    new = tuple.__new__
    sql = _WITH_MODEL_SQL if with_model else _PEOPLE_SQL
    for item_id, rows in groupby(db.conn.execute(sql), itemgetter(0)):
        labels = [new(LiveLabel, r[1:]) for r in rows]
        if not with_model or any(lab.source != "model" for lab in labels):
            yield item_id, labels


# A human label made up to the second a trained model was saved counts as its training data.
_FACTS_SQL = f"""
SELECT l.id, l.item_id, l.source, l.annotator, l.action, l.kind,
       json_extract(l.value, '$.choice'),
       json_extract(l.value, '$.aspects.overall'),
       json_extract(l.shown_order, '$[0]'),
       l.time_ms,
       (SELECT group_concat(s.action) FROM labels s WHERE s.supersedes = l.id),
       substr(l.created_at, 1, 19),
       (SELECT substr(m.created_at, 1, 19) FROM models m
        WHERE m.version = l.model_version AND m.kind = '{TRAINED_KIND}')
FROM labels l
WHERE (l.item_id, l.id) > (?, ?)
ORDER BY l.item_id, l.id
LIMIT ?
"""


def _choice(kind: str | None, choice: str | None, overall: Any) -> PairChoice | None:
    if kind == "pairwise" and choice is not None:
        return PairChoice(choice)
    if kind == "aspects" and overall is not None:
        v = int(overall)
        return PairChoice.TIE if v == 0 else PairChoice.A if v < 0 else PairChoice.B
    return None


def _fact(row: tuple[Any, ...]) -> LabelFact:
    lid, item_id, source, annotator, action, kind, choice, overall, left, time_ms, sup = row[:11]
    created_at, trained_at = row[11:13]
    return LabelFact(
        label_id=int(lid),
        item_id=str(item_id),
        source=Source(source),
        annotator=str(annotator),
        action=Action(action),
        choice=_choice(kind, choice, overall),
        left_index=None if left is None else int(left),
        time_ms=None if time_ms is None else int(time_ms),
        superseded_by=tuple(Action(a) for a in sup.split(",")) if sup else (),
        created_at=created_at,
        trained_at=trained_at,
    )


def iter_label_facts(db: sqlite_utils.Database, chunk_size: int = 5000) -> Iterator[LabelFact]:
    """Every label event as a ``LabelFact``, ordered by item then event id (bounded memory)."""
    after: tuple[str, int] = ("", -1)
    while True:
        rows = db.conn.execute(_FACTS_SQL, (*after, chunk_size)).fetchall()
        if not rows:
            return
        for row in rows:
            yield _fact(row)
        after = (str(rows[-1][1]), int(rows[-1][0]))


def iter_item_facts(
    db: sqlite_utils.Database, chunk_size: int = 5000
) -> Iterator[list[LabelFact]]:
    """The label facts grouped per item (an item's events may span two chunks)."""
    for _item_id, group in itertools.groupby(
        iter_label_facts(db, chunk_size), key=lambda f: f.item_id
    ):
        yield list(group)


def count_labels(db: sqlite_utils.Database) -> int:
    """Number of label events, as the total for a progress bar."""
    return int(db.conn.execute("SELECT count(*) FROM labels").fetchone()[0])


def agreement_report(db: sqlite_utils.Database) -> AgreementReport:
    """Position bias, human-AI agreement and time per item for the whole project."""
    return compute_report(iter_item_facts(db))


def labelling_time(db: sqlite_utils.Database) -> tuple[int, int]:
    """(timed human label events, their milliseconds with idle time capped)."""
    n, total = db.conn.execute(
        "SELECT count(*), sum(min(max(time_ms, 0), ?)) FROM labels "
        "WHERE source != 'model' AND action != 'retract' AND time_ms IS NOT NULL",
        (IDLE_CAP_MS,),
    ).fetchone()
    return int(n), int(total or 0)


def labelling_rate(db: sqlite_utils.Database) -> float | None:
    """Human label events per hour of labelling time (idle time capped); None while it rests
    on fewer than ``MIN_TIMED_FOR_RATE`` timed labels.

    The same rate as ``AgreementReport.labels_per_hour``, in one aggregate query, so the
    routing panel can show it without walking every label.
    """
    return rate_per_hour(*labelling_time(db))
