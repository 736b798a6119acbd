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
from ui.views.rank_list import RankList
from ui.views.ranking import order_text, rank_dropped, rank_label
from ui.views.response_pane import ResponsePane

HINT = (
    "Digits rank the selected response (ties share a rank) · drag a row to rank it · "
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
        self.suggested: tuple[int | None, ...] | None = None
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.notice = BlockNotice()
        self.prompt = SafeBrowser()
        self.images = ImageStrip()

        self.list = RankList()
        self.list.currentRowChanged.connect(self._show_selected)
        self.list.dropped.connect(self._dropped)
        self.order = QLabel()
        self.order.setTextFormat(Qt.TextFormat.PlainText)
        self.order.setWordWrap(True)
        list_box = QWidget()
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(self.order)
        list_layout.addWidget(self.list, 1)
        self.detail_pane = ResponsePane()
        self.detail = self.detail_pane.browser

        inner = QSplitter(Qt.Orientation.Horizontal)
        inner.addWidget(list_box)
        inner.addWidget(self.detail_pane)
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
        self.list.fill(range(n))  # the first response is drawn below, where failures raise
        self._refresh_rows()
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
        thumb = {True: "  ▲ good", False: "  ▼ bad", None: ""}[self.thumbs[pos]]
        stars = f"  ★{self.ratings[pos]}" if self.ratings[pos] else ""
        preview = " ".join(self._texts[pos].split())[:140]
        head = rank_label(self.ranks, pos)
        model = ""
        if self.suggested is not None and pos < len(self.suggested):
            model = f"   ·   model: {rank_label(self.suggested, pos)}"
        return (
            f"{head}   Response {pos + 1}{thumb}{stars}   ·   {text_stats(self._texts[pos])}"
            f"{model}\n{preview}"
        )

    def _refresh_rows(self) -> None:
        self.list.set_texts(self._row_text)
        self.order.setText(order_text(self.ranks) if self.ranks else "")

    def set_suggestion(self, ranks: tuple[int | None, ...] | None) -> None:
        """Show the model's rank on each response row (None: no suggestion shown)."""
        if ranks == self.suggested:
            return  # the rows already say so
        self.suggested = ranks
        if self._texts:
            self._refresh_rows()

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
            self.detail_pane.clear(title="")
        else:
            self.detail_pane.show_text(self._texts[pos], title=f"Response {pos + 1}")

    def _on_rows_moved(
        self, _parent: object, start: int, _end: int, _dest: object, row: int
    ) -> None:
        self._dropped(row if row < start else row - 1)

    def _dropped(self, row: int) -> None:
        """The response now at ``row`` was dragged there: rank it alone, below the ranked
        responses above it, then show the list in the order being built."""
        if not self.takes_input or not 0 <= row < self.list.count():
            return
        positions = self.list.positions()
        moved = positions[row]
        above = sum(self.ranks[p] is not None for p in positions[:row] if p != moved)
        self.ranks = rank_dropped(self.ranks, moved, above)
        self._sort_rows(moved)

    def _sort_rows(self, keep: int) -> None:
        """Rows in the order being built: ranked best first (ties together), then the rest
        in shown order; ``keep`` stays selected."""
        key = [(r is None, r or 0, pos) for pos, r in enumerate(self.ranks)]
        order = sorted(range(len(self.ranks)), key=lambda p: key[p])
        self.list.fill(order, keep)
        self._refresh_rows()
        self._show_detail(keep)

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
        """Drag-and-drop by code: the selected row goes to ``to_row`` and is ranked there."""
        if not self.takes_input:
            return
        self.list.move_row(self.list.currentRow(), to_row)

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
