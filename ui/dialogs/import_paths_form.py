"""Where an import may read and write besides the data: the file skipped bad records go to,
and the folders images named by the data may come from.

Both start at the import workflow's own defaults (the rejects file beside the project, each
data file's folder), shown as they are, so leaving them alone imports exactly as the defaults
would.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labeler.workflows.importing import default_image_folders, default_rejects_path
from ui.plain import plain_label

REJECTS_FILTER = "JSON Lines (*.jsonl);;All files (*)"


class ImportPathsForm(QWidget):
    """In: the data files and the project. Out: ``skip_bad()``, ``rejects()``,
    ``image_folders()`` as the import workflow takes them."""

    def __init__(
        self, files: Sequence[Path], project: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._default_folders = default_image_folders(tuple(files))
        self._default_rejects = default_rejects_path(project) if project is not None else None

        self.skip_check = QCheckBox("Skip bad records instead of stopping the import")
        self.skip_check.setToolTip(
            "Without this, one bad record stops the import and nothing is imported"
        )
        self.rejects_edit = QLineEdit()
        if self._default_rejects is not None:
            self.rejects_edit.setText(str(self._default_rejects))
        else:
            self.rejects_edit.setPlaceholderText("beside the project")
        self.rejects_edit.setToolTip("Each skipped record is written here with its reason")
        self.rejects_browse = QPushButton("Browse…")
        self.rejects_browse.clicked.connect(self._browse_rejects)
        rejects_row = QHBoxLayout()
        rejects_row.addWidget(self.rejects_edit, 1)
        rejects_row.addWidget(self.rejects_browse)

        self.folder_list = QListWidget()
        self.folder_list.addItems([str(f) for f in self._default_folders])
        self.folder_list.setMaximumHeight(90)
        self.add_folder_button = QPushButton("Add folder…")
        self.add_folder_button.clicked.connect(self._add_folder)
        self.remove_folder_button = QPushButton("Remove")
        self.remove_folder_button.clicked.connect(self._remove_folder)
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(self.add_folder_button)
        folder_buttons.addWidget(self.remove_folder_button)
        folder_buttons.addStretch(1)
        images_note = plain_label(
            "An image path in the data must lie in one of these folders; any other is refused. "
            "The data file's own folder is listed to start with."
        )
        images_note.setWordWrap(True)
        images = QVBoxLayout()
        images.addWidget(self.folder_list)
        images.addLayout(folder_buttons)
        images.addWidget(images_note)

        form = QFormLayout(self)
        form.addRow("Bad records", self.skip_check)
        form.addRow("Save skipped records to", rejects_row)
        form.addRow("Images may come from", images)
        self.skip_check.toggled.connect(self._update_enabled)
        self.folder_list.itemSelectionChanged.connect(self._update_enabled)
        self._update_enabled()

    # ---- the user's choice, as the workflow takes it ---------------------------------------

    def skip_bad(self) -> bool:
        return self.skip_check.isChecked()

    def rejects(self) -> Path | None:
        """The rejects file (None: the workflow's default, or nothing to skip)."""
        text = self.rejects_edit.text().strip()
        if not self.skip_bad() or not text:
            return None
        return Path(text).expanduser()

    def folders(self) -> tuple[Path, ...]:
        items = (self.folder_list.item(i) for i in range(self.folder_list.count()))
        return tuple(Path(item.text()) for item in items)

    def image_folders(self) -> tuple[Path, ...]:
        """The folders chosen; () when they are the default, so the default rule applies."""
        folders = self.folders()
        return () if folders == self._default_folders else folders

    # ---- internals -----------------------------------------------------------------------

    def _browse_rejects(self) -> None:
        start = self.rejects_edit.text().strip() or str(self._default_rejects or "")
        path, _ = QFileDialog.getSaveFileName(self, "Save skipped records to", start,
                                              REJECTS_FILTER)  # fmt: skip
        if path:
            self.rejects_edit.setText(path)

    def _add_folder(self) -> None:
        start = str(self._default_folders[0]) if self._default_folders else ""
        folder = QFileDialog.getExistingDirectory(self, "Allow images from", start)
        if folder and folder not in {str(f) for f in self.folders()}:
            self.folder_list.addItem(folder)
        self._update_enabled()

    def _remove_folder(self) -> None:
        for item in self.folder_list.selectedItems():
            self.folder_list.takeItem(self.folder_list.row(item))
        self._update_enabled()

    def _update_enabled(self) -> None:
        skip = self.skip_bad()
        self.rejects_edit.setEnabled(skip)
        self.rejects_browse.setEnabled(skip)
        # one folder always stays: the workflow reads an empty list as "the default"
        self.remove_folder_button.setEnabled(
            bool(self.folder_list.selectedItems()) and self.folder_list.count() > 1
        )
