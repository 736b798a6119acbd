"""A small editor for the rationale that goes with the next decision on the item."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class RationaleDialog(QDialog):
    """Ctrl+Enter saves, Esc cancels; emits ``rationale_written(text)``."""

    rationale_written = Signal(str)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rationale")
        self.editor = QPlainTextEdit(text)
        self.editor.setPlaceholderText("Why is one response better? (kept with the label)")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Saved with your next decision on this item (Ctrl+Enter)."))
        layout.addWidget(self.editor)
        layout.addWidget(buttons)
        self.accepted.connect(lambda: self.rationale_written.emit(self.editor.toPlainText()))
        self.resize(480, 240)
