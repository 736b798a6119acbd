"""Ask before exporting model-made labels whose estimated accuracy is low or unknown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils
from PySide6.QtWidgets import QMessageBox, QWidget

from labeler.export_check import check_model_labels


def confirm_export(
    parent: QWidget, db: sqlite_utils.Database, options: Any, go: Callable[[], None]
) -> QMessageBox | None:
    """Run ``go`` at once, or after the person confirms, showing the estimate (returns the box)."""
    source = getattr(getattr(options, "source", None), "value", None)
    check = check_model_labels(db, str(source)) if source else None
    if check is None or not check.needs_confirmation:
        go()
        return None
    box = QMessageBox(
        QMessageBox.Icon.Warning, "Export model labels?", check.explain(), parent=parent
    )
    box.setObjectName("export_check_box")
    anyway = box.addButton("Export anyway", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)

    def answered(_result: int) -> None:
        if box.clickedButton() is anyway:
            go()

    box.finished.connect(answered)
    box.open()
    return box
