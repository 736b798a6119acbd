"""The centre of the window: the model's label banner over the pairwise or listwise view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from labeler.session import ShownItem
from labeler.types import LabelSchema, SchemaMode
from ui.views.pair_view import PairView
from ui.views.rank_view import RankView
from ui.views.review_view import ReviewView


class ItemPage(QWidget):
    """Picks the view for an item: two responses -> pairwise (or the aspects form), more ->
    listwise. Shows the model's label when reviewing, or when suggestions are turned on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = ReviewView()
        self.pair = PairView()
        self.rank = RankView()
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        for widget in (self.empty, self.pair, self.rank):
            self.stack.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.show_empty("Open or create a project to start (Ctrl+O / Ctrl+N).")

    @property
    def active(self) -> str:
        widget = self.stack.currentWidget()
        return "pair" if widget is self.pair else "rank" if widget is self.rank else "empty"

    def show_empty(self, message: str) -> None:
        self.empty.setText(message)
        self.banner.show_suggestion("", None, None, False)
        self.stack.setCurrentWidget(self.empty)

    def show_item(
        self,
        shown: ShownItem,
        schema: LabelSchema,
        status: str,
        reviewing: bool,
        suggestions: bool,
    ) -> None:
        if len(shown.item.responses) == 2:
            multi = schema.mode is SchemaMode.MULTI_ASPECT
            self.pair.set_aspects(schema.aspects if multi else None)
            self.pair.show_item(shown, status)
            self.stack.setCurrentWidget(self.pair)
        else:
            self.rank.show_item(shown, status)
            self.stack.setCurrentWidget(self.rank)
        self.show_banner(shown, reviewing, suggestions)

    def show_banner(self, shown: ShownItem, reviewing: bool, suggestions: bool) -> None:
        label = shown.model_label if reviewing or suggestions else None
        self.banner.show_suggestion(
            shown.item.id, label, shown.shown_value(label), reviewing and label is not None
        )

    def set_status(self, text: str) -> None:
        """Update the line above the item without redrawing it (typed ranks survive)."""
        self.pair.status.setText(text)
        self.rank.status.setText(text)

    def set_zoom(self, points: float) -> None:
        self.pair.set_zoom(points)
        self.rank.set_zoom(points)
