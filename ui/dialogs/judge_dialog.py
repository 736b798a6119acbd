"""Import an AI judge's verdicts: the file, how a verdict finds its item, what each verdict
means, and whether the judge saw the responses swapped.

The dialog gathers ``labeler.workflows.routing.JudgeOptions``; the window runs the import
workflow in a worker and reports back through ``set_progress``/``show_result``/``show_error``.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labeler.judges import DEFAULT_MAP, JudgeFileError, parse_map, read_records
from labeler.workflows.routing import JudgeOptions
from ui.dialogs.job_dialog import JobDialog, error_html
from ui.jobs import JobError

JUDGE_FILTER = "Judge verdicts (*.json *.jsonl);;All files (*)"
KEY_GUESSES = ("idx", "id", "question_id", "uid", "key")
VERDICT_GUESSES = ("gpt_result", "verdict", "winner", "result", "judgement", "preference")


def default_map_text() -> str:
    return ", ".join(f"{k}={v}" for k, v in DEFAULT_MAP.items())


class JudgeDialog(JobDialog):
    judge_requested = Signal(object)  # JudgeOptions

    def __init__(self, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import judge verdicts")
        self.fields: list[str] = []
        self.file_edit = QLineEdit(str(path) if path else "")
        self.file_edit.setPlaceholderText("A JSON or JSONL file with one verdict per item")
        self.file_edit.editingFinished.connect(self._load_fields)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(browse)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("The judge's name, e.g. gpt-4o")
        self.key_combo = QComboBox()
        self.key_combo.setEditable(True)
        self.key_combo.setToolTip("The field of each verdict that is the same field of its item")
        self.verdict_combo = QComboBox()
        self.verdict_combo.setEditable(True)
        self.map_edit = QLineEdit(default_map_text())
        self.map_edit.setToolTip(
            "What each verdict means: VERDICT=first, second, tie, both_bad or skip, "
            "separated by commas (case does not matter)"
        )
        self.swapped_check = QCheckBox("The judge saw the two responses in swapped order")
        self.fields_label = QLabel()
        self.fields_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("File", file_row)
        form.addRow("", self.fields_label)
        form.addRow("Judge name", self.name_edit)
        form.addRow("Item key field", self.key_combo)
        form.addRow("Verdict field", self.verdict_combo)
        form.addRow("Verdict meanings", self.map_edit)
        form.addRow("", self.swapped_check)

        self.import_button = QPushButton("&Import verdicts")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self._on_import_clicked)
        buttons = QDialogButtonBox()
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(620, 360)
        if path is not None:
            self._load_fields()

    # ---- intent --------------------------------------------------------------------------

    def options(self) -> JudgeOptions:
        """The chosen options; ValueError, in words, when one cannot work."""
        path = Path(self.file_edit.text().strip())
        if not self.file_edit.text().strip() or not path.is_file():
            raise ValueError("Choose the file that holds the judge's verdicts.")
        name = self.name_edit.text().strip()
        if not name:
            raise ValueError("Give the judge a name: its verdicts are stored under it.")
        key = self.key_combo.currentText().strip()
        verdict = self.verdict_combo.currentText().strip()
        for what, field in (("key", key), ("verdict", verdict)):
            if not field:
                raise ValueError(f"Choose the {what} field.")
            if self.fields and field not in self.fields:
                raise ValueError(f"The file has no field “{field}”.")
        try:
            mapping = parse_map(self.map_edit.text().strip() or None)
        except JudgeFileError as exc:
            raise ValueError(str(exc)) from exc
        return JudgeOptions(path, name, key, verdict, mapping, self.swapped_check.isChecked())

    # ---- window feedback -----------------------------------------------------------------

    def set_running(self, running: bool) -> None:
        self.import_button.setEnabled(not running)
        self._show_running(running, "Importing verdicts…")

    def show_result(self, report: Any) -> None:
        self.set_running(False)
        self.status_label.setText(report.summary().capitalize() + ".")
        self.import_button.setEnabled(False)
        self.cancel_button.setText("Close")

    def show_error(self, error: BaseException) -> None:
        self.set_running(False)
        self.status_label.setText("No verdict was imported: the project is as it was before.")
        self.error_label.setText(error_html(error))

    def show_cancelled(self) -> None:
        self.set_running(False)
        self.status_label.setText("Cancelled: no verdict was imported.")

    # ---- internals -----------------------------------------------------------------------

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Judge verdicts", "", JUDGE_FILTER)
        if name:
            self.file_edit.setText(name)
            self._load_fields()

    def _load_fields(self) -> None:
        path = Path(self.file_edit.text().strip())
        if not path.is_file():
            return
        try:
            first = [r for _n, r in itertools.islice(read_records(path), 1)]
        except (JudgeFileError, OSError, ValueError) as exc:
            self.error_label.setText(error_html(JobError(f"{path.name}: {exc}")))
            return
        self.error_label.clear()
        self.fields = list(first[0]) if first and isinstance(first[0], dict) else []
        self.fields_label.setText("Fields: " + ", ".join(self.fields) if self.fields else "")
        guessing = ((self.key_combo, KEY_GUESSES), (self.verdict_combo, VERDICT_GUESSES))
        for combo, guesses in guessing:
            combo.clear()
            combo.addItems(self.fields)
            guess = next((g for g in guesses if g in self.fields), None)
            if guess is not None:
                combo.setCurrentText(guess)
        if not self.name_edit.text():
            self.name_edit.setText(path.stem)

    def _on_import_clicked(self) -> None:
        try:
            options = self.options()
        except ValueError as exc:
            self.error_label.setText(error_html(JobError(str(exc))))
            return
        self.error_label.clear()
        self.judge_requested.emit(options)
