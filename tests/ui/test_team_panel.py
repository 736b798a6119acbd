"""The team part of the Bias and agreement panel, on a real project with three annotators
and an AI judge."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow

from labeler.db import open_db, transaction
from labeler.resolution import ConflictPolicy
from labeler.store import insert_items, insert_labels
from labeler.store.meta import get_conflict_policy
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from tests.ui.test_panels import drain
from ui.dialogs.conflicts_dialog import open_conflicts
from ui.jobs import team_job
from ui.panels.agreement_panel import AgreementPanel
from ui.project_link import GuardedWrites

pytestmark = pytest.mark.gui

A, B = PairwiseValue(PairChoice.A), PairwiseValue(PairChoice.B)


@pytest.fixture
def team_project(tmp_path: Path) -> Path:
    """80 items: ann1 and ann2 are always right, ann3 is wrong on every tenth item, and the
    judge is right on 85% of them."""
    path = tmp_path / "team.db"
    db = open_db(path)
    rng = np.random.default_rng(1)
    items, labels = [], []
    for i in range(80):
        item = Item(f"question {i}", (Response(f"a{i}"), Response(f"b{i}")))
        items.append(item)
        truth, wrong = (A, B) if rng.random() < 0.5 else (B, A)
        labels += [
            Label(item.id, truth, Source.HUMAN, "ann1"),
            Label(item.id, truth, Source.HUMAN, "ann2"),
            Label(item.id, wrong if i % 10 == 0 else truth, Source.HUMAN, "ann3"),
            Label(item.id, truth if rng.random() < 0.85 else wrong, Source.MODEL, "judge"),
        ]
    with transaction(db.conn):
        insert_items(db.conn, items, "test")
        insert_labels(db.conn, labels)
    db.conn.close()
    return path


def test_the_panel_shows_agreement_accuracy_and_labels_to_check(qtbot, team_project) -> None:  # type: ignore[no-untyped-def]
    steps, report = drain(team_job(team_project))
    assert steps[-1] == (1, 1)
    panel = AgreementPanel()
    qtbot.addWidget(panel)
    team = panel.team
    assert "Needs two annotators" in team.agreement_note.text()
    team.show_report(report)

    rows = {team.agreement_model.cell(r, 0): r for r in range(team.agreement_model.rowCount())}
    fleiss = rows["Fleiss' kappa"]
    assert team.agreement_model.cell(fleiss, 3) == "80"
    assert " to " in team.agreement_model.cell(fleiss, 2)
    perfect = "Cohen's kappa, ann1 and ann2 (same answer 100%)"
    assert team.agreement_model.cell(rows[perfect], 1) == "1.000"
    assert "Cohen's kappa, ann1 and ann3 (same answer 90%)" in rows

    accuracy = {
        team.accuracy_model.cell(r, 0): team.accuracy_model.cell(r, 1)
        for r in range(team.accuracy_model.rowCount())
    }
    assert set(accuracy) == {"ann1", "ann2", "ann3", "judge (AI)"}
    assert float(accuracy["ann3"].rstrip("%")) < float(accuracy["ann1"].rstrip("%"))

    text = team.errors_label.text()
    assert "Estimated share of wrong labels" in text
    assert "of 240 people's labels" in text
    assert "prefmark" not in text
    chances = [
        int(team.queue_model.cell(r, 3).rstrip("%")) for r in range(team.queue_model.rowCount())
    ]
    assert chances == sorted(chances, reverse=True)
    assert len(chances) == len(report.quality.queue)


def test_the_conflicts_dialog_offers_the_dawid_skene_policy(qtbot, team_project) -> None:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    qtbot.addWidget(window)
    db = open_db(team_project)
    window.controller = SimpleNamespace(db=db, writes=GuardedWrites(window))  # type: ignore[attr-defined]
    dialog = open_conflicts(window)
    assert dialog is not None
    button = dialog.buttons[ConflictPolicy.DAWID_SKENE]
    assert "reliability" in button.text()
    button.setChecked(True)
    dialog._ok()
    assert get_conflict_policy(db) is ConflictPolicy.DAWID_SKENE
