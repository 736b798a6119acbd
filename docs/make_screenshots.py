"""Screenshots of the app on the bundled demo, at 1280x800, for the README.

    xvfb-run -s "-screen 0 1280x800x24" python docs/make_screenshots.py   # real X server
    python docs/make_screenshots.py                                       # offscreen fallback
    python docs/make_screenshots.py DIR   # a folder made by `prefmark demo --out DIR` (and
                                          # `prefmark route DIR/demo.db --simulate --out
                                          # DIR/demo-routing`): skips rebuilding them

Builds the demo project with the real pipeline (``prefmark demo``: labels, judge verdicts,
the default model trained and scored, routing) and a routing simulation, then writes
docs/pairwise.png, docs/listwise.png, docs/review.png (the model's pick marked on the response),
docs/routing.png (after the demo's routing run) and docs/browser.png (the record browser).
Settings and the
project live in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import numpy as np

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
elif "QT_QPA_PLATFORM" not in os.environ:
    os.environ["QT_QPA_PLATFORM"] = "xcb"

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from labeler.db import open_db
from labeler.store import iter_items
from labeler.store.routes import write_routes

DOCS = Path(__file__).resolve().parent
SIZE = (1280, 800)


def build_demo(folder: Path) -> tuple[Path, Path]:
    """The demo project after the real pipeline (``prefmark demo``), and a routing simulation.

    Returns the project file and the simulation CSV the routing panel plots.
    """
    from click.testing import CliRunner

    from labeler.cli import main as cli

    runner = CliRunner()
    for args in (
        ["demo", "--out", str(folder)],
        ["route", str(folder / "demo.db"), "--simulate", "--out", str(folder / "demo-routing"),
         "--seeds", "3"],
    ):  # fmt: skip
        result = runner.invoke(cli, args, catch_exceptions=False)
        if result.exit_code != 0:
            raise SystemExit(result.output)
    return folder / "demo.db", folder / "demo-routing" / "routing_simulation.csv"


def _scroll_to(widget) -> None:  # type: ignore[no-untyped-def]
    """Scroll the scroll area holding ``widget`` so all of it is in view."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QScrollArea

    QCoreApplication.processEvents()
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    if parent is not None:
        parent.ensureWidgetVisible(widget, 0, 0)


def shoot(window, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a picture of ``window`` (or any widget) once its background jobs are done."""
    from PySide6.QtCore import QThreadPool
    from PySide6.QtTest import QTest

    QTest.qWait(400)  # the debounced queue counts start on a timer
    QThreadPool.globalInstance().waitForDone(10_000)
    QTest.qWait(100)
    target = DOCS / f"{name}.png"
    window.grab().save(str(target))
    sys.stdout.write(f"wrote {target}\n")
    return target


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("prefmark")
    from ui.app import create_window
    from ui.workers import JobRunner

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if len(sys.argv) > 1:  # a demo built before: work on a copy, never on it
            given = Path(sys.argv[1])
            project = folder / "demo.db"
            source = open_db(given / "demo.db", create=False, readonly=True)
            target = sqlite3.connect(project)
            source.conn.backup(target)  # SQLite's own copy, with what is still in the WAL
            target.close()
            source.conn.close()
            if (given / "demo-routing").is_dir():
                shutil.copytree(given / "demo-routing", folder / "demo-routing")
        else:
            project, _curve_csv = build_demo(folder)
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        settings.setValue("annotator", "dana")
        window = create_window(settings, theme="light")
        window.resize(*SIZE)
        window.show()
        window.open_project(project)
        pool_done = JobRunner().pool.waitForDone
        pool_done(10_000)
        controller = window.controller

        controller.handle("left")  # one decision, so the session line has something to say
        pool_done(10_000)
        shoot(window, "pairwise")

        # After the demo's routing run (and its simulation, if any).
        _dock_of(window.panels.routing).raise_()
        pool_done(10_000)
        _scroll_to(window.panels.routing.curve)  # the panel scrolls at 800 px: show the chart
        shoot(window, "routing")
        _dock_of(window.panels.guidelines).raise_()

        db = open_db(project)  # bring the listwise items to the front of the queue
        lists = [it.id for it in iter_items(db) if len(it.responses) > 2]
        write_routes(
            db, lists, np.zeros(len(lists)), np.full(len(lists), -1.0),
            np.ones(len(lists), dtype=bool), strategy="uncertainty", budget=0.25, seed=0,
            params={}, summary={},
        )  # fmt: skip
        db.conn.close()
        controller.queue_changed_elsewhere()
        for key in ("rank_2", "rank_1", "rank_3", "thumb_up", "rate_4"):
            controller.handle(key)
        shoot(window, "listwise")

        window.queues.setCurrentRow(1)
        pool_done(10_000)
        shoot(window, "review")

        from ui.browser.wiring import open_browser

        browser = open_browser(window, "all")
        assert browser is not None
        pool_done(10_000)
        browser.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)  # surest model labels first
        pool_done(10_000)
        shoot(browser, "browser")
        browser.close()
        window.close()
    return 0


def _dock_of(panel: QWidget) -> QDockWidget:
    """The dock a side panel sits in (inside its scroll area)."""
    widget = panel.parentWidget()
    while not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    return widget


if __name__ == "__main__":
    raise SystemExit(main())
