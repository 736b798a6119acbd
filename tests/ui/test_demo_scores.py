"""The demo's model is trained and scores every item in the background on its first opening;
a second opening finds it scored and starts nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.db import open_db
from labeler.demo import add_bundled_labels, create_demo_project
from labeler.workflows.model_runs import model_work_left
from ui.demo_scores import JOB_NAME, demo_needs_model, score_demo_in_background

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_the_demo_is_scored_once_then_opens_scored(window_factory, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = tmp_path / "demo.db"
    db = create_demo_project(project)
    add_bundled_labels(db)
    db.conn.close()
    assert demo_needs_model(project)

    first = window_factory(project)
    seen: list[tuple[str, int, int]] = []
    first.jobs.progressed.connect(lambda name, done, total: seen.append((name, done, total)))
    score_demo_in_background(first)
    assert JOB_NAME in first.jobs.running_names()
    qtbot.waitUntil(lambda: not first.jobs.shown_busy, timeout=600_000)
    assert "cross-validated accuracy" in first.statusBar().currentMessage()
    # the training's cross-validated accuracy and both baselines stay readable under Routing
    kept = first.panels.routing.results.labels["Demo model"].text()
    assert "cross-validated accuracy" in kept
    assert "response length alone" in kept
    assert "scored 314 items" in kept
    # one determinate count over training and scoring, to its end
    assert {name for name, _, _ in seen} == {JOB_NAME}
    assert len({total for _, _, total in seen}) == 1
    assert seen[-1][1] == seen[-1][2]

    db = open_db(project)
    assert model_work_left(db) == (False, 0)
    labels = db.conn.execute(
        "SELECT count(DISTINCT item_id) FROM labels WHERE annotator = 'prefmark-default'"
    ).fetchone()[0]
    db.conn.close()
    assert labels == 314  # a model suggestion on every item

    second = window_factory(project)
    assert not demo_needs_model(project)
    score_demo_in_background(second)
    assert JOB_NAME not in second.jobs.running_names()
