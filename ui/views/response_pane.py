"""One response under its header: size, what the view changed about the text (plain text,
shortened; then "Show all" puts all of it on screen) and whether it is the model's pick."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ui.render import text_stats
from ui.views.common import SafeBrowser, ShowAllButton


class ResponsePane(QFrame):
    """One response under a header with its size, what the view changed about it (plain
    text, shortened: then "Show all") and whether it is the model's pick."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = title
        self.suggested = False
        self._stats = ""
        self.header = QLabel(title)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.browser = SafeBrowser()
        self.show_all_button = ShowAllButton()
        self.show_all_button.clicked.connect(self.show_all)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.show_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.browser, 1)

    def show_text(self, text: str, title: str | None = None, note: str = "") -> None:
        self.title = self.title if title is None else title
        self.browser.show_markdown(text)
        self._stats = "   ·   ".join(p for p in (text_stats(text), note) if p)
        self._update_header()

    def show_html(self, text: str, body: str) -> None:
        """A rendered diff of ``text``."""
        self.browser.setHtml(body)
        self.browser.plain = self.browser.clipped = False
        self._stats = f"{text_stats(text)}   ·   diff"
        self._update_header()

    def clear(self, reason: str = "", title: str | None = None) -> None:
        self.title = self.title if title is None else title
        self.browser.clear()
        self.browser.plain = self.browser.clipped = False
        self._stats = reason
        self._update_header()

    def show_all(self) -> None:
        self.browser.show_all()
        self._update_header()

    def set_suggested(self, suggested: bool) -> None:
        """Mark this response as the model's pick (frame and header), or unmark it."""
        if suggested != self.suggested:
            self.suggested = suggested
            self._update_header()
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """The model's pick gets a frame in the palette's highlight colour, painted rather than
        styled: a style sheet would keep the old theme's colours for the text inside."""
        super().paintEvent(event)
        if not self.suggested:
            return
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 3, 3)
        finally:
            painter.end()

    def _update_header(self) -> None:
        parts = [self.title + ("  ★ model's pick" if self.suggested else "")]
        parts += [p for p in (self._stats, self.browser.note) if p]
        self.header.setText("   ·   ".join(parts))
        self.show_all_button.setVisible(self.browser.clipped)
