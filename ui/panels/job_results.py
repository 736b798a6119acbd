"""Where a job's result stays readable: the last training's, scoring's and simulation's whole
text in wrapped labels under the routing panel (the status bar shows a short form for a few
seconds and points here), and a label that wraps to as many lines as its text needs."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

STATUS_CHARS = 100  # what a status bar line holds at 1024 px with room to spare
WHERE = "whole result under Routing"


class WrapLabel(QLabel):
    """A word-wrapped label that asks for the height its text needs at its width, so a form
    or a scrolling panel never clips its last lines."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self._needed = 0

    def _height(self) -> int:
        return max(super().minimumSizeHint().height(), self.heightForWidth(self.width()))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self._height())

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._height())

    def setText(self, text: str) -> None:
        super().setText(text)
        self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        needed = self._height()
        if needed != self._needed:  # a new width wraps to other lines: ask the layout again
            self._needed = needed
            self.updateGeometry()


def short_form(text: str, limit: int = STATUS_CHARS) -> str:
    """``text`` as one status bar line: whole when short, else cut at a clause or word before
    ``limit`` with a pointer to where the whole text stays."""
    line = " · ".join(part for part in text.splitlines() if part)
    if len(line) <= limit:
        return line
    head = line[:limit]
    cut = max(head.rfind("; "), head.rfind(" ("), head.rfind(". "))
    if cut < limit // 3:
        cut = head.rfind(" ")
    return f"{head[:cut].rstrip(' ;,.')} … ({WHERE})"


class JobResults(QWidget):
    """The last result of each kind of job, whole, in wrapped and selectable labels; hidden
    until the first one arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.labels: dict[str, WrapLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Last results</b>"))
        layout.addLayout(self.form)
        self.setVisible(False)

    def show_result(self, kind: str, text: str) -> None:
        """Keep ``text`` as the last ``kind`` result (e.g. "Training")."""
        label = self.labels.get(kind)
        if label is None:
            label = self.labels[kind] = WrapLabel()
            self.form.addRow(kind, label)
        label.setText(text)
        label.setToolTip(text)
        self.setVisible(True)
