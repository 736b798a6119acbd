"""Screenshots of the app on the bundled demo, at 1280x800, for the README.

    xvfb-run -s "-screen 0 1280x800x24" python docs/make_screenshots.py   # real X server
    python docs/make_screenshots.py                                       # offscreen fallback

Writes docs/pairwise.png, docs/listwise.png, docs/review.png (and docs/routing.png when the
routing panel is present). Settings and the project live in a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
elif "QT_QPA_PLATFORM" not in os.environ:
    os.environ["QT_QPA_PLATFORM"] = "xcb"

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from labeler.db import open_db
from labeler.demo import create_demo_project
from labeler.store import iter_items, record_label
from labeler.store.routing_queries import write_routes
from labeler.types import Label, PairChoice, PairwiseValue, Source

DOCS = Path(__file__).resolve().parent
SIZE = (1280, 800)


def build_demo(folder: Path) -> Path:
    """The demo project plus a few items routed to review with a model label to check."""
    path = folder / "demo.db"
    db = create_demo_project(path)
    pairs = [it for it in iter_items(db) if len(it.responses) == 2][:6]
    for n, item in enumerate(pairs):
        choice = PairChoice.A if n % 2 == 0 else PairChoice.B
        record_label(
            db,
            Label(item.id, PairwiseValue(choice), Source.MODEL, "prefmark-default",
                  model_version="minilm-bt-1", confidence=0.62 + 0.05 * n),
        )  # fmt: skip
    ids = [it.id for it in pairs]
    write_routes(
        db, ids, np.full(len(ids), 2), np.arange(len(ids), dtype=float),
        np.ones(len(ids), dtype=bool), strategy="uncertainty", budget=0.25, seed=0,
        params={}, summary={},
    )  # fmt: skip
    db.conn.close()
    return path


def shoot(window, name: str) -> Path:  # type: ignore[no-untyped-def]
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
        project = build_demo(folder)
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

        panels = getattr(window, "panels", {})
        if "routing" in panels:
            dock = panels["routing"].parentWidget()
            dock.raise_()
            pool_done(10_000)
            shoot(window, "routing")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
