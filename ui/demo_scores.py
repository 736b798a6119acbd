"""The demo opens at once; meanwhile its default model trains on the labels the demo ships
with and scores every item, once. From then on the demo opens with the model's scores and
suggestions already there."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labeler.db import open_db
from labeler.workflows.model_runs import model_work_left, train_and_score
from ui.jobs import JobGen
from ui.panels.job_results import short_form

if TYPE_CHECKING:
    from ui.main_window import MainWindow

JOB_NAME = "Training the demo's model"  # and scoring with it: short, to fit the bar


def demo_needs_model(path: Path) -> bool:
    """Whether the demo project still lacks a trained model or some of its scores."""
    db = open_db(path, create=False, readonly=True)
    try:
        untrained, unscored = model_work_left(db)
    finally:
        db.conn.close()
    return untrained or unscored > 0


def demo_model_job(db_path: Path) -> JobGen[Any]:
    """Train (if needed) and score the demo on its own connection, leaving a core free."""
    db = open_db(db_path, create=False)
    try:
        return (yield from train_and_score(db, interactive=True))
    finally:
        db.conn.close()


def score_demo_in_background(window: MainWindow) -> None:
    """Start the demo's model job when the open demo project still needs it."""
    path = window.controller.path
    if path is None or not demo_needs_model(Path(path)):
        return

    def done(report: Any) -> None:
        window.panels.routing.results.show_result("Demo model", report.summary())
        window.statusBar().showMessage(short_form(report.summary()), 15000)
        window.controller.queue_changed_elsewhere()

    def failed(exc: Exception) -> None:
        text = getattr(exc, "message", None) or str(exc)
        window.statusBar().showMessage(f"{JOB_NAME} failed: {text}")

    window.jobs.start(JOB_NAME, partial(demo_model_job, Path(path)), done, failed)
