"""Labels and tooltips for text that comes from data or people: always shown as plain text.

A QLabel or tooltip guesses rich text from what it is given, so an annotator named
``<img src=/home/me/photo.png>`` or a file named ``<h1>x.jsonl`` would render as markup (and
load a local file). Every label or tooltip that can hold such text is made here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QWidget


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that shows its text as is, never as markup."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def plain_tooltip(text: str | None) -> str | None:
    """``text`` as a tooltip that shows it as is (tooltips have no plain-text switch)."""
    return None if text is None else GuiQt.convertFromPlainText(text)


class WrappedLabel(QLabel):
    """A word-wrapped QLabel that is never cut off: layouts inside a scroll area give a
    wrapped label its preferred height, not the height its text needs at the width it got,
    so it asks for that height as its minimum whenever its width or text changes."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(self.width())
        if height > 0 and height != self.minimumHeight():
            self.setMinimumHeight(height)
