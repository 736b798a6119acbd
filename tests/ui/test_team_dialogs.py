"""Project > Merge projects… and Adjudicate conflicts… in the real window, on real files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from labeler.db import open_db
from labeler.store import record_label
from labeler.store.labels import live_labels
from labeler.types import Action, Label, PairChoice, PairwiseValue, Source
from tests.ui.ui_helpers import make_project, pair_items
from ui.actions import ACTIONS
from ui.dialogs.team_dialogs import open_adjudication, open_merge

pytestmark = pytest.mark.gui
ITEMS = pair_items(3)


def _copy(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def _labelled(path: Path, who: str, choices: list[PairChoice]) -> Path:
    db = open_db(path, create=False)
    for item, choice in zip(ITEMS, choices, strict=True):
        label = Label(item.id, PairwiseValue(choice), Source.HUMAN, who, rationale=f"{who} says")
        record_label(db, label)
    db.conn.close()
    return path


def _message_box(window) -> QMessageBox:  # type: ignore[no-untyped-def]
    boxes = window.findChildren(QMessageBox, "merge_report")
    assert boxes
    return boxes[-1]


def test_merge_then_adjudicate_in_the_window(qtbot, window_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    team = make_project(tmp_path / "team.db", ITEMS)
    for name in ("alice", "bob"):
        _copy(team, tmp_path / f"{name}.db")
    alice = _labelled(tmp_path / "alice.db", "alice", [PairChoice.A, PairChoice.A, PairChoice.B])
    bob = _labelled(tmp_path / "bob.db", "bob", [PairChoice.A, PairChoice.B, PairChoice.A])
    window = window_factory(team)

    open_merge(window, [alice, bob])
    qtbot.waitUntil(lambda: "merge" not in window.jobs.running_names(), timeout=20000)
    text = _message_box(window).text()
    assert "alice.db: 0 new items, 3 new label events" in text
    assert "Items whose people disagree: 2" in text
    assert "prefmark" not in text

    dialog = open_adjudication(window)
    assert dialog is not None
    assert dialog.header.text() == "Item 1 of 2 in conflict"
    cells = {dialog.votes.item(r, c).text() for r in range(2) for c in range(3)}
    assert {"alice", "bob", "alice says", "bob says"} <= cells
    assert {b.text() for b in dialog.buttons} == {
        "Decide: Response 1 is better",
        "Decide: Response 2 is better",
    }
    disputed = dialog.queue[0]
    dialog.note.setText("the guidelines favour the shorter answer")
    next(b for b in dialog.buttons if "Response 2" in b.text()).click()
    assert dialog.header.text() == "Item 2 of 2 in conflict"
    decision = [
        lab
        for lab in live_labels(window.controller.db, disputed)
        if lab.action is Action.ADJUDICATE
    ]
    assert [(d.annotator, d.value, d.rationale) for d in decision] == [
        ("ana", PairwiseValue(PairChoice.B), "the guidelines favour the shorter answer")
    ]


def test_a_bad_file_is_refused_in_a_box(qtbot, window_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    team = make_project(tmp_path / "team.db", ITEMS)
    bad = tmp_path / "mail.db"
    bad.write_bytes(b"not a project at all" * 50)
    window = window_factory(team)
    open_merge(window, [bad])
    qtbot.waitUntil(lambda: "merge" not in window.jobs.running_names(), timeout=20000)
    box = _message_box(window)
    assert box.windowTitle() == "Nothing was merged"
    assert "mail.db: not a prefmark project" in box.text()


def test_the_project_menu_has_the_actions() -> None:
    texts = {a.id: a.text for a in ACTIONS if a.group == "Project"}
    assert texts["merge"] == "Merge projects…"
    assert texts["adjudicate"] == "Adjudicate conflicts…"
