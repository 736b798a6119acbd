"""Import, export and about dialogs on real files, and the jobs behind them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from labeler.store import add_items, count_items, open_db, record_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from ui.dialogs.about_dialog import AboutDialog
from ui.dialogs.export_dialog import ExportDialog
from ui.dialogs.import_dialog import ImportDialog
from ui.dialogs.options_form import OptionsForm
from ui.jobs import JobError, export_job, import_job, preview_records

pytestmark = pytest.mark.gui


def drain(gen: Any) -> Any:
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    records = [
        {
            "question": f"What is {i}+{i}?",
            "first": f"{2 * i}",
            "second": f"{2 * i + 1}",
            "annotator1": 1,
        }
        for i in range(30)
    ]
    return _write_jsonl(tmp_path / "pairs.jsonl", records)


# ---- import --------------------------------------------------------------------------------


def test_import_dialog_previews_maps_fields_and_imports(qtbot, tmp_path, data_file) -> None:
    project = tmp_path / "project.db"
    open_db(project).close()
    dialog = ImportDialog([data_file])
    qtbot.addWidget(dialog)
    model = dialog.preview_model
    assert model.rowCount() == 20
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == [
        "question", "first", "second", "annotator1",
    ]  # fmt: skip
    assert model.cell(3, 0) == "What is 3+3?"
    assert dialog.annotator_edit.text() == "annotator1"  # guessed from the field names
    dialog.map_combos["prompt"].setCurrentText("question")
    dialog.map_combos["response_a"].setCurrentText("first")
    dialog.map_combos["response_b"].setCurrentText("second")
    with qtbot.waitSignal(dialog.import_requested) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    (options,) = blocker.args
    mapping = options.mapping
    assert options.files == (data_file,)
    assert mapping.renames == {
        "prompt": ("question",),
        "response_a": ("first",),
        "response_b": ("second",),
    }
    assert mapping.annotator_fields == ("annotator1",)
    assert options.skip_bad is False
    assert options.rejects is None
    assert options.image_folders == ()

    dialog.set_running(True)
    assert not dialog.import_button.isEnabled()
    report = drain(import_job(project, options))
    dialog.show_result(report)
    assert "Imported 30 new items" in dialog.status_label.text()
    assert "30 new labels" in dialog.status_label.text()
    assert count_items(open_db(project)) == 30


def test_import_dialog_refuses_a_field_the_file_does_not_have(qtbot, data_file) -> None:
    dialog = ImportDialog([data_file])
    qtbot.addWidget(dialog)
    dialog.map_combos["prompt"].setCurrentText("questoin")
    with qtbot.assertNotEmitted(dialog.import_requested):
        dialog.import_button.click()
    assert "no field “questoin”" in dialog.error_label.text()


def test_import_dialog_shows_the_line_that_fails_in_the_preview(qtbot, tmp_path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"prompt": "a", "response_a": "x", "response_b": "y"}\n{"prompt": "b",\n')
    dialog = ImportDialog([bad])
    qtbot.addWidget(dialog)
    text = dialog.error_label.text()
    assert "broken.jsonl:2: invalid JSON" in text
    assert "invalid JSON" in text
    assert "The line that failed" in text
    assert "{&quot;prompt&quot;: &quot;b&quot;," in text  # shown escaped, as text
    assert dialog.preview_model.rowCount() == 1


def test_import_error_from_the_job_is_shown_in_words(qtbot, tmp_path) -> None:
    project = tmp_path / "project.db"
    open_db(project).close()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "response_a": "x", "response_b": "y"}\n{"prompt": "only"}\n')
    dialog = ImportDialog([bad], preview=lambda p: preview_records(p, limit=1))
    qtbot.addWidget(dialog)
    with pytest.raises(JobError) as info:
        drain(import_job(project, [bad]))
    dialog.show_error(info.value)
    assert "bad.jsonl:2: " in dialog.error_label.text()
    assert "nothing was imported" in dialog.status_label.text().lower()
    assert count_items(open_db(project)) == 0


def test_cancel_while_importing_asks_the_controller(qtbot, data_file) -> None:
    dialog = ImportDialog([data_file])
    qtbot.addWidget(dialog)
    dialog.set_running(True)
    with qtbot.waitSignal(dialog.cancel_requested):
        dialog.cancel_button.click()
    assert dialog.isVisible() is False or dialog.result() == 0
    dialog.show_cancelled()
    assert "cancelled" in dialog.status_label.text()


# ---- options form and export ---------------------------------------------------------------


class Shape(StrEnum):
    FLAT = "flat"
    NESTED = "nested"


@dataclass(frozen=True)
class Options:
    target: str = "a"
    shape: Shape = Shape.FLAT
    keep_ties: bool = False
    min_confidence: float | None = None
    annotators: tuple[str, ...] = ()
    seed: int = 0
    chunk_size: int = 5000


def test_options_form_edits_every_kind_of_field(qtbot) -> None:
    form = OptionsForm(Options(), choices={"target": [("a", "A format"), ("b", "B format")]},
                       hidden=("chunk_size",))  # fmt: skip
    qtbot.addWidget(form)
    assert "chunk_size" not in form.widgets
    assert form.value() == Options()
    form.set_field("target", "b")
    form.set_field("shape", Shape.NESTED)
    assert form.field_value("shape") is Shape.NESTED
    form.set_field("keep_ties", True)
    form.set_field("min_confidence", 0.8)
    form.set_field("annotators", ("ann", "bob"))
    form.set_field("seed", 7)
    assert form.value() == Options("b", Shape.NESTED, True, 0.8, ("ann", "bob"), 7)
    form.set_field("min_confidence", None)
    assert form.value().min_confidence is None


@pytest.fixture
def labelled_project(tmp_path: Path) -> Path:
    path = tmp_path / "project.db"
    db = open_db(path)
    items = [Item(f"prompt {i}", (Response(f"good {i}"), Response(f"bad {i}"))) for i in range(12)]
    add_items(db, items)
    for item in items:
        record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "ann",
                               shown_order=(0, 1)))  # fmt: skip
    db.close()
    return path


def test_export_dialog_builds_the_exporters_options_and_exports(
    qtbot, tmp_path, labelled_project
) -> None:
    exporters = pytest.importorskip("labeler.exporters")
    out = tmp_path / "out"
    dialog = ExportDialog(default_dir=out, project_path=labelled_project)
    qtbot.addWidget(dialog)
    assert dialog.form is not None
    assert dialog.form.field_value("target") == "trl-preference"
    dialog.form.set_field("target", "trl-unpaired")
    dialog.form.set_field("test_size", 0.0)
    with qtbot.waitSignal(dialog.export_requested) as blocker:
        dialog.export_button.click()
    out_dir, options = blocker.args
    assert out_dir == out
    assert isinstance(options, exporters.ExportOptions)
    assert options.target == "trl-unpaired"
    assert options.command is not None
    assert options.command.startswith("prefmark export")
    report = drain(export_job(labelled_project, out_dir, options))
    dialog.show_result(report)
    assert report.records > 0
    assert any(out.iterdir())


def test_export_dialog_offers_the_reward_margin(qtbot, tmp_path, labelled_project) -> None:
    pytest.importorskip("labeler.exporters")
    dialog = ExportDialog(default_dir=tmp_path / "out", project_path=labelled_project)
    qtbot.addWidget(dialog)
    assert dialog.form is not None
    assert dialog.form.field_value("margin") is False
    dialog.form.set_field("margin", True)
    with qtbot.waitSignal(dialog.export_requested) as blocker:
        dialog.export_button.click()
    options = blocker.args[1]
    assert options.margin is True
    assert "--margin" in options.command


def test_export_errors_are_shown_in_words(qtbot, tmp_path) -> None:
    exporters = pytest.importorskip("labeler.exporters")
    empty = tmp_path / "empty.db"
    open_db(empty).close()
    with pytest.raises(JobError) as info:
        drain(export_job(empty, tmp_path / "out", exporters.ExportOptions()))
    dialog = ExportDialog()
    qtbot.addWidget(dialog)
    dialog.show_error(info.value)
    assert dialog.error_label.text().startswith("<b>nothing to export:")


def test_export_dialog_needs_a_folder(qtbot) -> None:
    pytest.importorskip("labeler.exporters")
    dialog = ExportDialog()
    qtbot.addWidget(dialog)
    with qtbot.assertNotEmitted(dialog.export_requested):
        dialog.export_button.click()
    assert "output folder" in dialog.error_label.text()


def test_export_options_fit_the_dialog_without_scrolling_sideways(qtbot) -> None:
    """A long format name is cut off in its box (its list shows it whole), not a reason for
    the form to grow wider than the dialog."""
    from PySide6.QtWidgets import QScrollArea

    pytest.importorskip("labeler.exporters")
    dialog = ExportDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    scroll = dialog.findChild(QScrollArea)
    assert scroll is not None
    assert scroll.horizontalScrollBar().maximum() == 0
    fmt = dialog.form.widgets["target"][0]
    assert fmt.currentText().startswith("trl-preference: TRL preference (DPO")  # all of it kept


# ---- about ---------------------------------------------------------------------------------


def test_about_dialog_shows_version_licences_and_where_files_live(
    qtbot, tmp_path, monkeypatch
) -> None:
    from labeler import __version__

    monkeypatch.setenv("PREFMARK_DATA_DIR", str(tmp_path / "data"))
    dialog = AboutDialog(project_path=tmp_path / "mine.db")
    qtbot.addWidget(dialog)
    text = dialog.browser.toPlainText()
    assert f"prefmark {__version__}" in text
    assert "all-MiniLM-L6-v2" in text  # models/default/NOTICE
    assert "PandaLM" in text  # labeler/demo/NOTICE.md
    assert str(tmp_path / "mine.db") in text
    assert str(tmp_path / "data" / "models") in text
    assert "PREFMARK_DATA_DIR" in text
    assert "models run on CPUExecutionProvider" in text  # no GPU on the test machines
