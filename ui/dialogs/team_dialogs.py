"""Project > Merge projects… and Adjudicate conflicts…: the team's work, brought together.

Merging runs as a background job (the same workflow as on the command line) and ends in a
report; adjudication shows each item in conflict with every person's choice and rationale,
and stores the adjudicator's decision as its own label event, which then counts.
"""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labeler.adjudication import Dispute, adjudicate, conflicting_items, describe, dispute
from labeler.resolution import verdict
from labeler.types import LabelValue
from ui import jobs


def open_merge(window: Any, files: list[Path] | None = None) -> None:
    """Ask for the other projects, merge them in a job, and show what came in."""
    path = window.controller.path
    if path is None:
        window.statusBar().showMessage("Open a project to merge others into it.", 5000)
        return
    if files is None:
        names, _filter = QFileDialog.getOpenFileNames(
            window, "Merge projects into this one", str(path.parent), "Projects (*.db)"
        )
        files = [Path(n) for n in names]
    if not files:
        return

    def done(report: Any) -> None:
        window.controller.queue_changed_elsewhere()
        _report(window, "Merge finished", "\n".join(report.lines()), QMessageBox.Icon.Information)

    def failed(exc: Exception) -> None:
        text = getattr(exc, "message", None) or str(exc)
        _report(window, "Nothing was merged", text, QMessageBox.Icon.Warning)

    window.jobs.start("merge", partial(jobs.merge_job, path, files), done, failed)


def _report(window: Any, title: str, text: str, icon: QMessageBox.Icon) -> None:
    window.statusBar().showMessage(text.splitlines()[-1], 10000)
    box = QMessageBox(icon, title, text, parent=window)
    box.setObjectName("merge_report")
    box.open()


class AdjudicationDialog(QDialog):
    """One item in conflict at a time: the prompt, the responses, each person's choice and
    rationale, and one button per choice given; deciding moves on to the next item."""

    def __init__(self, window: Any, adjudicator: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Adjudicate conflicts")
        self.resize(900, 700)
        self.window_, self.adjudicator = window, adjudicator
        self.queue = conflicting_items(window.controller.db)
        self.position = 0
        self.current: Dispute | None = None
        layout = QVBoxLayout(self)
        self.header = QLabel()
        self.header.setObjectName("adjudication_header")
        self.text = QTextBrowser()
        self.votes = QTableWidget(0, 3)
        self.votes.setHorizontalHeaderLabels(["Annotator", "Choice", "Rationale"])
        self.votes.horizontalHeader().setStretchLastSection(True)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Why (optional): kept with the decision")
        self.choices = QHBoxLayout()
        skip = QPushButton("Skip")
        skip.clicked.connect(self.next_item)
        for widget in (self.header, self.text, self.votes, self.note):
            layout.addWidget(widget)
        layout.addLayout(self.choices)
        layout.addWidget(skip)
        self.buttons: list[QPushButton] = []
        self.show_item()

    def show_item(self) -> None:
        for button in self.buttons:
            self.choices.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        if self.position >= len(self.queue):
            self.current = None
            self.header.setText("No items in conflict are waiting.")
            self.text.clear()
            self.votes.setRowCount(0)
            return
        item_id = self.queue[self.position]
        self.current = found = dispute(self.window_.controller.db, item_id)
        self.header.setText(f"Item {self.position + 1} of {len(self.queue)} in conflict")
        parts = [f"<h3>Prompt</h3><pre>{html.escape(found.item.prompt_text)}</pre>"]
        for n, response in enumerate(found.item.responses, 1):
            parts.append(f"<h3>Response {n}</h3><pre>{html.escape(response.text)}</pre>")
        self.text.setHtml("".join(parts))
        self.votes.setRowCount(len(found.votes))
        distinct: dict[Any, LabelValue] = {}
        for row, vote in enumerate(found.votes):
            assert vote.value is not None
            cells = (vote.annotator, describe(vote.value), vote.rationale or "")
            for column, text in enumerate(cells):
                self.votes.setItem(row, column, QTableWidgetItem(text))
            distinct.setdefault(verdict(vote.value), vote.value)
        for value in distinct.values():
            button = QPushButton(f"Decide: {describe(value)}")
            button.clicked.connect(partial(self.decide, value))
            self.choices.addWidget(button)
            self.buttons.append(button)

    def next_item(self) -> None:
        self.position += 1
        self.note.clear()
        self.show_item()

    def decide(self, value: LabelValue) -> None:
        """Store the decision (one guarded write); the item then leaves the queue."""
        if self.current is None:
            return
        db, item_id = self.window_.controller.db, self.current.item.id
        note = self.note.text().strip() or None
        write = partial(adjudicate, db, item_id, value, self.adjudicator, note)
        self.window_.controller.writes.attempt(write, lambda _label: self._decided())

    def _decided(self) -> None:
        self.window_.statusBar().showMessage("Decision saved.", 3000)
        self.next_item()


def open_adjudication(window: Any) -> AdjudicationDialog | None:
    """The adjudication queue of the open project, decided under the window's annotator."""
    controller = window.controller
    if controller.db is None:
        window.statusBar().showMessage("Open a project to adjudicate its conflicts.", 5000)
        return None
    if not controller.annotator:
        window.statusBar().showMessage("Enter your name as annotator to adjudicate.", 5000)
        return None
    dialog = AdjudicationDialog(window, controller.annotator, parent=window)
    dialog.open()
    return dialog
