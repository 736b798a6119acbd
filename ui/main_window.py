"""The project window: composition only. Sidebar (project, annotator, queues with live
counts), the item page in the centre, side panels, menus from ``ui.actions``, and a status bar
with progress and cancel for background jobs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QListWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labeler.db import ProjectFileError
from labeler.store.routes import QueueCounts
from labeler.types import Route
from ui import data_open, dialog_wiring, model_actions, panel_wiring, window_state
from ui.actions import ACTIONS, GROUPS, ShortcutsDialog, build_actions
from ui.browser.wiring import open_browser
from ui.controller import Controller
from ui.dialogs.backups_dialog import backup_on_open, open_backups
from ui.dialogs.conflicts_dialog import open_conflicts
from ui.dialogs.team_dialogs import open_adjudication, open_merge
from ui.job_status import JobStatus
from ui.name_field import NameField
from ui.plain import plain_label
from ui.theme import apply_theme, next_mode
from ui.views.item_page import ItemPage
from ui.views.rationale import RationaleDialog
from ui.workers import JobRunner

PROJECT_FILTER = (
    "prefmark project (*.db *.sqlite);;"
    "Data to import (*.jsonl *.ndjson *.json *.csv *.tsv *.parquet *.gz);;All files (*)"
)
DATA_FILTER = "Data files (*.jsonl *.json *.csv *.parquet *.gz);;All files (*)"
MAX_RECENT = 8
# Alt+letter opens each menu, so every action is reachable from the keyboard.
MENU_TITLES = {"Project": "&Project", "Label": "&Label", "Listwise": "L&istwise",
               "Item": "I&tem", "Model": "&Model", "View": "&View", "Help": "&Help"}  # fmt: skip
QUEUE_ROWS = (("to_label", "To label"), ("to_review", "To review"), ("done", "Done"),
              ("skipped", "Skipped"), ("flagged", "Flagged"))  # fmt: skip


@dataclass
class AppConfig:
    settings: QSettings
    theme: str = "system"


class MainWindow(QMainWindow):
    def __init__(self, config: AppConfig) -> None:
        super().__init__()
        self.config = config
        self.settings = config.settings
        self.setWindowTitle("prefmark")
        self.setAcceptDrops(True)
        self.jobs = JobRunner(parent=self)
        self.page = ItemPage()
        self.setCentralWidget(self.page)
        self.controller = Controller(self.page, self.jobs, self)
        self.actions_by_id = build_actions(self, self._on_action)
        self._build_sidebar()
        self._build_menus()
        self._build_status_bar()
        self.panels = panel_wiring.add_panels(self)
        window_state.add_dock_toggles(self, self.menus["View"])
        model_actions.register_job_controls(self)
        c = self.controller
        c.counts_changed.connect(self._update_counts)
        c.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        c.problem.connect(self._show_problem)
        c.rationale_requested.connect(self._edit_rationale)
        self.annotator.setText(str(self.settings.value("annotator", "")))
        self.controller.set_annotator(self.annotator.text())
        if not self.annotator.text():  # first run: the name is the first thing to type
            self.annotator.setFocus()

    # ---- composition ---------------------------------------------------------------------
    def _build_sidebar(self) -> None:
        side = QWidget()
        layout = QVBoxLayout(side)
        self.project_label = plain_label("No project open")
        self.project_label.setWordWrap(True)
        self.annotator = NameField()
        self.annotator.editingFinished.connect(self._annotator_changed)
        self.annotator.returnPressed.connect(lambda: self.page.setFocus())  # keys label next
        self.queues = QListWidget()
        self.queues.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for _key, text in QUEUE_ROWS:
            self.queues.addItem(f"{text}: –")
        self.queues.setCurrentRow(0)
        self.queues.setMaximumHeight(110)
        self.queues.setWordWrap(True)  # "Done: 143,210 (98,000 by the model)" in a narrow bar
        self.queues.currentRowChanged.connect(self._queue_clicked)
        open_button = QPushButton("Open project…")
        open_button.clicked.connect(self.open_project_dialog)
        new_button = QPushButton("New project…")
        new_button.clicked.connect(self.new_project_dialog)
        for widget in (QLabel("<b>Project</b>"), self.project_label, open_button, new_button,
                       QLabel("<b>Annotator</b>"), self.annotator, QLabel("<b>Queues</b>"),
                       self.queues):  # fmt: skip
            layout.addWidget(widget)
        hint = QLabel("Drop a data file here to import it. Press ? for all shortcuts.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addStretch(1)
        side.setFixedWidth(220)
        dock = QDockWidget("Project", self)
        dock.setObjectName("sidebar")
        dock.setWidget(side)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

    def _build_menus(self) -> None:
        menus = {group: self.menuBar().addMenu(MENU_TITLES[group]) for group in GROUPS}
        self.menus = menus
        for spec in ACTIONS:
            if spec.id in self.actions_by_id:
                menus[spec.group].addAction(self.actions_by_id[spec.id])
        self.recent_menu = QMenu("Recent projects", self)
        menus["Project"].insertMenu(self.actions_by_id["import_files"], self.recent_menu)
        self._update_recent_menu()

    def _build_status_bar(self) -> None:
        self.job_status = JobStatus(self.jobs, self.statusBar())
        self.progress = self.job_status.progress
        self.cancel_button = self.job_status.cancel_button

    # ---- actions -------------------------------------------------------------------------
    def _on_action(self, action_id: str) -> None:
        window_actions = {
            "new_project": self.new_project_dialog,
            "open_project": self.open_project_dialog,
            "import_files": self.import_dialog,
            "export": lambda: dialog_wiring.open_export(self),
            "restore_backup": lambda: open_backups(self),
            "conflicts": lambda: open_conflicts(self),
            "merge": lambda: open_merge(self),
            "adjudicate": lambda: open_adjudication(self),
            "about": lambda: dialog_wiring.open_about(self),
            "annotator": self.annotator.setFocus,
            "queue_label": lambda: self.queues.setCurrentRow(0),
            "queue_review": lambda: self.queues.setCurrentRow(1),
            "browse": lambda: open_browser(self),
            "cancel_job": self.jobs.cancel,
            "quit": self.close,
            "theme": self._cycle_theme,
            "help": self.show_shortcuts,
        }
        if action_id in window_actions:
            window_actions[action_id]()
        elif not model_actions.handle(self, action_id):
            self.controller.handle(action_id)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self)
        dialog.open()
        return dialog

    def _cycle_theme(self) -> None:
        self.config.theme = next_mode(self.config.theme)
        scheme = apply_theme(QApplication.instance(), self.config.theme)  # type: ignore[arg-type]
        self.settings.setValue("theme", self.config.theme)
        self.statusBar().showMessage(f"Theme: {self.config.theme} ({scheme})", 3000)
        self.controller.show_current()

    def _show_problem(self, text: str) -> None:
        """A decision that was not saved: said in a box the person has to close."""
        self.statusBar().showMessage(text)
        box = QMessageBox(QMessageBox.Icon.Warning, "Not saved", text, parent=self)
        box.setObjectName("problem_box")
        box.open()

    def _edit_rationale(self, text: str) -> None:
        dialog = RationaleDialog(text, self)
        dialog.rationale_written.connect(self.controller.set_rationale)
        dialog.open()

    def _annotator_changed(self) -> None:
        name = self.annotator.text().strip()
        if name != self.controller.annotator:
            self.settings.setValue("annotator", name)
            self.controller.set_annotator(name)

    def _queue_clicked(self, row: int) -> None:
        if row in (0, 1):
            self.controller.set_queue(Route.HUMAN if row == 0 else Route.REVIEW)
        elif row > 1:  # Done, Skipped, Flagged: their lists; the queue being labelled stays
            self.queues.blockSignals(True)
            self.queues.setCurrentRow(0 if self.controller.queue is Route.HUMAN else 1)
            self.queues.blockSignals(False)
            open_browser(self, QUEUE_ROWS[row][0])

    # ---- projects ------------------------------------------------------------------------
    def open_project(self, path: Path, create: bool = False) -> bool:
        try:
            self.controller.open_project(path, create=create)
        except (ProjectFileError, OSError) as exc:
            self.statusBar().showMessage(f"Cannot open {path.name}: {exc}", 8000)
            return False
        self.project_label.setText(str(path))
        self.jobs.project = path
        self.setWindowTitle(f"{path.name} – prefmark")
        recent = [p for p in self.recent_projects() if p != str(path)]
        self.settings.setValue("recent", [str(path), *recent][:MAX_RECENT])
        self._update_recent_menu()
        panel_wiring.project_opened(self)
        backup_on_open(self, path)
        return True

    def recent_projects(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_projects():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(partial(self.open_project, Path(path)))
        self.recent_menu.setEnabled(bool(self.recent_projects()))

    def open_project_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open project", "", PROJECT_FILTER)
        if name and data_open.is_data_file(Path(name)):
            data_open.offer_import(self, Path(name))
        elif name:
            self.open_project(Path(name))

    def new_project_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "New project", "project.db", PROJECT_FILTER)
        if name:
            self.open_project(Path(name), create=True)

    def import_dialog(self) -> None:
        """Choose files, then preview them and map fields in the import dialog."""
        if self.controller.path is None:
            self.statusBar().showMessage("Open or create a project before importing.", 6000)
            return
        names, _ = QFileDialog.getOpenFileNames(self, "Import data", "", DATA_FILTER)
        dialog_wiring.open_import(self, [Path(n) for n in names])

    def import_files(self, paths: list[Path]) -> None:
        """Import dropped files in a worker; the queue and counts refresh when it is done."""
        if self.controller.path is None:
            self.statusBar().showMessage("Open or create a project before importing.", 6000)
            return
        dialog_wiring.start_import(self, paths)

    # ---- drag and drop -------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        projects = [p for p in paths if p.suffix in (".db", ".sqlite")]
        if projects:
            self.open_project(projects[0])
        else:
            self.import_files(paths)
        event.acceptProposedAction()

    # ---- status --------------------------------------------------------------------------
    def _update_counts(self, counts: QueueCounts) -> None:
        for row, (key, text) in enumerate(QUEUE_ROWS):
            value = f"{getattr(counts, key):,}"
            if key == "done" and counts.done_by_model:  # as the record browser lists them
                value += f" ({counts.done_by_model:,} by the model)"
            self.queues.item(row).setText(f"{text}: {value}")

    def closeEvent(self, event: QCloseEvent) -> None:
        window_state.save(self, self.settings)
        self.jobs.shutdown()
        self.controller.close_project()
        super().closeEvent(event)
