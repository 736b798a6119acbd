"""The import dialog offers what the command line import offers, and passes it to the same
workflow: where skipped bad records go and which folders images may come from included."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from ui_helpers import make_project, pair_items

from labeler.cli.import_cmd import import_command
from labeler.store import iter_items, open_db
from labeler.store.items import count_items
from labeler.types import SchemaMode
from labeler.workflows.importing import ImportOptions
from ui import dialog_wiring
from ui.dialogs.import_dialog import ImportDialog

pytestmark = pytest.mark.gui

# Each option of the command line import, and what in the app stands for it.
IN_THE_APP = {
    "project": "the open project",
    "files": "the files chosen",
    "maps": "Field mapping tab",
    "annotator_fields": "annotator verdicts",
    "scores_are_labels": "scores are the labels",
    "skip_bad": "Skip bad records",
    "rejects": "Save skipped records to",
    "source_name": "Source name",
    "schema": "Schema",
    "top_k": "Rank best K",
    "aspects": "Aspects",
    "image_folders": "Images may come from",
    "quiet": None,  # a terminal's progress bar: the dialog always shows its progress
}


def _png(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, "PNG")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


def test_every_command_line_import_option_has_a_place_in_the_dialog(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A new option of the command must come to the dialog too, and every field of the
    workflow's options can be set from the dialog's widgets."""
    assert {p.name for p in import_command.params} == set(IN_THE_APP)

    data = tmp_path / "data" / "pairs.jsonl"
    data.parent.mkdir()
    data.write_text(json.dumps({"q": "p", "a": "x", "b": "y", "annotator1": 1}) + "\n")
    dialog = ImportDialog([data], project=tmp_path / "p.db")
    qtbot.addWidget(dialog)
    defaults = dialog.options()
    assert defaults == ImportOptions(files=(data,), mapping=defaults.mapping)
    assert defaults.mapping.annotator_fields == ("annotator1",)  # guessed from the names

    dialog.map_combos["prompt"].setCurrentText("q")
    dialog.map_combos["responses"].setCurrentText("a, b")
    dialog.scores_check.setChecked(True)
    dialog.schema_form.set_mode(SchemaMode.MULTI_ASPECT)
    dialog.schema_form.aspects_edit.setText("style, facts")
    dialog.schema_form.source_edit.setText("crowd")
    form = dialog.paths_form
    form.skip_check.setChecked(True)
    form.rejects_edit.setText(str(tmp_path / "bad.jsonl"))
    form.folder_list.addItem(str(tmp_path / "pics"))
    chosen = dialog.options()
    changed = {
        f.name for f in dataclasses.fields(ImportOptions)
        if getattr(chosen, f.name) != getattr(defaults, f.name)
    }  # fmt: skip
    assert changed == {f.name for f in dataclasses.fields(ImportOptions)} - {"files"}
    assert chosen.mapping.renames == {"prompt": ("q",), "responses": ("a", "b")}
    assert chosen.mapping.scores_are_labels
    assert chosen.schema is not None
    assert chosen.schema.aspects == ("style", "facts")
    assert chosen.source_name == "crowd"
    assert chosen.rejects == tmp_path / "bad.jsonl"
    assert chosen.image_folders == (data.parent, tmp_path / "pics")


def test_the_dialog_shows_the_defaults_it_imports_with(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "in" / "pairs.jsonl"
    data.parent.mkdir()
    data.write_text(json.dumps({"prompt": "p", "response_a": "x", "response_b": "y"}) + "\n")
    project = tmp_path / "work" / "p.db"
    dialog = ImportDialog([data], project=project)
    qtbot.addWidget(dialog)
    form = dialog.paths_form
    assert form.rejects_edit.text() == str(tmp_path / "work" / "p.db.rejects.jsonl")
    assert [form.folder_list.item(i).text() for i in range(form.folder_list.count())] == [
        str(data.parent)
    ]
    assert not form.rejects_edit.isEnabled()
    assert not form.rejects_browse.isEnabled()
    form.skip_check.setChecked(True)
    assert form.rejects_edit.isEnabled()
    assert form.rejects_browse.isEnabled()
    form.folder_list.setCurrentRow(0)
    assert not form.remove_folder_button.isEnabled()  # the last folder stays
    tab = dialog.tabs.indexOf(form)
    assert dialog.tabs.tabText(tab) == "Bad records and images"


def test_skipped_records_go_where_chosen_and_images_come_from_an_added_folder(
    qtbot, window_factory, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "p.db", pair_items(2))
    pics = tmp_path / "shared" / "pics"
    _png(pics / "cat.png")
    data = tmp_path / "batch" / "pairs.jsonl"
    data.parent.mkdir()
    rows = [
        {"prompt": "what is shown?", "response_a": "a cat", "response_b": "a dog",
         "images": ["../shared/pics/cat.png"]},
        {"prompt": "broken", "response_a": "only one"},
        {"prompt": "fine", "response_a": "x", "response_b": "y"},
    ]  # fmt: skip
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rejects = tmp_path / "review" / "skipped.jsonl"
    rejects.parent.mkdir()
    window = window_factory(project)
    dialog = dialog_wiring.open_import(window, [data])
    assert dialog is not None
    form = dialog.paths_form
    dialog.tabs.setCurrentWidget(form)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(rejects), ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(pics))
    form.skip_check.click()
    qtbot.mouseClick(form.rejects_browse, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.add_folder_button, Qt.MouseButton.LeftButton)
    assert form.rejects_edit.text() == str(rejects)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "import" not in window.jobs.running_names(), timeout=20000)

    status = dialog.status_label.text()
    assert "Imported 2 new items" in status, dialog.error_label.text()
    assert f"Skipped 1 bad records to {rejects}" in status
    (entry,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert entry["line"] == 2
    assert entry["data"] == rows[1]
    assert not (tmp_path / "p.db.rejects.jsonl").exists()
    db = open_db(project)
    assert count_items(db) == 4
    (with_image,) = [i for i in iter_items(db) if i.images]
    assert with_image.images == (str(pics / "cat.png"),)


def test_an_image_outside_the_allowed_folders_is_refused_in_the_dialog(
    qtbot, window_factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "p.db", pair_items(2))
    _png(tmp_path / "shared" / "cat.png")
    data = tmp_path / "batch" / "pairs.jsonl"
    data.parent.mkdir()
    row = {"prompt": "p", "response_a": "a", "response_b": "b", "images": ["../shared/cat.png"]}
    data.write_text(json.dumps(row) + "\n")
    window = window_factory(project)
    dialog = dialog_wiring.open_import(window, [data])
    assert dialog is not None
    dialog.import_button.click()
    qtbot.waitUntil(lambda: bool(dialog.error_label.text()), timeout=20000)
    assert "outside the allowed folder" in dialog.error_label.text()
    assert count_items(open_db(project)) == 2
