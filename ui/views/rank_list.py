"""The listwise rows: one per response (its shown position in ``UserRole``), drag to move."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

ROLE = Qt.ItemDataRole.UserRole


class RankList(QListWidget):
    """Emits ``dropped(row)`` with the row a dragged response landed on."""

    dropped = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setWordWrap(True)
        self.setSpacing(3)
        self.setAlternatingRowColors(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.model().rowsMoved.connect(self._moved)

    def _moved(self, _p: QModelIndex, start: int, _e: int, _d: QModelIndex, row: int) -> None:
        self.dropped.emit(row if row < start else row - 1)

    def fill(self, order: Sequence[int], current: int | None = None) -> None:
        """One row per shown position in ``order``; ``current`` (a position) is selected.
        Signals are blocked: the caller draws what the selection shows."""
        self.blockSignals(True)
        try:
            self.clear()
            for pos in order:
                item = QListWidgetItem()
                item.setData(ROLE, pos)
                self.addItem(item)
            if order:
                self.setCurrentRow(list(order).index(order[0] if current is None else current))
        finally:
            self.blockSignals(False)

    def positions(self) -> list[int]:
        return [int(self.item(r).data(ROLE)) for r in range(self.count())]

    def set_texts(self, text: Callable[[int], str]) -> None:
        for row in range(self.count()):
            item = self.item(row)
            item.setText(text(int(item.data(ROLE))))

    def move_row(self, row: int, to_row: int) -> None:
        """What a drop does, by code: the row goes to ``to_row`` and ``dropped`` follows."""
        self.blockSignals(True)
        try:
            self.insertItem(to_row, self.takeItem(row))
        finally:
            self.blockSignals(False)
        self.dropped.emit(to_row)
