"""The window while another program writes to its project: no keypress is lost silently."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from ui_helpers import make_project, pair_items, press

from labeler.db import open_db

pytestmark = pytest.mark.gui

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def _labels(project: Path) -> int:
    db = open_db(project, create=False, readonly=True)
    try:
        return int(db.conn.execute("SELECT count(*) FROM labels").fetchone()[0])
    finally:
        db.conn.close()


def test_a_label_typed_while_another_program_writes_is_saved_when_it_finishes(
    window_factory, tmp_path: Path, qtbot
) -> None:
    project = make_project(tmp_path / "p.db", pair_items(3))
    window = window_factory(project)
    first = window.page.pair.item_id
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(project)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    press(window, "a")
    assert time.monotonic() - started < 3  # the window did not freeze for the full wait
    assert window.page.pair.item_id == first  # still on the item, nothing dropped
    assert "will be saved as soon as it finishes" in window.statusBar().currentMessage()
    press(window, "b")  # a second decision while the first is pending is refused, and said
    assert "Still saving your previous decision" in window.statusBar().currentMessage()
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(10)
    qtbot.waitUntil(lambda: window.page.pair.item_id != first, timeout=10_000)
    assert _labels(project) == 1


def test_a_label_that_cannot_be_saved_is_said_in_a_box(
    window_factory, tmp_path: Path, qtbot
) -> None:
    project = make_project(tmp_path / "p.db", pair_items(3))
    window = window_factory(project)
    first = window.page.pair.item_id
    # The disk fails on the next label (as a full or failing disk would).
    window.controller.db.conn.execute(
        "CREATE TEMP TRIGGER fail BEFORE INSERT ON labels "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    press(window, "a")
    qtbot.waitUntil(lambda: window.findChild(object, "problem_box") is not None, timeout=5000)
    box = window.findChild(object, "problem_box")
    assert "Not saved" in box.text()
    assert "the disk is full" in box.text()
    assert window.page.pair.item_id == first
    assert _labels(project) == 0


def test_a_background_job_that_meets_a_project_problem_says_it_in_one_sentence(
    tmp_path: Path, qtbot
) -> None:
    from ui.workers import JobRunner, one_shot

    project = make_project(tmp_path / "p.db", pair_items(1))

    def write_through_a_read_only_connection() -> None:
        db = open_db(project, create=False, readonly=True)
        try:
            db.conn.execute("DELETE FROM items")
        finally:
            db.conn.close()

    runner = JobRunner()
    runner.project = project
    errors: list[Exception] = []
    runner.start("job", one_shot(write_through_a_read_only_connection), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert str(errors[0]) == (
        f"{project}: the project file or its folder is read-only; make both writable, or copy "
        "the project to a folder you can write to"
    )
    from labeler.logs import log_path

    logged = log_path().read_text()  # the details are kept for whoever looks into it
    assert "background job 'job' failed" in logged
    assert "Traceback" in logged
    assert "attempt to write a readonly database" in logged
