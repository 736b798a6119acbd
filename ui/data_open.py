"""Opening a data file where a project was expected (Open…, a recent entry): offer to import
it, into the open project or into a new project beside it, rather than failing."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from ui import dialog_wiring

if TYPE_CHECKING:
    from ui.main_window import MainWindow

PROJECT_SUFFIXES = (".db", ".sqlite")
DATA_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".pq")


def is_data_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(DATA_SUFFIXES)


def offer_import(window: MainWindow, path: Path) -> QMessageBox:
    """Ask whether to import ``path``: into the open project, or a new one named after it."""
    box = QMessageBox(window)
    box.setObjectName("offer_import_box")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Import data?")
    project = window.controller.path
    box.setText(f"{path.name} is a data file, not a project. Import it?")
    into_open = None
    if project is not None:
        into_open = box.addButton(f"Import into {project.name}", QMessageBox.ButtonRole.AcceptRole)
        into_open.clicked.connect(lambda: dialog_wiring.open_import(window, [path]))
    into_new = box.addButton("Import into a new project…", QMessageBox.ButtonRole.ActionRole)
    into_new.clicked.connect(partial(import_into_new, window, path))
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(into_open or into_new)
    box.open()
    return box


def import_into_new(window: MainWindow, path: Path) -> None:
    """Create a project (named after the data file, where the person chooses) and import."""
    suggested = str(path.with_name(path.name.split(".")[0] + ".db"))
    name, _ = QFileDialog.getSaveFileName(
        window, "New project", suggested, "prefmark project (*.db *.sqlite)"
    )
    if name and window.open_project(Path(name), create=True):
        dialog_wiring.open_import(window, [path])
