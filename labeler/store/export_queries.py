"""Read-only queries behind exports: every labelled item with all its live labels, in chunks.

The resolved-label query in ``labels.py`` builds domain objects per row; an export of a
million items needs raw columns instead, and all live labels of an item at once (for the
conflict policies), so this module cuts ``items`` into ranges of ``seq`` and joins the live
labels of a range in one ordered query, through the labels' ``item_seq`` index so that
consecutive items read neighbouring index pages. Rows come back as plain strings; the
exporters decode them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from labeler.resolution import LiveLabel
from labeler.store.labels import LIVE_LABEL

if TYPE_CHECKING:
    import sqlite_utils


LabelRow = LiveLabel
"""One live label event, as stored: the resolution rule's own label type."""


class ExportRow(NamedTuple):
    """One labelled item, as stored, with its live labels oldest first (the order
    ``exporters.policies.resolve`` expects). ``ai_source`` is the AI whose labels routing
    trusted for the item, if it was routed."""

    seq: int
    item_id: str
    prompt: str
    responses: str
    images: str | None
    tags: str | None
    route: str
    ai_source: str | None
    labels: list[LabelRow]


_new = tuple.__new__
_first, _second = itemgetter(0), itemgetter(1)

_ITEM_FIELDS = ExportRow._fields[:-1]
# A raw row's columns: the item's (``ExportRow`` less ``labels``), then the label's, each
# named as in its tuple, the label's with a ``label_`` prefix (both have a source of sorts).
_SELECT = [f"i.{'id' if f == 'item_id' else f}" for f in _ITEM_FIELDS]
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


def live_label_groups(conn: sqlite3.Connection, chunk: ChunkRange) -> Iterator[list[RawRow]]:
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


def count_items(db: sqlite_utils.Database) -> int:
    """All items (labelled or not): the length of the progress bar."""
    return int(db.conn.execute("SELECT count(*) FROM items").fetchone()[0])


def any_chat_items(db: sqlite_utils.Database) -> bool:
    """Whether any item's prompt is a message list (stored as a JSON array)."""
    return _flag(db, "content.chat_prompts")


def any_images(db: sqlite_utils.Database) -> bool:
    return _flag(db, "content.images")


def _flag(db: sqlite_utils.Database, key: str) -> bool:
    """A content flag that inserting items keeps (``labeler.db.CONTENT_FLAGS``)."""
    return db.conn.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None
