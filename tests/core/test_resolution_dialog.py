"""Project → Conflicting labels…: the app shows the project's policy and saves a new one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QMainWindow

from labeler.db import open_db
from labeler.resolution import ConflictPolicy
from labeler.store.meta import get_conflict_policy, set_meta
from ui.actions import ACTIONS
from ui.dialogs.conflicts_dialog import open_conflicts
from ui.project_link import GuardedWrites

pytestmark = pytest.mark.gui


def _window(qtbot, db) -> QMainWindow:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    qtbot.addWidget(window)
    window.controller = SimpleNamespace(db=db, writes=GuardedWrites(window))  # type: ignore[attr-defined]
    return window


def test_the_dialog_shows_the_policy_and_saves_the_choice(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = open_db(project_path)
    window = _window(qtbot, db)
    dialog = open_conflicts(window)
    assert dialog is not None
    assert dialog.chosen() is ConflictPolicy.MAJORITY
    assert "prefmark" not in " ".join(b.text() for b in dialog.buttons.values())
    dialog.buttons[ConflictPolicy.DROP].setChecked(True)
    dialog._ok()
    assert get_conflict_policy(db) is ConflictPolicy.DROP
    assert not dialog.isVisible()
    assert "Leave the item out" in window.statusBar().currentMessage()


def test_an_unknown_policy_is_said_and_can_be_replaced(qtbot, project_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = open_db(project_path)
    set_meta(db, "conflict_policy", "coin-flip")
    dialog = open_conflicts(_window(qtbot, db))
    assert dialog is not None
    assert dialog.chosen() is None
    assert "coin-flip" in dialog.error_label.text()
    dialog.buttons[ConflictPolicy.LATEST].setChecked(True)
    dialog._ok()
    assert get_conflict_policy(db) is ConflictPolicy.LATEST


def test_without_a_project_the_window_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, None)
    assert open_conflicts(window) is None
    assert "Open a project" in window.statusBar().currentMessage()


def test_the_project_menu_has_the_action() -> None:
    assert ("conflicts", "Project") in {(a.id, a.group) for a in ACTIONS}
