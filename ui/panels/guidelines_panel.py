"""The project's labelling instructions beside the item: rendered markdown, editable in place.

The text is the project's own, but it may have been pasted from anywhere, so it goes through
the same safe renderer as model responses (raw HTML escaped, images as text) and the browser
refuses to load any resource at all.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.render import markdown_to_html

EMPTY_HINT = (
    "<p><i>No guidelines yet. Press <b>Edit</b> to write what labellers should prefer, "
    "when to choose a tie and when both responses are bad.</i></p>"
)


class OfflineTextBrowser(QTextBrowser):
    """A text browser that never loads a resource (no files, no network) and never navigates."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.refused: list[str] = []  # what a document asked for; kept for tests and debugging

    def loadResource(self, type: int, name: QUrl | str) -> object:
        self.refused.append(name.toString() if isinstance(name, QUrl) else str(name))
        return None


class GuidelinesPanel(QWidget):
    """Shows the guidelines; Edit switches to a plain-text editor, Save emits the new text.

    In: ``set_guidelines(markdown)``. Out: ``guidelines_changed(markdown)`` when the user saves
    text that differs from what was shown.
    """

    guidelines_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self._dark = dark
        self._text = ""
        self.browser = OfflineTextBrowser()
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Markdown: # headings, **bold**, lists, `code` …")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.browser)
        self.stack.addWidget(self.editor)

        self.title = QLabel("<b>Guidelines</b>")
        self.edit_button = QPushButton("&Edit")
        self.save_button = QPushButton("&Save")
        self.cancel_button = QPushButton("Cancel")
        self.edit_button.clicked.connect(self.start_editing)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.cancel_editing)

        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addStretch(1)
        for button in (self.edit_button, self.save_button, self.cancel_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        save = QShortcut(QKeySequence.StandardKey.Save, self.editor)
        save.activated.connect(self.save)
        cancel = QShortcut(QKeySequence(QKeySequence.StandardKey.Cancel), self.editor)
        cancel.activated.connect(self.cancel_editing)
        self._update_mode(editing=False)
        self._render()

    # ---- in ------------------------------------------------------------------------------

    def set_guidelines(self, markdown: str) -> None:
        """Show the project's guidelines (leaves edit mode without emitting anything)."""
        self._text = markdown
        self._update_mode(editing=False)
        self._render()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self._render()

    # ---- state ---------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._text

    @property
    def editing(self) -> bool:
        return self.stack.currentWidget() is self.editor

    # ---- user actions --------------------------------------------------------------------

    def start_editing(self) -> None:
        self.editor.setPlainText(self._text)
        self._update_mode(editing=True)
        self.editor.setFocus()

    def save(self) -> None:
        if not self.editing:
            return
        new = self.editor.toPlainText()
        changed = new != self._text
        self._text = new
        self._update_mode(editing=False)
        self._render()
        if changed:
            self.guidelines_changed.emit(new)

    def cancel_editing(self) -> None:
        self._update_mode(editing=False)

    # ---- internals -----------------------------------------------------------------------

    def _update_mode(self, *, editing: bool) -> None:
        self.stack.setCurrentWidget(self.editor if editing else self.browser)
        self.edit_button.setVisible(not editing)
        self.save_button.setVisible(editing)
        self.cancel_button.setVisible(editing)

    def _render(self) -> None:
        body = markdown_to_html(self._text, dark=self._dark) if self._text.strip() else EMPTY_HINT
        self.browser.setHtml(body)
