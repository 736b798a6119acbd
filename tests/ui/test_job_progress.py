"""A model job in the app counts from its first step to its last: the status bar never falls
back to a busy bar that cannot say how far along it is."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from labeler.demo import add_bundled_labels, create_demo_project

pytestmark = pytest.mark.gui


def test_training_shows_a_counting_bar_to_the_end(window_factory, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "demo.db"
    db = create_demo_project(project)
    add_bundled_labels(db, voted_pairs=30)  # 30 items with people's votes: enough to train
    db.conn.close()
    window = window_factory(project)
    seen: list[tuple[int, int, int]] = []
    window.jobs.progressed.connect(
        lambda _name, done, total: seen.append((done, total, window.progress.maximum()))
    )
    window.actions_by_id["train"].trigger()
    assert window.progress.maximum() > 0  # determinate before the first count arrives
    qtbot.waitUntil(lambda: not window.jobs.shown_busy, timeout=120_000)
    assert "trained" in window.statusBar().currentMessage()
    assert seen
    assert all(total > 0 and shown == total for _, total, shown in seen)
    assert seen[-1][0] == seen[-1][1]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
