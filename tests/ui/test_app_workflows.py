"""The app's own way to every step: judge verdicts, the demo project, opening a data file,
what the import dialog says it will do; and how items look (chat turns, diff, dark theme)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_helpers import list_item, make_project, pair_items

from labeler.about import DATA_DIR_ENV
from labeler.db import open_db
from labeler.demo import JUDGE, VOTES_FILE
from labeler.types import Item, Message, Response
from ui.dialogs.import_dialog import ImportDialog
from ui.dialogs.judge_dialog import JudgeDialog

pytestmark = pytest.mark.gui

UI = Path(__file__).parents[2] / "ui"
HH = Path("/work/shared/data/raw/hh-rlhf/harmless-base/test.jsonl.gz")


def test_demo_project_comes_with_votes_and_verdicts_so_routing_works_at_once(
    window_factory, tmp_path, monkeypatch, qtbot
) -> None:  # type: ignore[no-untyped-def]
    from ui.app import _demo_path

    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    path = _demo_path()
    assert _demo_path() == path  # opening it again adds nothing twice
    db = open_db(path)
    sources = dict(db.conn.execute("SELECT source, count(*) FROM labels GROUP BY source"))
    judged = db.conn.execute("SELECT count(*) FROM labels WHERE annotator = ?", (JUDGE,))
    assert sources["imported"] == 3 * 141
    assert judged.fetchone()[0] == sources["model"]
    db.conn.close()
    window = window_factory(path)
    routing = window.panels.routing
    routing.audit_spin.setValue(10)
    routing.route_button.click()
    qtbot.waitUntil(lambda: not window.jobs.shown_busy, timeout=60000)
    message = window.statusBar().currentMessage()
    assert "to review" in message, message
    whole = routing.results.labels["Routing"].text()  # the status bar's line is a short form
    assert re.search(r"to review \(run \d+\)\nAI labels from gpt-3\.5-turbo \(", whole)


def test_judge_verdicts_are_imported_from_the_model_menu(
    window_factory, tmp_path, monkeypatch, qtbot
) -> None:  # type: ignore[no-untyped-def]
    from labeler.demo import create_demo_project

    project = tmp_path / "demo.db"
    create_demo_project(project).conn.close()
    window = window_factory(project)
    window.actions_by_id["import_judge"].trigger()
    dialog = window.findChild(JudgeDialog)
    dialog.file_edit.setText(str(VOTES_FILE))
    dialog._load_fields()
    assert dialog.key_combo.currentText() == "idx"
    dialog.verdict_combo.setCurrentText("no_such_field")
    dialog.import_button.click()
    assert "no field “no_such_field”" in dialog.error_label.text()
    dialog.verdict_combo.setCurrentText(JUDGE)
    dialog.name_edit.setText("gpt35")
    dialog.map_edit.setText("1=first, 2=second, tie=tie, garbage=skip")
    dialog.import_button.click()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=30000)
    assert re.match(r"Imported \d+ verdicts from gpt35", dialog.status_label.text())
    db = open_db(project)
    stored = db.conn.execute("SELECT count(*) FROM labels WHERE annotator = 'gpt35'").fetchone()
    assert stored[0] > 250
    db.conn.close()


def test_opening_a_data_file_offers_to_import_it(window_factory, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "p.db", pair_items(1))
    data = tmp_path / "more.jsonl"
    data.write_text(json.dumps({"prompt": "q", "response_a": "x", "response_b": "y"}) + "\n")
    window = window_factory(project)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(data), ""))
    window.actions_by_id["open_project"].trigger()
    box = window.findChild(QMessageBox, "offer_import_box")
    assert box is not None
    assert "more.jsonl is a data file" in box.text()
    box.buttons()[0].click()  # "Import into p.db"
    dialog = window.findChild(ImportDialog)
    assert dialog is not None
    assert dialog.paths == [data]
    assert window.controller.path == project  # the project stays open


@pytest.mark.skipif(not HH.exists(), reason="needs the HH-RLHF test set")
def test_import_dialog_says_a_labelled_file_becomes_imported_labels(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ImportDialog([HH])
    qtbot.addWidget(dialog)
    text = dialog.detected_label.text()
    assert "2,312 pairs (chosen/rejected pairs)" in text
    assert "already labelled by the file: they will be stored as imported labels" in text


def test_import_dialog_counts_records_and_offers_the_schema(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from labeler.types import SchemaMode

    data = tmp_path / "lists.jsonl"
    rows = [{"prompt": f"q{i}", "responses": ["a", "b", "c"]} for i in range(2312)]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    dialog = ImportDialog([data])
    qtbot.addWidget(dialog)
    assert "2,312 lists" in dialog.detected_label.text()
    assert "not labelled yet" in dialog.detected_label.text()
    form = dialog.schema_form
    form.set_mode(SchemaMode.LISTWISE)
    form.top_k_spin.setValue(2)
    assert form.schema().top_k == 2
    assert not form.aspects_edit.isEnabled()
    form.set_mode(SchemaMode.MULTI_ASPECT)
    form.aspects_edit.setText("style, facts")
    assert form.schema().aspects == ("style", "facts")
    dialog.map_combos["responses"].setCurrentText("nope")
    assert "Not recognised" in dialog.detected_label.text() or "no field" in (
        dialog.detected_label.text()
    )


def test_a_long_error_line_wraps_instead_of_widening_the_dialog(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "long.jsonl"
    bad.write_text('{"prompt": "' + "x" * 2000 + '", "response_a": 1\n')
    dialog = ImportDialog([bad])
    qtbot.addWidget(dialog)
    dialog.show()
    assert "The line that failed" in dialog.error_label.text()
    assert dialog.width() < 1000
    assert dialog.error_label.sizeHint().width() < 1000


def test_chat_prompts_show_their_last_user_turn(window_factory, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    turns = tuple(
        Message("user" if i % 2 == 0 else "assistant", f"turn {i} " + "word " * 200)
        for i in range(9)
    )
    item = Item(turns, (Response("left"), Response("right")))
    window = window_factory(make_project(tmp_path / "p.db", [item]))
    browser = window.page.pair.prompt
    assert "last turn" in browser.toHtml()
    qtbot.waitUntil(lambda: browser.verticalScrollBar().value() > 0)
    bar = browser.verticalScrollBar()
    assert bar.value() > bar.maximum() // 2  # scrolled down to the last user turn


def test_word_diff_uses_one_neutral_colour() -> None:
    from ui.render import DIFF_DARK, DIFF_LIGHT, word_diff_html

    for dark, colour in ((False, DIFF_LIGHT), (True, DIFF_DARK)):
        diff = word_diff_html("the red cat", "the blue cat", dark=dark)
        assert diff is not None
        colours = set(re.findall(r"background-color:(#\w+)", "".join(diff)))
        assert colours == {colour}


def test_dark_theme_repaints_the_item_on_screen(window_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from ui.theme import apply_theme

    window = window_factory(make_project(tmp_path / "p.db", [list_item(3)]))
    assert "#eaf2fb" in window.page.rank.prompt.toHtml()  # light shade of a user turn
    window._cycle_theme()  # light -> dark
    try:
        assert window.config.theme == "dark"
        assert "#2a3a4a" in window.page.rank.prompt.toHtml()
    finally:
        apply_theme(QApplication.instance(), "light")


def test_the_app_names_no_command_line() -> None:
    """No message of the app names a command or its syntax."""
    pattern = re.compile(r"prefmark (import|train|score|route|export|stats|gui)|--[a-z]")
    for path in UI.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0] if "sys.argv" not in line else ""
            strings = re.findall(r"\"[^\"]*\"|'[^']*'", code)
            assert not [s for s in strings if pattern.search(s)], f"{path}:{n}: {line.strip()}"


def test_a_missing_qt_library_is_named_with_its_package() -> None:
    from ui.qt_check import check_platform, explain_missing

    error = "libxcb-cursor.so.0: cannot open shared object file: No such file or directory"
    text = explain_missing(error)
    assert text is not None
    assert "libxcb-cursor.so.0 is missing" in text
    assert "libxcb-cursor0" in text
    assert explain_missing("something else went wrong") is None
    check_platform()  # this machine has them all: no error


def test_a_dialog_says_its_job_was_cancelled(window_factory, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    import threading

    from ui import dialog_wiring

    project = make_project(tmp_path / "p.db", pair_items(1))
    data = tmp_path / "more.jsonl"
    data.write_text(json.dumps({"prompt": "q", "response_a": "x", "response_b": "y"}) + "\n")
    window = window_factory(project)
    dialog = dialog_wiring.open_import(window, [data])
    wait = threading.Event()

    def slow_job():  # type: ignore[no-untyped-def]
        for step in range(200):
            yield step, 200
            wait.wait(0.05)

    dialog_wiring.run_with_dialog(window, "import", slow_job, None, None, dialog)
    qtbot.waitUntil(lambda: dialog.progress.maximum() == 1000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not window.jobs.busy)
    assert dialog.status_label.text() == "Import cancelled: nothing was imported."
    assert window.statusBar().currentMessage() == "Import cancelled."
