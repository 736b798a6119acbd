"""Where a job's result stays readable: the last training's, scoring's and simulation's whole
text in wrapped labels under the routing panel (the status bar shows a short form for a few
seconds and points here)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ui.plain import WrappedLabel

STATUS_CHARS = 100  # what a status bar line holds at 1024 px with room to spare
WHERE = "whole result under Routing"


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
        self.labels: dict[str, WrappedLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Last results</b>"))
        layout.addLayout(self.form)
        self.setVisible(False)

    def show_result(self, kind: str, text: str) -> None:
        """Keep ``text`` as the last ``kind`` result (e.g. "Training")."""
        label = self.labels.get(kind)
        if label is None:
            label = self.labels[kind] = WrappedLabel()
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(kind, label)
        label.setText(text)
        label.setToolTip(text)
        self.setVisible(True)
