"""The window's import, export and about dialogs run real jobs against the open project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labeler.demo import create_demo_project
from labeler.exporters import ExportOptions
from labeler.store import open_db
from labeler.store.items import count_items
from labeler.store.labels import record_label
from labeler.types import Label, PairChoice, PairwiseValue, Source
from labeler.workflows.importing import ImportOptions
from ui import dialog_wiring

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    db = create_demo_project(path)
    first = db.conn.execute("SELECT id FROM items WHERE n_responses = 2 LIMIT 1").fetchone()[0]
    record_label(db, Label(first, PairwiseValue(PairChoice.B), Source.HUMAN, "ana"))
    db.conn.close()
    return path


def test_import_dialog_imports_in_the_background_and_updates_the_queue(
    qtbot, window_factory, project: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "more.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"prompt": f"q{i}", "response_a": f"a{i}", "response_b": f"b{i}"})
            for i in range(5)
        )
    )
    window = window_factory(project)
    dialog = dialog_wiring.open_import(window, [data])
    assert dialog is not None
    dialog.import_requested.emit(ImportOptions(files=(data,)))
    qtbot.waitUntil(lambda: "import" not in window.jobs.running_names(), timeout=20000)
    assert count_items(open_db(project)) == 314 + 5
    qtbot.waitUntil(lambda: window.queues.item(0).text() == "To label: 318", timeout=10000)


def test_import_dialog_shows_the_failing_line(
    qtbot, window_factory, project: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "bad.jsonl"
    data.write_text('{"prompt": "q", "response_a": "a", "response_b": "b"}\n{"prompt": 3}\n')
    window = window_factory(project)
    dialog = dialog_wiring.open_import(window, [data])
    dialog.import_requested.emit(ImportOptions(files=(data,)))
    qtbot.waitUntil(lambda: bool(dialog.error_label.text()), timeout=20000)
    assert "bad.jsonl:2: " in dialog.error_label.text()
    assert count_items(open_db(project)) == 314  # nothing half-imported


def test_export_dialog_writes_a_dataset_folder(
    qtbot, window_factory, project: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    window = window_factory(project)
    dialog = dialog_wiring.open_export(window)
    assert dialog is not None
    out = tmp_path / "dpo"
    dialog.export_requested.emit(out, ExportOptions(target="trl-preference", test_size=0.0))
    qtbot.waitUntil(lambda: (out / "README.md").exists(), timeout=20000)
    qtbot.waitUntil(lambda: "export" not in window.jobs.running_names(), timeout=20000)
    record = json.loads((out / "data" / "train.jsonl").read_text().splitlines()[0])
    assert record["label_source"] == "human"


def test_about_dialog_names_version_licences_and_paths(window_factory, project: Path) -> None:  # type: ignore[no-untyped-def]
    from labeler import __version__

    window = window_factory(project)
    window.actions_by_id["about"].trigger()
    dialog = window.findChild(dialog_wiring.AboutDialog)
    assert dialog is not None
    text = dialog.browser.toPlainText()
    assert f"prefmark {__version__}" in text
    assert "all-MiniLM-L6-v2" in text
    assert "PandaLM" in text
    assert str(project) in text


def test_simulate_button_writes_the_curve_beside_the_project_and_plots_it(
    qtbot, window_factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from labeler.cli.demo_cmd import JUDGE_OPTIONS, _play_annotator, _votes_by_item
    from labeler.workflows import drive
    from labeler.workflows.routing import import_judge

    path = tmp_path / "sim.db"
    db = create_demo_project(path)
    _play_annotator(db, _votes_by_item(db), 80)
    drive(import_judge(db, JUDGE_OPTIONS))
    db.conn.close()
    window = window_factory(path)
    panel = window.panels.routing
    panel.simulation_requested.emit()
    csv_path = tmp_path / "sim-routing" / "routing_simulation.csv"
    qtbot.waitUntil(csv_path.exists, timeout=120000)
    qtbot.waitUntil(lambda: "Simulating" not in window.jobs.running_names(), timeout=20000)
    assert set(panel.curve.series) >= {"random", "learned", "oracle"}
