"""The centre of the window: the model's label banner over the pairwise or listwise view."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from labeler.session import ShownItem
from labeler.types import LabelSchema, SchemaMode
from ui.plain import plain_label
from ui.views.common import error_text
from ui.views.pair_view import PairView
from ui.views.queue_progress import QueueProgress
from ui.views.rank_view import RankView
from ui.views.review_view import ReviewView
from ui.views.suggestion import suggested_ranks, suggested_side


class ItemPage(QWidget):
    """Picks the view for an item: two responses -> pairwise (or the aspects form), more ->
    listwise. Shows the model's label when reviewing, or when suggestions are turned on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = QueueProgress()
        self.banner = ReviewView()
        self.pair = PairView()
        self.rank = RankView()
        self.empty = plain_label()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        for widget in (self.empty, self.pair, self.rank):
            self.stack.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.progress)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.show_empty("Open or create a project to start (Ctrl+O / Ctrl+N).")

    @property
    def active(self) -> str:
        widget = self.stack.currentWidget()
        return "pair" if widget is self.pair else "rank" if widget is self.rank else "empty"

    @property
    def blocked(self) -> str:
        """Why the item on screen takes no label ("" when it takes one, or none is shown)."""
        widget = self.stack.currentWidget()
        return widget.blocked if isinstance(widget, PairView | RankView) else ""

    def set_image_folders(self, folders: tuple[Path, ...] | None) -> None:
        """Only files in ``folders`` are read as item images (None: no limit)."""
        self.pair.images.allowed = self.rank.images.allowed = folders

    def show_empty(self, message: str) -> None:
        self.empty.setText(message)
        self.banner.show_suggestion("", None, None, False)
        self.pair.set_suggestion(None)
        self.rank.set_suggestion(None)
        self.stack.setCurrentWidget(self.empty)

    def show_item(
        self,
        shown: ShownItem,
        schema: LabelSchema,
        status: str,
        reviewing: bool,
        suggestions: bool,
    ) -> None:
        """All of the item or none of it: if any part fails to build, the view is cleared and
        shows why, and takes no label (skip and flag still work)."""
        view: PairView | RankView = self.pair if len(shown.item.responses) == 2 else self.rank
        try:
            if view is self.pair:
                multi = schema.mode is SchemaMode.MULTI_ASPECT
                self.pair.set_aspects(schema.aspects if multi else None)
            view.show_item(shown, status)
            self.stack.setCurrentWidget(view)
            self.show_banner(shown, reviewing, suggestions)
        except Exception as exc:  # any failure: the reason is shown, no label is taken
            logging.getLogger(__name__).exception("could not show item %s", shown.item.id)
            self.banner.show_suggestion("", None, None, False)
            view.show_broken(error_text(exc))
            view.status.setText(status)
            self.stack.setCurrentWidget(view)

    def show_banner(self, shown: ShownItem, reviewing: bool, suggestions: bool) -> None:
        """The model's label, only over a whole item that takes a label (Enter accepts it)."""
        widget = self.stack.currentWidget()
        whole = isinstance(widget, PairView | RankView) and widget.item_id == shown.item.id
        usable = whole and not self.blocked
        label = shown.model_label if (reviewing or suggestions) and usable else None
        value = shown.shown_value(label)
        self.banner.show_suggestion(shown.item.id, label, value, reviewing and label is not None)
        self.pair.set_suggestion(suggested_side(value))
        self.rank.set_suggestion(suggested_ranks(value))

    def set_status(self, text: str) -> None:
        """Update the line above the item without redrawing it (typed ranks survive)."""
        self.pair.status.setText(text)
        self.rank.status.setText(text)

    def set_zoom(self, points: float) -> None:
        self.pair.set_zoom(points)
        self.rank.set_zoom(points)
