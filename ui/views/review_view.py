"""The model's label for the item on screen, with its confidence.

In the review queue it is always shown and Enter accepts it; while a person labels it stays
hidden (no anchoring) unless suggestions are turned on. Labelling keys override it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from labeler.types import (
    AspectsValue,
    BinaryValue,
    Label,
    LabelValue,
    PairwiseValue,
    RankingValue,
    RatingValue,
)
from ui.views.suggestion import confidence_text, source_name

_PAIR = {"a": "Left is better", "b": "Right is better", "tie": "Tie", "both_bad": "Both bad"}


def describe(value: LabelValue | None) -> str:
    """A model label in words, in shown terms (left / right, response numbers as shown)."""
    if isinstance(value, PairwiseValue):
        text = _PAIR[value.choice.value]
        return text.replace("better", "much better") if value.strength == 2 else text
    if isinstance(value, RankingValue):
        return "Ranking: " + " > ".join(
            " = ".join(f"#{i + 1}" for i in group) for group in value.order()
        )
    if isinstance(value, AspectsValue):
        return "Aspects: " + ", ".join(f"{k} {v:+d}" for k, v in sorted(value.aspects.items()))
    if isinstance(value, RatingValue):
        return "Ratings: " + ", ".join(str(r or "–") for r in value.ratings)
    if isinstance(value, BinaryValue):
        return "Thumbs: " + " ".join({True: "▲", False: "▼", None: "–"}[t] for t in value.thumbs)
    return "no label"


class ReviewView(QFrame):
    """A banner over the item: what the model said, how sure it is, and Accept (Enter)."""

    accepted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("ReviewView")
        self.item_id = ""
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.accept_button = QPushButton("Accept  (Enter)")
        self.accept_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.accept_button.clicked.connect(self.accept)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.accept_button)
        self.setVisible(False)

    def show_suggestion(
        self, item_id: str, label: Label | None, shown_value: LabelValue | None, review: bool
    ) -> None:
        self.item_id = item_id if label is not None else ""
        if label is None:
            self.setVisible(False)
            return
        who = html.escape(source_name(label))
        prefix = "Model label to review" if review else "Model suggestion"
        self.text.setText(
            f"<b>{prefix}:</b> {html.escape(describe(shown_value))}"
            f" &nbsp;·&nbsp; {html.escape(confidence_text(label.confidence))}"
            f" &nbsp;·&nbsp; by <i>{who}</i>"
            + ("" if not review else " &nbsp;·&nbsp; marked on the response; keys override")
        )
        self.text.setToolTip(html.escape(f"{label.annotator} · {label.model_version or ''}"))
        self.accept_button.setHidden(not review)
        self.setHidden(False)

    def accept(self) -> None:
        if self.item_id and not self.accept_button.isHidden():
            self.accepted.emit(self.item_id)
