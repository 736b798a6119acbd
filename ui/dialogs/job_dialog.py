"""The part every dialog that runs one job (import, export) shares: its error, status and
progress widgets, what they show while the job runs, and Cancel that cancels or closes."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QLabel, QProgressBar, QPushButton, QWidget

from ui.plain import plain_label
from ui.wheel_guard import guard_wheels

WRAP_CHARS = 90  # a longer run without a space gets break opportunities


def breakable(text: str, run: int = WRAP_CHARS) -> str:
    """``text`` escaped for rich text, with zero-width spaces in very long words, so a long
    path or a JSON line wraps instead of widening the dialog."""
    words = [
        "\u200b".join(word[i : i + run] for i in range(0, len(word), run)) if len(word) > run
        else word
        for word in text.split(" ")
    ]  # fmt: skip
    return html.escape(" ".join(words))


def error_html(error: BaseException) -> str:
    """An error as the dialog shows it: the message, and the failing line if known, both
    wrapped to the dialog's width."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    text = f"<b>{breakable(message)}</b>"
    detail = getattr(error, "detail", None)
    if detail:
        text += (
            "<br>The line that failed:<p style='white-space: pre-wrap; font-family: monospace'>"
            f"{breakable(detail)}</p>"
        )
    return text


class JobDialog(QDialog):
    """A dialog that starts a job; subclasses lay out the widgets made here."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running = False
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = plain_label()
        self.status_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

    def showEvent(self, event: QShowEvent) -> None:
        guard_wheels(self)  # the fields are all made by now
        super().showEvent(event)

    def _show_running(self, running: bool, busy_text: str) -> None:
        """A busy bar and ``busy_text`` while the job runs (errors of a former run cleared)."""
        self._running = running
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)
            self.error_label.clear()
            self.status_label.setText(busy_text)

    def set_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(1000 * min(done, total) / total))

    def _on_cancel_clicked(self) -> None:
        if self._running:
            self.cancel_requested.emit()
            self.status_label.setText("Cancelling…")
        else:
            self.reject()
