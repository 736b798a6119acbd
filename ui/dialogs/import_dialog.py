"""Import data files: preview the first records, see the shape found and what the import
will do, map fields, choose the project's schema, what happens to bad records and where images
may come from: everything the command line import offers.

The dialog only gathers the user's intent: ``import_requested(options)`` carries the
``ImportOptions`` the import workflow takes. The window runs ``ui.jobs.import_job`` with them
in a worker and reports back through ``set_progress``, ``show_result`` and ``show_error``;
Cancel while running emits ``cancel_requested``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labeler.workflows.importing import ImportOptions
from ui.dialogs.import_paths_form import ImportPathsForm
from ui.dialogs.job_dialog import JobDialog, error_html
from ui.dialogs.schema_form import SchemaForm
from ui.jobs import JobError, Preview, preview_records
from ui.panels.table_model import RowsModel
from ui.plain import plain_label

AUTO = "(automatic)"
# Every name the importer understands, most used first; it recognises common shapes alone.
TARGETS = ("prompt", "messages", "response_a", "response_b", "responses", "chosen", "rejected",
           "completion", "label", "instruction", "input", "models", "model_a", "model_b",
           "scores", "ranks", "winner", "images")  # fmt: skip
CELL_CHARS = 80
PREVIEW_COLUMNS = 12


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


class ImportDialog(JobDialog):
    import_requested = Signal(object)  # ImportOptions

    def __init__(
        self,
        paths: Sequence[Path],
        parent: QWidget | None = None,
        *,
        project: Path | None = None,
        preview: Callable[[Path], Preview] = preview_records,
    ) -> None:
        """``project``: the project imported into, to show where skipped records go."""
        super().__init__(parent)
        self.setWindowTitle("Import data")
        self.paths = [Path(p) for p in paths]
        self._preview_fn = preview
        self.preview: Preview | None = None

        self.file_combo = QComboBox()
        self.file_combo.addItems([p.name for p in self.paths])
        self.file_combo.currentIndexChanged.connect(self._load_preview)
        self.preview_model = RowsModel([])
        self.preview_view = QTableView()
        self.preview_view.setModel(self.preview_model)
        self.preview_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_view.setWordWrap(False)
        self.preview_label = plain_label()

        self.map_combos: dict[str, QComboBox] = {}
        self.detected_label = QLabel()
        self.detected_label.setWordWrap(True)
        mapping_box = QGroupBox("Leave automatic for common formats")
        form = QFormLayout(mapping_box)
        for target in TARGETS:
            combo = QComboBox()
            combo.setEditable(True)  # "responses" may gather several fields: a, b, c
            combo.setToolTip("A field of the file, or several separated by commas")
            combo.currentTextChanged.connect(self._update_detected)
            self.map_combos[target] = combo
            form.addRow(target, combo)
        self.annotator_edit = QLineEdit()
        self.annotator_edit.setPlaceholderText(
            "fields holding per-annotator verdicts, e.g. a1, a2"
        )
        self.annotator_edit.editingFinished.connect(self._update_detected)
        form.addRow("annotator verdicts", self.annotator_edit)
        self.scores_check = QCheckBox("Per-response scores are the labels (a ranking)")
        self.scores_check.toggled.connect(self._update_detected)
        form.addRow("", self.scores_check)
        mapping_scroll = QScrollArea()
        mapping_scroll.setWidgetResizable(True)
        mapping_scroll.setWidget(mapping_box)
        self.schema_form = SchemaForm()
        self.tabs = QTabWidget()
        self.tabs.addTab(mapping_scroll, "Field mapping")
        self.tabs.addTab(self.schema_form, "Labelling")
        self.paths_form = ImportPathsForm(self.paths, project)
        self.tabs.addTab(self.paths_form, "Bad records and images")

        self.import_button = QPushButton("&Import")
        self.import_button.setDefault(True)
        self.buttons = QDialogButtonBox()
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.import_button.clicked.connect(self._on_import_clicked)

        top = QHBoxLayout()
        top.addWidget(QLabel("Preview of"))
        top.addWidget(self.file_combo, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.preview_view, 2)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.detected_label)
        layout.addWidget(self.tabs, 3)
        layout.addWidget(self.error_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.resize(860, 600)
        self._load_preview()

    # ---- intent --------------------------------------------------------------------------

    def mapping(self) -> Any:
        """The FieldMapping the user chose (None when everything is automatic).

        Raises ValueError, in words, when a choice cannot work (unknown field, bad list).
        """
        from labeler.importers import parse_map_options

        options = []
        for target, combo in self.map_combos.items():
            text = combo.currentText().strip()
            if text and text != AUTO:
                options.append(f"{target}={text}")
        annotators = [a.strip() for a in self.annotator_edit.text().split(",") if a.strip()]
        known = set(self.preview.fields) if self.preview and self.preview.records else None
        if known is not None:
            for option in options:
                for name in option.split("=", 1)[1].split(","):
                    if name.strip() not in known:
                        raise ValueError(f"The file has no field “{name.strip()}”.")
            for name in annotators:
                if name not in known:
                    raise ValueError(f"The file has no field “{name}”.")
        if not options and not annotators and not self.scores_check.isChecked():
            return None
        return parse_map_options(options, annotators, self.scores_check.isChecked())

    def options(self) -> ImportOptions:
        """Everything chosen, as the import workflow takes it; ValueError in words when a
        choice cannot work."""
        return ImportOptions(
            files=tuple(self.paths), mapping=self.mapping(), skip_bad=self.paths_form.skip_bad(),
            rejects=self.paths_form.rejects(), source_name=self.schema_form.source_name(),
            schema=self.schema_form.schema(), image_folders=self.paths_form.image_folders(),
        )  # fmt: skip

    # ---- controller feedback -------------------------------------------------------------

    def set_running(self, running: bool) -> None:
        self.import_button.setEnabled(not running)
        self._show_running(running, "Importing…")

    def show_result(self, report: Any) -> None:
        self.set_running(False)
        summary = getattr(report, "summary", None)
        self.status_label.setText(summary() if callable(summary) else "Import finished.")
        self.import_button.setEnabled(False)
        self.cancel_button.setText("Close")

    def show_error(self, error: BaseException) -> None:
        self.set_running(False)
        self.status_label.setText("Nothing was imported: the project is as it was before.")
        self.error_label.setText(error_html(error))

    def show_cancelled(self) -> None:
        self.set_running(False)
        self.status_label.setText("Import cancelled: nothing was imported.")

    # ---- internals -----------------------------------------------------------------------

    def _on_import_clicked(self) -> None:
        try:
            options = self.options()
        except ValueError as exc:
            self.error_label.setText(error_html(JobError(str(exc))))
            return
        self.error_label.clear()
        self.import_requested.emit(options)

    def _load_preview(self) -> None:
        if not self.paths:
            return
        preview = self._preview_fn(self.paths[max(0, self.file_combo.currentIndex())])
        self.preview = preview
        columns = preview.fields[:PREVIEW_COLUMNS]
        self.preview_model = RowsModel(columns)
        self.preview_model.set_rows(
            [[_cell(r.get(c, "")) for c in columns] for r in preview.records]
        )
        self.preview_view.setModel(self.preview_model)
        self.preview_view.resizeColumnsToContents()
        for column in range(len(columns)):
            width = self.preview_view.columnWidth(column)
            self.preview_view.setColumnWidth(column, min(max(width, 120), 320))
        hidden = len(preview.fields) - len(columns)
        note = f"First {len(preview.records)} records"
        if hidden > 0:
            note += f"; {hidden} more fields not shown"
        self.preview_label.setText(note + ".")
        for combo in self.map_combos.values():
            current = combo.currentText()
            combo.clear()
            combo.addItems([AUTO, *preview.fields])
            combo.setCurrentText(current or AUTO)
        if not self.annotator_edit.text():
            guesses = [f for f in preview.fields if f.lower().startswith("annotator")]
            self.annotator_edit.setText(", ".join(guesses))
        self.error_label.setText(error_html(preview.error) if preview.error else "")
        self._update_detected()
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.preview_view.setFont(mono)

    def _update_detected(self) -> None:
        """The shape found and what the import will do, under the current mapping."""
        from labeler.importers import ImportFailed, RecordError
        from labeler.importers.detect import detect

        preview = self.preview
        if preview is None or preview.error is not None:
            self.detected_label.setText("")
            return
        try:
            mapping = self.mapping()
            found = detect(preview.path, preview.records, mapping, preview.complete)
        except (ImportFailed, RecordError, ValueError, OSError) as exc:
            where = f"{exc.field}: " if isinstance(exc, RecordError) and exc.field else ""
            reason = exc.reason if isinstance(exc, RecordError) else str(exc)
            text = f"<b>Not recognised yet:</b> {html.escape(where + reason)}"
            self.detected_label.setText(text + " — map the fields below.")
            return
        self.detected_label.setText(f"<b>{html.escape(found.summary().capitalize())}.</b>")
