"""The window backs a project up when it opens it, and Restore from backup… brings one back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from labeler.backups import BEFORE_RESTORE, backup_project, list_backups
from labeler.db import connect, open_db, transaction
from labeler.store import record_label
from labeler.store.items import iter_items
from labeler.types import Label, PairChoice, PairwiseValue, Source
from tests.ui.ui_helpers import make_project, pair_items
from ui.dialogs.backups_dialog import BackupsDialog

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFMARK_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Five items, three of them labelled."""
    path = make_project(tmp_path / "p.db", pair_items(5))
    db = open_db(path)
    for item in list(iter_items(db))[:3]:
        record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "ana"))
    db.conn.close()
    return path


def label_count(path: Path) -> int:
    conn = connect(path, create=False)
    try:
        return int(conn.execute("SELECT count(*) FROM labels").fetchone()[0])
    finally:
        conn.close()


def wait_for_jobs(qtbot, window, *names: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not set(names) & set(window.jobs.running_names()), timeout=20000)


def test_opening_a_project_makes_one_backup_a_day(qtbot, window_factory, project) -> None:  # type: ignore[no-untyped-def]
    window = window_factory(project)
    wait_for_jobs(qtbot, window, "backup")
    assert [(b.items, b.labels) for b in list_backups(project)] == [(5, 3)]
    assert window.open_project(project)  # opened again the same day: no second backup
    wait_for_jobs(qtbot, window, "backup")
    (made,) = list_backups(project)
    made.path.unlink()  # as if it were from yesterday: the hourly check makes today's
    window.findChild(QTimer, "daily_backup").timeout.emit()
    qtbot.waitUntil(lambda: len(list_backups(project)) == 1, timeout=20000)


def test_restore_dialog_lists_backups_and_restores_the_chosen_one(
    qtbot, window_factory, project, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    backup_project(project, now=datetime.now(UTC) - timedelta(days=2))
    window = window_factory(project)
    wait_for_jobs(qtbot, window, "backup")
    conn = connect(project, create=False)  # a mistake to undo: every label deleted
    with transaction(conn):
        conn.execute("DELETE FROM labels")
    conn.close()

    window.actions_by_id["restore_backup"].trigger()
    dialog = window.findChild(BackupsDialog)
    assert dialog is not None
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=20000)
    cells = [[dialog.table.item(r, c).text() for c in (1, 2)] for r in range(2)]
    assert cells == [["5", "3"], ["5", "3"]]

    dialog.table.selectRow(1)
    monkeypatch.setattr(BackupsDialog, "confirm", lambda self, backup: False)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert "Restoring" not in window.jobs.running_names()
    assert label_count(project) == 0  # declined: nothing changed

    monkeypatch.setattr(BackupsDialog, "confirm", lambda self, backup: True)
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Restored" in dialog.status_label.text(), timeout=20000)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=20000)  # listed again
    assert label_count(project) == 3
    assert window.controller.path == project
    assert window.controller.db is not None  # the window works on the restored project
    assert window.controller.db.conn.execute("SELECT count(*) FROM labels").fetchone()[0] == 3
    notes = [dialog.table.item(r, 3).text() for r in range(3)]
    assert notes[0] == "state before a restore"
    before = [b for b in list_backups(project) if b.reason == BEFORE_RESTORE]
    assert [(b.items, b.labels) for b in before] == [(5, 0)]
