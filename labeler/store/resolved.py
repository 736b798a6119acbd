"""Each item's live labels, grouped, and the label that counts under the conflict policy.

Training, stats, review and routing read ``resolved_labels``/``resolved_label``: live labels
grouped per item and handed to ``labeler.resolution``, once. Exports read ``export_groups``:
the resolved-label query builds domain objects per row; an export of a
million items needs raw columns instead, and all live labels of an item at once (for the
conflict policies), so this module cuts ``items`` into ranges of ``seq`` and joins the live
labels of a range in one ordered query, through the labels' ``item_seq`` index so that
consecutive items read neighbouring index pages. Rows come back as plain strings; the
exporters decode them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from labeler.resolution import ConflictPolicy, Decision, LiveLabel, resolve
from labeler.store.annotators import policy_weigher
from labeler.store.items import ITEM_COLUMNS, row_to_item
from labeler.store.labels import LABEL_COLUMNS, LIVE_LABEL, row_to_label
from labeler.store.meta import get_conflict_policy
from labeler.types import Item, Label, Route, Status

if TYPE_CHECKING:
    import sqlite_utils


LabelRow = LiveLabel
"""One live label event, as stored: the resolution rule's own label type."""


class ExportRow(NamedTuple):
    """One labelled item, as stored, with its live labels oldest first (the order
    ``exporters.policies.resolve`` expects). ``ai_source`` is the AI whose labels routing
    trusted for the item, if it was routed; ``scores`` the per-response scores it was
    imported with (JSON, say an AI judge's), if any."""

    seq: int
    item_id: str
    prompt: str
    responses: str
    images: str | None
    tags: str | None
    route: str
    ai_source: str | None
    scores: str | None
    labels: list[LabelRow]


_new = tuple.__new__
_first, _second = itemgetter(0), itemgetter(1)

_ITEM_FIELDS = ExportRow._fields[:-1]
# A raw row's columns: the item's (``ExportRow`` less ``labels``), then the label's, each
# named as in its tuple, the label's with a ``label_`` prefix (both have a source of sorts).
_ITEM_SQL = {
    "item_id": "i.id",
    "scores": "CASE json_type(i.metadata, '$.scores') "
    "WHEN 'array' THEN json_extract(i.metadata, '$.scores') END",
}
_SELECT = [_ITEM_SQL.get(f, f"i.{f}") for f in _ITEM_FIELDS]
_SELECT += [f"l.{f}" for f in LabelRow._fields]
RAW_COLUMNS = (*_ITEM_FIELDS, *(f"label_{f}" for f in LabelRow._fields))
"""The names of a raw row's columns, in order."""
COLUMN = {name: i for i, name in enumerate(RAW_COLUMNS)}
"""A raw row's column position by name (``COLUMN["route"]``, ``COLUMN["label_source"]``)."""
ITEM_PART = slice(0, len(_ITEM_FIELDS))
"""A raw row's item columns (``ExportRow``'s fields before ``labels``)."""
LABEL_PART = slice(len(_ITEM_FIELDS), None)
"""A raw row's label columns (a ``LabelRow``)."""

_LIVE_SQL = f"""
SELECT {", ".join(_SELECT)}
FROM items i CROSS JOIN labels l ON l.item_seq = i.seq
WHERE i.seq > ? AND i.seq <= ? AND l.value IS NOT NULL AND {LIVE_LABEL}
ORDER BY i.seq, l.id
"""

ChunkRange = tuple[int, int]
"""Items with ``lo < seq <= hi``."""


def chunk_ranges(db: sqlite_utils.Database, chunk_size: int = 5000) -> list[ChunkRange]:
    """Ranges of ``seq`` that cover every item, in import order, ``chunk_size`` seqs each."""
    return cut_ranges(*seq_bounds(db), chunk_size)


def seq_bounds(db: sqlite_utils.Database) -> tuple[int, int]:
    """The first and last item's ``seq`` ((0, 0) for no items)."""
    # Two subqueries: min() and max() in one select would scan the whole table.
    first, last = db.conn.execute(
        "SELECT (SELECT min(seq) FROM items), (SELECT max(seq) FROM items)"
    ).fetchone()
    return (0, 0) if first is None else (int(first), int(last))


def cut_ranges(first: int, last: int, chunk_size: int) -> list[ChunkRange]:
    """``chunk_ranges`` from the bounds alone. Items are never deleted, so seqs are dense
    and every range but the last holds ``chunk_size`` items; a range over a gap would just
    hold fewer.

    >>> cut_ranges(1, 5, 2)
    [(0, 2), (2, 4), (4, 5)]
    >>> cut_ranges(0, 0, 2)
    []
    """
    if last == 0:
        return []
    return [(lo, min(lo + chunk_size, last)) for lo in range(first - 1, last, chunk_size)]


def items_in(conn: sqlite3.Connection, chunk: ChunkRange) -> int:
    """How many items a range holds (labelled or not): the progress bar's unit."""
    return int(
        conn.execute("SELECT count(*) FROM items WHERE seq > ? AND seq <= ?", chunk).fetchone()[0]
    )


RawRow = tuple[Any, ...]
"""One live label as the export query returns it: the columns ``RAW_COLUMNS`` names, the
item's (``ITEM_PART``) then the label's (``LABEL_PART``)."""


def export_groups(conn: sqlite3.Connection, chunk: ChunkRange) -> Iterator[list[RawRow]]:
    """The range's labelled items in import order, each as the list of its live labels'
    rows (oldest first), straight off the cursor: each is freed as soon as the caller is
    done with it (a whole chunk held at once costs a tenth of a big export's time in
    allocation alone)."""
    return map(list, map(_second, groupby(conn.execute(_LIVE_SQL, chunk), _first)))


def export_row(group: list[RawRow]) -> ExportRow:
    """One item's rows as the ``ExportRow`` the export policies work on."""
    # tuple.__new__ skips the Python-level NamedTuple constructor (hot loop).
    return _new(ExportRow, (*group[0][ITEM_PART], [_new(LabelRow, r[LABEL_PART]) for r in group]))


def raw_row(row: ExportRow, label: LabelRow) -> RawRow:
    """``row``'s item with one of its labels, as the export query returns the pair."""
    item: tuple[Any, ...] = row
    return (*item[ITEM_PART], *label)


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
    weigh = policy_weigher(db, policy)
    for group in live_label_groups(db, chunk_size, item_filter):
        yield group, resolve(group.labels, policy, group.ai_source, weigh)


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
    decision = resolve(group.labels, policy, group.ai_source, policy_weigher(db, policy))
    if decision.label is None:
        return None
    row = db.conn.execute(
        f"SELECT {LABEL_COLUMNS} FROM labels WHERE id = ?", (decision.label.id,)
    ).fetchone()
    return row_to_label(row)
