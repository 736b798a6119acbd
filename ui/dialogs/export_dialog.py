"""Export the labels: format, variant and filters (the exporters' own options), output folder.

``export_requested(out_dir, options)`` goes to the controller, which runs
``ui.jobs.export_job`` in a worker and reports back with ``set_progress``, ``show_result`` and
``show_error``; Cancel while running emits ``cancel_requested``.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs.job_dialog import JobDialog, error_html
from ui.dialogs.options_form import OptionsForm
from ui.jobs import JobError

HIDDEN = ("chunk_size", "workers", "command")  # tuning and provenance, not a person's choices
LABELS = {
    "target": "Format",
    "variant": "Variant",
    "source": "Label source",
    "annotators": "Only annotators",
    "routes": "Only routes",
    "tags": "Only tags",
    "min_confidence": "Min. model confidence",
    "conflicts": "Conflicting human labels",
    "pairs": "Ranking to pairs",
    "test_size": "Test split",
    "bare": "Bare columns (no provenance)",
    "parquet": "Parquet instead of JSONL",
    "kto_require_support": "KTO: winners need support",
    "margin": "Reward margin column",
}


def _exporters() -> Any | None:
    try:
        return importlib.import_module("labeler.exporters")
    except ImportError:
        return None


def default_export_options() -> Any | None:
    """The exporters' default options, or None when this build has no exporters."""
    module = _exporters()
    try:
        # workers=None: big exports use two processes (the app's entry points are guarded)
        return module.ExportOptions(workers=None) if module is not None else None
    except (AttributeError, TypeError):
        return None


def format_choices() -> list[tuple[str, str]]:
    """(name, description) of every export format the exporters know."""
    module = _exporters()
    targets = getattr(module, "TARGETS", {}) if module is not None else {}
    return [(name, f"{name}: {getattr(t, 'title', '') or name}") for name, t in targets.items()]


class ExportDialog(JobDialog):
    export_requested = Signal(object, object)  # Path, options

    def __init__(
        self,
        options: Any | None = None,
        default_dir: Path | None = None,
        parent: QWidget | None = None,
        *,
        project_path: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export data set")
        self.project_path = project_path
        options = options if options is not None else default_export_options()
        formats = format_choices()
        self.form = (
            OptionsForm(
                options,
                choices={"target": formats} if formats else None,
                hidden=HIDDEN,
                labels=LABELS,
            )
            if options is not None
            else None
        )

        self.folder_edit = QLineEdit(str(default_dir) if default_dir else "")
        self.folder_edit.setPlaceholderText("an empty or new folder")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(QLabel("Output folder"))
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)

        self.export_button = QPushButton("&Export")
        self.export_button.setDefault(True)
        buttons = QDialogButtonBox()
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.export_button.clicked.connect(self._on_export_clicked)

        layout = QVBoxLayout(self)
        if self.form is not None:
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(self.form)
            layout.addWidget(QLabel("<b>Format and filters</b>"))
            layout.addWidget(scroll, 1)
        else:
            self.export_button.setEnabled(False)
            self.error_label.setText("Exporting is not available in this version of prefmark.")
        layout.addLayout(folder_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(640, 620)

    # ---- controller feedback -------------------------------------------------------------

    def set_running(self, running: bool) -> None:
        self.export_button.setEnabled(not running and self.form is not None)
        self._show_running(running, "Exporting…")

    def show_result(self, report: Any) -> None:
        self.set_running(False)
        summary = getattr(report, "summary", None)
        text = summary() if callable(summary) else f"Exported to {self.folder_edit.text()}."
        self.status_label.setText(text)
        self.cancel_button.setText("Close")

    def show_error(self, error: BaseException) -> None:
        self.set_running(False)
        self.status_label.clear()
        self.error_label.setText(error_html(error))

    def show_cancelled(self) -> None:
        self.set_running(False)
        self.status_label.setText("Export cancelled.")

    # ---- internals -----------------------------------------------------------------------

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Export into folder", self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)

    def _on_export_clicked(self) -> None:
        if self.form is None:
            return
        text = self.folder_edit.text().strip()
        if not text:
            self.error_label.setText(error_html(JobError("Choose an output folder first.")))
            return
        try:
            options = self.form.value()
            command_line = getattr(options, "command_line", None)
            if self.project_path is not None and callable(command_line):
                # The dataset card records the command that reproduces this export.
                command = command_line(str(self.project_path), text)
                options = dataclasses.replace(options, command=command)
        except (TypeError, ValueError) as exc:
            self.error_label.setText(error_html(JobError(f"These options do not work: {exc}")))
            return
        self.error_label.clear()
        self.export_requested.emit(Path(text).expanduser(), options)
