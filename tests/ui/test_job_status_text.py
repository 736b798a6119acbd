"""The job's progress text fits one line inside the bar at 1024x640: its numbers whole, a long
job name elided before them, and the whole text in the bar's tooltip."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from ui_helpers import make_project, pair_items

from ui.demo_scores import JOB_NAME

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(
    "name", [JOB_NAME, "Training and scoring the demo's model with every response it holds"]
)
def test_progress_text_fits_the_bar_in_one_line(
    window_factory, tmp_path: Path, qtbot, name: str
) -> None:  # type: ignore[no-untyped-def]
    window = window_factory(make_project(tmp_path / "p.db", pair_items(2)))
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.width() == 1024)
    release = threading.Event()

    def job():  # type: ignore[no-untyped-def]
        for step in range(0, 100):
            yield step, 100
            release.wait(0.03)

    window.jobs.start(name, job)
    try:
        # the time left shows once a second of counting has passed
        qtbot.waitUntil(lambda: "left" in window.progress.toolTip(), timeout=20_000)
        bar = window.progress
        text = bar.text()
        room = bar.contentsRect().width()
        assert bar.fontMetrics().horizontalAdvance(text) <= room
        assert bar.fontMetrics().boundingRect(text).height() <= bar.contentsRect().height()
        assert "\n" not in text
        assert text.endswith(" s left")  # the numbers are never elided
        whole = bar.toolTip()
        assert whole.startswith(f"{name.capitalize()}: ")
        assert whole.endswith(text.split(": ")[-1])
        if name == JOB_NAME:
            assert text == whole  # the demo's job says it all at 1024 px
        else:
            assert "…" in text
        # narrower (a smaller window): still one line, re-elided at once
        bar.setMaximumWidth(180)
        qtbot.waitUntil(lambda: bar.width() <= 180)
        assert bar.fontMetrics().horizontalAdvance(bar.text()) <= bar.contentsRect().width()
    finally:
        release.set()
        window.jobs.cancel()
        deadline = time.monotonic() + 10
        qtbot.waitUntil(lambda: not window.jobs.shown_busy or time.monotonic() > deadline)
