"""The window on small and large screens, what it remembers, and its first-run behaviour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDockWidget
from ui_helpers import make_project, pair_items, press

pytestmark = pytest.mark.gui

# Runs in a fresh process whose offscreen screen has the size asked for; prints geometries.
PROBE = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDockWidget
from ui.app import application, create_window
from ui import window_state
app = application()
settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
settings.setValue("annotator", "ana")
window = create_window(settings, theme="light")
window.open_project(Path(sys.argv[2]))
window_state.place(window, settings)
window.show()
from PySide6.QtTest import QTest
QTest.qWaitForWindowExposed(window)
QTest.qWait(300)
def rect(w):
    top_left = w.mapToGlobal(w.rect().topLeft())
    return [top_left.x(), top_left.y(), w.width(), w.height()]
docks = {d.windowTitle(): rect(d) for d in window.findChildren(QDockWidget)
         if d.isVisible() and not d.visibleRegion().isEmpty()}  # a tab in front
print(json.dumps({
    "screen": list(app.primaryScreen().availableGeometry().getRect()),
    "window": list(window.frameGeometry().getRect()),
    "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
    "docks": docks, "status": rect(window.statusBar()), "page": window.page.active,
}))
window.close()
"""


def _probe(tmp_path: Path, width: int, height: int) -> dict:  # type: ignore[type-arg]
    screen = {"name": "probe", "x": 0, "y": 0, "width": width, "height": height,
              "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}  # fmt: skip
    config = tmp_path / f"screen{width}.json"
    config.write_text(json.dumps({"windowFrameMargins": False, "screens": [screen]}))
    project = make_project(tmp_path / f"p{width}.db", pair_items(3))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / f"s{width}.ini"), str(project)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _inside(rect: list[int], area: list[int]) -> bool:
    x, y, w, h = rect
    ax, ay, aw, ah = area
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


@pytest.mark.parametrize("size", [(1024, 640), (1920, 1080)])
def test_window_opens_inside_the_screen_with_every_dock_and_the_status_bar(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    seen = _probe(tmp_path, *size)
    assert seen["screen"] == [0, 0, *size]
    assert seen["minimum"][0] < 1000
    assert _inside(seen["window"], seen["screen"])
    assert {"Project", "Routing"} <= set(seen["docks"])
    for name, rect in seen["docks"].items():
        assert _inside(rect, seen["screen"]), name
    assert _inside(seen["status"], seen["screen"])
    assert seen["page"] == "pair"
    if size == (1920, 1080):  # room to spare: the preferred size, centred
        assert seen["window"][2:] == [1280, 800]


def test_geometry_and_closed_docks_are_remembered_and_the_view_menu_reopens_them(
    window_factory, settings: QSettings, qtbot
) -> None:  # type: ignore[no-untyped-def]
    from ui import window_state

    window = window_factory()
    docks = {d.objectName(): d for d in window.findChildren(QDockWidget)}
    toggles = {a.text(): a for a in window.menus["View"].actions()}
    for dock in docks.values():  # every dock has its entry in the View menu
        assert toggles[f"Show {dock.windowTitle()} panel"] is dock.toggleViewAction()
    docks["panel-routing"].close()
    window.resize(700, 500)
    window.close()

    again = window_factory()
    window_state.place(again, settings)
    qtbot.waitUntil(lambda: again.size().width() == 700)
    routing = again.findChild(QDockWidget, "panel-routing")
    assert routing.isHidden()
    routing.toggleViewAction().trigger()
    assert routing.isVisible()


def test_first_run_focuses_the_name_and_enter_starts_labelling(
    window_factory, settings: QSettings, tmp_path: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    settings.remove("annotator")
    project = make_project(tmp_path / "p.db", pair_items(2))
    window = window_factory(project)
    qtbot.waitUntil(lambda: window.annotator.hasFocus())
    assert "Enter your name" in window.page.empty.text()
    qtbot.keyClicks(window.annotator, "zoe")
    press(window.annotator, "return")
    assert window.controller.annotator == "zoe"
    assert window.page.active == "pair"
    assert not window.annotator.hasFocus()
    item_id = window.page.pair.item_id
    press(window, "a")  # the keys now label
    assert window.page.pair.item_id != item_id


def test_cancelling_a_job_says_it_was_cancelled(window_factory, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    import threading

    window = window_factory(make_project(tmp_path / "p.db", pair_items(2)))
    release = threading.Event()

    def slow_job():  # type: ignore[no-untyped-def]
        for step in range(100):
            yield step, 100
            release.wait(0.05)

    window.jobs.start("Scoring", slow_job)
    assert not window.actions_by_id["score"].isEnabled()
    assert not window.panels.routing.score_button.isEnabled()
    qtbot.waitUntil(lambda: window.progress.maximum() == 100)
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.jobs.shown_busy)
    assert window.statusBar().currentMessage() == "Scoring cancelled."
    assert not window.progress.isVisible()
    assert not window.cancel_button.isVisible()
    assert window.actions_by_id["score"].isEnabled()


def test_time_left_is_said_once_the_rate_is_known() -> None:
    from ui.job_status import time_left_text

    assert time_left_text(0, 10, 0.0) == "0%"
    assert time_left_text(5, 10, 0.5) == "50%"  # too early to tell
    assert time_left_text(5, 10, 10.0) == "50%, about 10 s left"
    assert time_left_text(10, 10, 10.0) == "100%"
