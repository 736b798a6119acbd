"""Restore from backup…: the open project's backups (time, items, labels) and restoring one.

Listing reads every backup and restoring copies the whole project, so both run as jobs on
their own connections. The window closes the project while it is replaced, then opens it
again, so no stale session writes into the restored file. The daily backup made when a
project opens starts here too.
"""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeler.backups import (
    KEEP_DAYS,
    KEEP_RECENT,
    Backup,
    BackupError,
    RestoreResult,
    backup_dir,
    backup_if_due,
    list_backups,
    restore_backup,
)
from ui.dialogs.job_dialog import JobDialog, error_html
from ui.workers import one_shot

# Jobs that only read the project: a restore may run beside them (WAL readers never block it).
READ_ONLY_JOBS = frozenset({"counts", "agreement", "routing-snapshot", "backup", "backups"})
CHECK_EVERY_MS = 60 * 60 * 1000  # is a new day's backup due while the window stays open?
COLUMNS = ("When", "Items", "Labels", "Note")
READING = "Reading the backups…"
NO_BACKUPS = "No backups yet: one is made when a project is opened."
NUMBER_ALIGN = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class BackupsDialog(JobDialog):
    """Lists backups; Restore asks for confirmation, then emits the chosen backup's path."""

    restore_requested = Signal(object)

    def __init__(self, project: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.backups: list[Backup] = []
        self.setWindowTitle("Restore from backup")
        intro = QLabel(
            f"Backups of <b>{html.escape(project.name)}</b>, newest first. A backup is made "
            f"when a project is opened, at most once a day; the last {KEEP_DAYS} days and the "
            f"{KEEP_RECENT} most recent are kept. Restoring replaces the project's contents; "
            "its current state is backed up first, so a restore can be undone."
        )
        intro.setWordWrap(True)
        folder = QLabel(f"Folder: {html.escape(str(backup_dir(project)))}")
        folder.setWordWrap(True)
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.restore_button = QPushButton("Restore…")
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.cancel_button.setText("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        for widget in (intro, self.table, folder, self.progress, self.status_label):
            layout.addWidget(widget)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.status_label.setText(READING)
        self._update_buttons()
        self.resize(640, 420)

    def set_backups(self, backups: list[Backup]) -> None:
        self.backups = list(backups)
        self.table.setRowCount(len(self.backups))
        for row, backup in enumerate(self.backups):
            when = backup.taken_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            items = "" if backup.items is None else f"{backup.items:,}"
            labels = "" if backup.labels is None else f"{backup.labels:,}"
            for col, text in enumerate((when, items, labels, backup.note)):
                cell = QTableWidgetItem(text)
                if col in (1, 2):
                    cell.setTextAlignment(NUMBER_ALIGN)
                self.table.setItem(row, col, cell)
        self.table.resizeColumnsToContents()
        if self.backups:
            self.table.selectRow(0)
        if self.status_label.text() == READING:  # a later refresh keeps what a restore said
            self.status_label.setText("" if self.backups else NO_BACKUPS)
        self._update_buttons()

    def selected(self) -> Backup | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    def confirm(self, backup: Backup) -> bool:
        """Ask before replacing the project (the only destructive step here)."""
        answer = QMessageBox.question(
            self,
            "Restore from backup",
            f"Replace the contents of {self.project.name} with the backup from "
            f"{backup.describe()}?\n\nThe current state is backed up first, so you can undo "
            "this by restoring that backup.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _on_restore_clicked(self) -> None:
        backup = self.selected()
        if backup is not None and backup.problem is None and self.confirm(backup):
            self.restore_requested.emit(backup.path)

    def _update_buttons(self) -> None:
        backup = self.selected()
        usable = backup is not None and backup.problem is None
        self.restore_button.setEnabled(usable and not self._running)

    def set_running(self, running: bool) -> None:
        self._show_running(running, "Restoring… (the current state is backed up first)")
        self.cancel_button.setText("Cancel" if running else "Close")
        self._update_buttons()

    def show_restored(self, result: RestoreResult) -> None:
        self.status_label.setText(
            f"Restored {result.project.name} from the backup ({result.items:,} items, "
            f"{result.labels:,} labels). The state before the restore is listed as "
            "“state before a restore”."
        )

    def show_error(self, error: BaseException) -> None:
        self.status_label.clear()
        self.error_label.setText(error_html(error))


def open_backups(window: Any) -> BackupsDialog | None:
    """The dialog for the window's open project; its list is read in a job."""
    project = window.controller.path
    if project is None:
        window.statusBar().showMessage("Open a project first.", 5000)
        return None
    dialog = BackupsDialog(Path(project), parent=window)
    dialog.restore_requested.connect(partial(_restore, window, dialog, Path(project)))
    _refresh(window, dialog)
    dialog.open()
    return dialog


def _refresh(window: Any, dialog: BackupsDialog) -> None:
    job = one_shot(partial(list_backups, dialog.project))
    window.jobs.start("backups", job, dialog.set_backups, dialog.show_error, quiet=True)


def _restore(window: Any, dialog: BackupsDialog, project: Path, backup: Path) -> None:
    """Close the project, restore in a job, then open the project again (restored or not)."""
    writing = [n for n in window.jobs.running_names() if n not in READ_ONLY_JOBS]
    if writing:
        names = ", ".join(writing)
        dialog.show_error(BackupError(f"Wait for {names} to finish, then restore."))
        return
    window.controller.close_project()
    dialog.set_running(True)

    def finished() -> None:
        window.open_project(project)
        dialog.set_running(False)
        _refresh(window, dialog)

    job = one_shot(partial(restore_backup, backup, project))
    worker = window.jobs.start(
        "Restoring", job, dialog.show_restored, dialog.show_error, on_finished=finished
    )
    dialog.cancel_requested.connect(worker.cancel)


def backup_on_open(window: Any, project: Path) -> None:
    """The day's backup of a project just opened, quietly in a job; only a failure is shown.

    An hourly check then makes the next day's backup while the window stays open (and one
    skipped because another backup was still running).
    """
    if window.findChild(QTimer, "daily_backup") is None:
        timer = QTimer(window)
        timer.setObjectName("daily_backup")
        timer.setInterval(CHECK_EVERY_MS)
        timer.timeout.connect(lambda: _backup_open_project(window))
        timer.start()
    if "backup" in window.jobs.running_names():
        return

    def failed(exc: Exception) -> None:
        window.statusBar().showMessage(f"Could not back up {project.name}: {exc}", 10000)

    window.jobs.start("backup", one_shot(partial(backup_if_due, project)), None, failed, True)


def _backup_open_project(window: Any) -> None:
    if window.controller.path is not None:
        backup_on_open(window, Path(window.controller.path))
