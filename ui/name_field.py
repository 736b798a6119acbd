"""The annotator-name field: Enter confirms the name there, rather than triggering the
window's Enter shortcut (accept a model label), and hands the keys back to the item."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

CONFIRM_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class NameField(QLineEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Your name (required to label)")

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in CONFIRM_KEYS
        ):
            event.accept()  # the key press comes to this field: returnPressed, editingFinished
            return True
        return super().event(event)
