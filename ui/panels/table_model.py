"""A read-only table model over rows of plain values, for the panels' small summary tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from ui.plain import plain_tooltip

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """Rows of display strings; a row may carry a tooltip and a warning highlight."""

    def __init__(self, headers: Sequence[str]) -> None:
        super().__init__()
        self._headers = list(headers)
        self._rows: list[list[str]] = []
        self._tips: list[str | None] = []
        self._warn: list[bool] = []

    def set_rows(
        self,
        rows: Sequence[Sequence[str]],
        tips: Sequence[str | None] | None = None,
        warn: Sequence[bool] | None = None,
    ) -> None:
        self.beginResetModel()
        self._rows = [list(r) for r in rows]
        self._tips = list(tips) if tips is not None else [None] * len(rows)
        self._warn = list(warn) if warn is not None else [False] * len(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[row][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(self._tips[row])
        if role == Qt.ItemDataRole.BackgroundRole and self._warn[row]:
            return QBrush(QColor(255, 170, 0, 70))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None

    def cell(self, row: int, column: int) -> str:
        return self._rows[row][column]

    def is_warning(self, row: int) -> bool:
        return self._warn[row]


def read_only_table(model: RowsModel) -> QTableView:
    """A table view of ``model`` that selects and edits nothing, sized to its contents."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view
