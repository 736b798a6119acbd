"""A table model over every item of a project, read lazily from SQLite.

The model holds only the matching items' ``seq`` numbers (in sort order); a row's details are
read when the view first asks for it, a page at a time, and a few pages are kept. The filter
and sort query can take a worker (``run_query``), since sorting a million items takes a while;
the rows stay as they were until its answer arrives, and only the latest answer is taken.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import sqlite_utils
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from labeler.resolution import decode
from labeler.store.browse import RecordFilter, RecordRow, record_rows, record_seqs
from labeler.types import LabelValue, PairwiseValue, RankingValue
from ui.panels.formatting import DASH

Index = QModelIndex | QPersistentModelIndex
SeqQuery = Callable[[sqlite_utils.Database], list[int]]
QueryRunner = Callable[[SeqQuery, Callable[[list[int]], None]], None]
PAGE = 100
PAGES_KEPT = 40
COLUMNS = (
    ("seq", "#"),
    ("prompt", "Prompt"),
    ("status", "Status"),
    ("route", "Route"),
    (None, "Label that counts"),
    ("label_source", "Label source"),
    (None, "By"),
    ("confidence", "Model confidence (50% = chance)"),
    ("flagged", "Flagged"),
    (None, "Tags"),
)
_PAIR = {"a": "A better", "b": "B better", "tie": "tie", "both_bad": "both bad"}


def label_text(value: LabelValue) -> str:
    """A stored label in a few words, in stored response order (A, B; responses 1, 2, …)."""
    if isinstance(value, PairwiseValue):
        text = _PAIR[value.choice.value]
        return text.replace("better", "much better") if value.strength == 2 else text
    if isinstance(value, RankingValue):
        return " > ".join(" = ".join(str(i + 1) for i in group) for group in value.order())
    return value.kind.value


def cells(row: RecordRow) -> list[str]:
    label = row.label
    conf = row.model_confidence
    return [
        str(row.seq),
        " ".join(row.prompt.split())[:160],
        row.status.value,
        row.route.value,
        DASH
        if label is None
        else label_text(decode(label.kind, label.value)) + (" (conflict)" if row.conflict else ""),
        row.label_source,
        DASH if label is None else label.annotator,
        DASH if conf is None else f"{conf:.0%}",
        "⚑" if row.flagged else "",
        ", ".join(row.tags),
    ]


class RecordsModel(QAbstractTableModel):
    def __init__(
        self, db: sqlite_utils.Database | None = None, run_query: QueryRunner | None = None
    ) -> None:
        super().__init__()
        self.db = db
        self.run_query = run_query
        self.loading = False
        self._asked = 0
        self.where = RecordFilter()
        self.sort_key = "seq"
        self.descending = False
        self._seqs: list[int] = []
        self._pages: OrderedDict[int, list[RecordRow]] = OrderedDict()

    # ---- query ---------------------------------------------------------------------------
    def set_db(self, db: sqlite_utils.Database | None) -> None:
        self.db = db
        self.reload()

    def set_filter(self, where: RecordFilter) -> None:
        self.where = where
        self.reload()

    def reload(self) -> None:
        """Run the filter again (after labels changed): the rows are read anew as shown."""
        if self.db is None:
            self._show([])
            return
        query = partial(
            record_seqs, where=self.where, sort=self.sort_key, descending=self.descending
        )
        if self.run_query is None:
            self._show(query(self.db))
            return
        self._asked += 1
        self.loading = True
        self.run_query(query, partial(self._answered, self._asked))

    def _answered(self, asked: int, seqs: list[int]) -> None:
        if asked == self._asked:  # an older query's answer is stale
            self.loading = False
            self._show(seqs)

    def _show(self, seqs: list[int]) -> None:
        self.beginResetModel()
        self._pages.clear()
        self._seqs = seqs
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][0]
        if key is None:
            return
        self.sort_key, self.descending = key, order == Qt.SortOrder.DescendingOrder
        self.reload()

    def record(self, row: int) -> RecordRow | None:
        """The record on ``row``, reading its page if needed."""
        if not 0 <= row < len(self._seqs) or self.db is None:
            return None
        page = row // PAGE
        rows = self._pages.get(page)
        if rows is None:
            seqs = self._seqs[page * PAGE : (page + 1) * PAGE]
            found = {r.seq: r for r in record_rows(self.db, seqs)}
            rows = [found[s] for s in seqs if s in found]
            self._pages[page] = rows
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        offset = row - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def seqs(self) -> list[int]:
        return list(self._seqs)

    # ---- Qt ------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._seqs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        record = self.record(index.row())
        if record is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return record.prompt[:600] if index.column() == 1 else None
        return cells(record)[index.column()]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None
