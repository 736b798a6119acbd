"""Listwise view: three or more responses to rank (ties allowed), thumbs and ratings.

Ranks are typed (a digit ranks the selected response and moves to the next one) or set by
dragging the rows into order. Everything is kept in shown positions; the view emits
``ranking_made(item_id, ranks, thumbs, ratings)`` and the session maps it to stored order.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from labeler.session import ShownItem
from labeler.types import BinaryValue, RankingValue, RatingValue
from ui.render import text_stats
from ui.views.common import (
    BlockNotice,
    ImageStrip,
    SafeBrowser,
    error_text,
    prompt_pane,
    show_prompt,
)

HINT = (
    "Digits rank the selected response (ties allowed) · drag rows into order · "
    "↑/↓ select · U/D thumbs · Alt+1…5 rating · Enter submits"
)


class RankView(QWidget):
    ranking_made = Signal(str, list, list, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item_id = ""
        self._texts: list[str] = []
        self.ranks: list[int | None] = []
        self.thumbs: list[bool | None] = []
        self.ratings: list[int | None] = []
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.notice = BlockNotice()
        self.prompt = SafeBrowser()
        self.images = ImageStrip()

        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.currentRowChanged.connect(self._show_selected)
        self.list.model().rowsMoved.connect(self._ranks_from_order)
        self.detail_header = QLabel()
        self.detail_header.setTextFormat(Qt.TextFormat.PlainText)
        self.detail = SafeBrowser()
        detail_box = QWidget()
        detail_layout = QVBoxLayout(detail_box)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_header)
        detail_layout.addWidget(self.detail, 1)

        inner = QSplitter(Qt.Orientation.Horizontal)
        inner.addWidget(self.list)
        inner.addWidget(detail_box)
        inner.setStretchFactor(0, 2)
        inner.setStretchFactor(1, 3)
        outer = QSplitter(Qt.Orientation.Vertical)
        prompt_box = prompt_pane(self.prompt, self.images)
        outer.addWidget(prompt_box)
        outer.addWidget(inner)
        outer.setStretchFactor(0, 1)
        outer.setStretchFactor(1, 3)

        self.submit_button = QPushButton("Submit ranking  (Enter)")
        self.submit_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.submit_button.clicked.connect(self.submit)
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.notice)
        layout.addWidget(outer, 1)
        layout.addWidget(hint)
        layout.addWidget(self.submit_button)

    # ---- data in -------------------------------------------------------------------------
    @property
    def blocked(self) -> str:
        """Why the item on screen takes no label ("" when it takes one)."""
        return self.notice.reason

    @property
    def takes_input(self) -> bool:
        return bool(self.item_id) and not self.blocked

    def show_item(self, shown: ShownItem, status: str = "") -> None:
        """Show all of the item; it takes a label only once every part of it is on screen.

        Raises when a part cannot be built: the page then shows the view broken instead.
        """
        self.item_id = ""  # no label for a half-drawn item
        self._set_inputs(False)
        self.status.setText(status)
        self._texts = [r.text for r in shown.responses]
        n = len(self._texts)
        self.ranks, self.thumbs, self.ratings = [None] * n, [None] * n, [None] * n
        for label in shown.my_labels:
            value = shown.shown_value(label)
            if isinstance(value, RankingValue):
                self.ranks = list(value.ranks)
            elif isinstance(value, BinaryValue):
                self.thumbs = list(value.thumbs)
            elif isinstance(value, RatingValue):
                self.ratings = list(value.ratings)
        show_prompt(self.prompt, shown.item.prompt)
        problems = self.images.show_images(shown.item.images)
        self.list.blockSignals(True)  # the first response is drawn below, where failures raise
        try:
            self.list.clear()
            for pos in range(n):
                row = QListWidgetItem()
                row.setData(Qt.ItemDataRole.UserRole, pos)
                self.list.addItem(row)
            self._refresh_rows()
            self.list.setCurrentRow(0)
        finally:
            self.list.blockSignals(False)
        self._show_detail(0 if n else None)
        self.item_id = shown.item.id
        self._block(f"This item can't be labelled: {'; '.join(problems)}" if problems else "")

    def show_broken(self, reason: str) -> None:
        """Nothing of any item, and why it is not shown; no input takes a label here.

        Rows are blanked rather than removed: this can run while the list reports a selection.
        """
        self.item_id = ""
        self.prompt.clear()
        self.images.show_images(())
        for row in range(self.list.count()):
            self.list.item(row).setText("")
        self._show_detail(None)
        self._texts = [""] * len(self._texts)
        self._block(f"This item can't be shown: {reason}")

    def _block(self, reason: str) -> None:
        self.notice.set_reason(reason)
        self._set_inputs(not reason)

    def _set_inputs(self, enabled: bool) -> None:
        self.submit_button.setEnabled(enabled)
        self.list.setDragDropMode(
            QAbstractItemView.DragDropMode.InternalMove
            if enabled
            else QAbstractItemView.DragDropMode.NoDragDrop
        )

    def _row_text(self, pos: int) -> str:
        rank = self.ranks[pos]
        thumb = {True: "  ▲ good", False: "  ▼ bad", None: ""}[self.thumbs[pos]]
        stars = f"  ★{self.ratings[pos]}" if self.ratings[pos] else ""
        preview = " ".join(self._texts[pos].split())[:140]
        head = f"#{rank}" if rank is not None else "#–"
        return (
            f"{head}   Response {pos + 1}{thumb}{stars}   ·   {text_stats(self._texts[pos])}\n"
            f"{preview}"
        )

    def _refresh_rows(self) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setText(self._row_text(item.data(Qt.ItemDataRole.UserRole)))

    def _selected_pos(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _show_selected(self, _row: int) -> None:
        pos = self._selected_pos()
        if pos is None or not self.item_id:
            return
        try:
            self._show_detail(pos)
        except Exception as exc:  # a response that cannot be shown blocks the item
            logging.getLogger(__name__).exception("could not show a response")
            self.show_broken(error_text(exc))

    def _show_detail(self, pos: int | None) -> None:
        if pos is None:
            self.detail_header.clear()
            self.detail.clear()
            return
        self.detail_header.setText(f"Response {pos + 1}   ·   {text_stats(self._texts[pos])}")
        self.detail.show_markdown(self._texts[pos])

    def _ranks_from_order(self, *_args: object) -> None:
        if not self.takes_input:
            return
        for row in range(self.list.count()):
            self.ranks[int(self.list.item(row).data(Qt.ItemDataRole.UserRole))] = row + 1
        self._refresh_rows()

    def set_zoom(self, points: float) -> None:
        for widget in (self.prompt, self.detail, self.list):
            font = widget.font()
            font.setPointSizeF(points)
            widget.setFont(font)

    # ---- keyboard intents ----------------------------------------------------------------
    def select(self, delta: int) -> None:
        if self.item_id and self.list.count():
            self.list.setCurrentRow((self.list.currentRow() + delta) % self.list.count())

    def set_rank(self, rank: int) -> None:
        """Rank the selected response and move on to the next row."""
        pos = self._selected_pos()
        if pos is None or rank > len(self.ranks) or not self.takes_input:
            return
        self.ranks[pos] = rank
        self._refresh_rows()
        if self.list.currentRow() < self.list.count() - 1:
            self.select(1)

    def move_selected(self, to_row: int) -> None:
        """Drag-and-drop by code: move the selected row to ``to_row`` (ranks follow order)."""
        if not self.takes_input:
            return
        row = self.list.currentRow()
        item = self.list.takeItem(row)
        self.list.insertItem(to_row, item)
        self.list.setCurrentRow(to_row)
        self._ranks_from_order()

    def toggle_thumb(self, up: bool) -> None:
        pos = self._selected_pos()
        if pos is not None and self.takes_input:
            self.thumbs[pos] = None if self.thumbs[pos] is up else up
            self._refresh_rows()

    def set_rating(self, rating: int) -> None:
        pos = self._selected_pos()
        if pos is not None and self.takes_input:
            self.ratings[pos] = None if self.ratings[pos] == rating else rating
            self._refresh_rows()

    def clear(self) -> None:
        if not self.takes_input:
            return
        self.ranks = [None] * len(self.ranks)
        self._refresh_rows()

    @property
    def has_input(self) -> bool:
        return any(r is not None for r in self.ranks)

    def submit(self) -> bool:
        """Emit the ranking if at least one response is ranked; returns whether it did."""
        if not self.takes_input or not self.has_input:
            return False
        self.ranking_made.emit(
            self.item_id, list(self.ranks), list(self.thumbs), list(self.ratings)
        )
        return True
