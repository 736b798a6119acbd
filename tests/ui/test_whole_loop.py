"""The whole job in the app, with no command line: create a project, import a file through
the import dialog, label by keyboard, train, score, route with an audit share, review the audit
items, export DPO; the exported records are then checked against the stored labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from ui_helpers import press

from labeler.db import open_db
from labeler.session import shown_order_for
from labeler.store.items import get_item
from labeler.store.resolved import resolved_label
from labeler.types import PairChoice, PairwiseValue, Route
from ui.dialogs.export_dialog import ExportDialog
from ui.dialogs.import_dialog import ImportDialog

pytestmark = [pytest.mark.gui, pytest.mark.slow]

PANDALM = Path("/work/shared/data/raw/PandaLM/data/testset-v1.json")
N_ITEMS, N_LABELLED = 120, 50
JOB_TIMEOUT_MS = 240_000


def _unlabelled_pairs(path: Path) -> Path:
    """PandaLM pairs without their annotators' votes: work for a person to do."""
    records = json.loads(PANDALM.read_text(encoding="utf-8"))[:N_ITEMS]
    keep = ("idx", "instruction", "input", "response1", "response2")
    path.write_text("\n".join(json.dumps({k: r[k] for k in keep}) for r in records) + "\n")
    return path


def _run_action(window, qtbot, action_id: str) -> str:  # type: ignore[no-untyped-def]
    """Trigger a job's action; its controls are greyed while it runs; the status message."""
    action = window.actions_by_id[action_id]
    action.trigger()
    assert not action.isEnabled()  # nothing starts twice
    qtbot.waitUntil(lambda: not window.jobs.shown_busy, timeout=JOB_TIMEOUT_MS)
    assert action.isEnabled()
    assert not window.progress.isVisible()
    return window.statusBar().currentMessage()


@pytest.mark.skipif(not PANDALM.exists(), reason="needs the PandaLM test set")
def test_the_whole_loop_in_the_app(window_factory, qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = _unlabelled_pairs(tmp_path / "pairs.jsonl")
    project = tmp_path / "loop.db"
    window = window_factory()

    # create a project, then import through the dialog
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(project), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(data)], ""))
    window.actions_by_id["new_project"].trigger()
    assert window.controller.path == project
    assert "Import data (Ctrl+I)" in window.page.empty.text()
    window.actions_by_id["import_files"].trigger()
    dialog = window.findChild(ImportDialog)
    assert dialog is not None
    assert "120 pairs" in dialog.detected_label.text()
    assert "not labelled yet" in dialog.detected_label.text()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=60000)
    # PandaLM repeats a few pairs: duplicates are merged by content
    assert "Imported 114 new items" in dialog.status_label.text(), dialog.error_label.text()
    dialog.cancel_button.click()  # now "Close"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)

    # label 50 pairs by keyboard
    picks: dict[str, PairChoice] = {}
    for n in range(N_LABELLED):
        item_id = window.page.pair.item_id
        shown_side = n % 2
        press(window, "ab"[shown_side])
        stored = shown_order_for(item_id, 2, 0)[shown_side]
        picks[item_id] = PairChoice.A if stored == 0 else PairChoice.B
    assert len(picks) == N_LABELLED

    assert "cross-validated accuracy" in _run_action(window, qtbot, "train")
    assert "scored" in _run_action(window, qtbot, "score")

    # route with a 10% audit of the model's items
    routing = window.panels.routing
    routing.strategy_combo.setCurrentText("margin")
    routing.budget_slider.setValue(5)  # 25% to people
    routing.audit_spin.setValue(10)
    routing.route_button.click()
    assert not routing.route_button.isEnabled()
    qtbot.waitUntil(lambda: not window.jobs.shown_busy, timeout=JOB_TIMEOUT_MS)
    db = open_db(project)
    to_review = [
        r[0] for r in db.conn.execute("SELECT id FROM items WHERE route = ?", (Route.REVIEW,))
    ]
    assert to_review, window.statusBar().currentMessage()

    # review the audit items: Enter accepts the model's label
    press(window, "ctrl+2")
    reviewed = []
    while window.page.active == "pair":
        reviewed.append(window.page.pair.item_id)
        press(window, "return")
    assert sorted(reviewed) == sorted(to_review)

    # export DPO and check every record against the label stored for its item
    out = tmp_path / "dpo"
    window.actions_by_id["export"].trigger()
    export = window.findChild(ExportDialog)
    export.folder_edit.setText(str(out))
    export.export_button.click()
    qtbot.waitUntil(lambda: (out / "README.md").exists(), timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=JOB_TIMEOUT_MS)
    records = [
        json.loads(line)
        for split in sorted((out / "data").glob("*.jsonl"))
        for line in split.read_text().splitlines()
    ]
    exported = {r["item_id"]: r for r in records}
    assert len(exported) == len(records)
    assert set(picks) | set(reviewed) <= set(exported)
    for item_id, record in exported.items():
        label = resolved_label(db, item_id)
        assert label is not None
        assert isinstance(label.value, PairwiseValue)
        responses = get_item(db, item_id).responses
        winner = 0 if label.value.choice is PairChoice.A else 1
        # The standard variant starts each completion with a space after "Assistant:".
        assert record["chosen"] == " " + responses[winner].text
        assert record["rejected"] == " " + responses[1 - winner].text
    for item_id, choice in picks.items():  # what was typed is what was exported
        assert resolved_label(db, item_id).value.choice is choice  # type: ignore[union-attr]
        assert exported[item_id]["label_source"] == "human"
    db.conn.close()
