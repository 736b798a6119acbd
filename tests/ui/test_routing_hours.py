"""A budget in hours in the routing panel, an honest labelling rate, and honest queue counts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ui_helpers import make_project

from labeler.agreement import MIN_TIMED_FOR_RATE
from labeler.db import open_db, transaction
from labeler.hours_budget import HoursPreview, hours_preview
from labeler.store import insert_labels
from labeler.store.routes import route_counts
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Route, Source, Status
from ui.jobs import routing_snapshot
from ui.panels.budget_chooser import HOURS, hours_text
from ui.panels.routing_panel import RoutingPanel
from ui.views.queue_progress import progress_text

pytestmark = pytest.mark.gui


def _items(n: int) -> list[Item]:
    """Pairs of different lengths, so an hour buys more short items than long ones."""
    return [
        Item(f"q{i}", (Response("x" * (20 + 40 * (i % 10))), Response(f"b{i}"))) for i in range(n)
    ]


def _timed_project(path: Path, n: int, timed: int, judged: bool = True) -> Path:
    """``n`` items; ``timed`` of them labelled by a person who takes 3 s plus 20 ms a
    character; with ``judged`` every item also has a judge's verdict to route by."""
    items = _items(n)
    make_project(path, items)
    db = open_db(path)
    rng = np.random.default_rng(0)
    truth = rng.random(n) < 0.5
    choice = (PairChoice.A, PairChoice.B)
    labels = [
        Label(items[i].id, PairwiseValue(choice[int(truth[i])]), Source.HUMAN, "ana",
              time_ms=3000 + 20 * len(items[i].responses[0].text))
        for i in range(timed)
    ]  # fmt: skip
    if judged:
        judge = np.where(rng.random(n) < 0.8, truth, ~truth)
        labels += [
            Label(items[i].id, PairwiseValue(choice[int(judge[i])]), Source.MODEL, "judge")
            for i in range(n)
        ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    db.close()
    return path


def test_an_hours_budget_says_what_it_buys_and_routes_by_the_same_rule(
    window_factory, tmp_path: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    project = _timed_project(tmp_path / "p.db", 200, 40)
    db = open_db(project, readonly=True)
    preview = hours_preview(db)
    db.close()
    assert preview.by_length
    assert preview.timed == 40
    assert preview.items == 160
    window = window_factory(project)
    panel = window.panels.routing
    panel.budget_chooser.kind_combo.setCurrentText(HOURS)
    assert panel.budget_chooser.hours_spin.singleStep() == 0.25
    panel.budget_chooser.hours_spin.setValue(0.25)
    label = panel.budget_label
    qtbot.waitUntil(lambda: "at your pace of" in label.text(), timeout=10_000)
    items = preview.items_for(0.25)
    per_item = f"{preview.seconds_per_item:,.0f} s per item"
    assert label.text() == (
        f"about {items:,} for people, of 160 pairs no person has labelled, at your pace of "
        f"{per_item} (longer items take longer)"
    )
    panel.route_button.click()
    qtbot.waitUntil(lambda: "planned" in panel.last_run_label.text(), timeout=30_000)
    db = open_db(project, readonly=True)
    summary = json.loads(
        db.conn.execute("SELECT summary FROM routing_runs ORDER BY id DESC").fetchone()[0]
    )
    human = route_counts(db).route_total(Route.HUMAN)
    db.close()
    assert 0.2 < summary["planned_hours"] <= 0.25  # the workflow's own knapsack filled them
    assert human == 40 + summary["human"]  # the labelled 40 stay with people
    minutes = round(summary["planned_hours"] * 60)
    assert panel.last_run_label.text() == (
        f"learned in hours: {summary['human']:,} items, about {minutes} min of labelling planned"
    )
    assert panel.curve._marker is None  # the share marker means nothing for hours
    reopened = RoutingPanel()  # the next session starts from the last run's hours
    qtbot.addWidget(reopened)
    reopened.show_snapshot(panel.snapshot)
    assert reopened.budget_chooser.in_hours
    assert reopened.budget_chooser.hours == 0.25


def test_an_hours_budget_without_enough_timed_labels_says_so(tmp_path: Path) -> None:
    none = _timed_project(tmp_path / "none.db", 30, 0)
    few = _timed_project(tmp_path / "few.db", 30, 3)
    texts = []
    for project in (none, few):
        db = open_db(project, readonly=True)
        texts.append(hours_text(1.0, hours_preview(db)))
        db.close()
    assert texts[0].startswith("pace unknown: no timed labels yet")
    assert "mean pace of your 3 timed labels" in texts[1]
    assert texts[1].endswith("a rough guess until there are more")
    mean = hours_text(1.0, HoursPreview(30.0, 12, False, 500))
    assert mean == (
        "about 120 for people, of 500 pairs no person has labelled, at the mean pace of your 12 "
        "timed labels, 30 s per item; item length counts after 20 timed labels"
    )


@pytest.mark.parametrize("timed", [2, 12])
def test_the_rate_waits_for_enough_timed_labels(qtbot, tmp_path: Path, timed: int) -> None:
    project = _timed_project(tmp_path / "p.db", 30, timed, judged=False)
    db = open_db(project, readonly=True)
    spent = db.conn.execute("SELECT sum(time_ms) FROM labels").fetchone()[0]
    snapshot = routing_snapshot(db)
    db.close()
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(snapshot)
    line = progress_text(snapshot.counts, snapshot.labels_per_hour, Route.HUMAN, timed)[0]
    if timed < MIN_TIMED_FOR_RATE:
        assert snapshot.labels_per_hour is None
        assert panel.rate_label.text() == f"rate after 10 labels ({timed} so far)"
        assert "/ h" not in line
        assert " left" not in line
        assert line.endswith("rate after 10 labels (2 so far)")
        assert panel.time_left_label.text() == "28 items; the time once the rate is known"
    else:
        per_hour = 3_600_000 * timed / spent
        assert panel.rate_label.text() == f"{per_hour:,.0f} / h"
        assert f"{per_hour:,.0f} / h" in line
        assert line.endswith(" left")
        assert panel.time_left_label.text().endswith("for 18 items")


def test_the_sidebar_counts_match_the_browser_and_the_routing_panel(
    window_factory, tmp_path: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    """Done items include the model's: the sidebar says how many, as the browser lists them."""
    from ui.browser.wiring import open_browser

    project = _timed_project(tmp_path / "p.db", 60, 12)
    db = open_db(project)
    routes = ((40, 60, "model", "done"), (30, 40, "review", "todo"), (28, 30, "review", "done"))
    for first, last, route, status in routes:
        db.conn.execute(
            "UPDATE items SET route = ?, status = ? WHERE seq > ? AND seq <= ?",
            (route, status, first, last),
        )
    db.conn.commit()
    counts = route_counts(db)
    db.close()
    model_done = counts.get(Route.MODEL, Status.DONE)
    done = counts.status_total(Status.DONE)
    assert (model_done, done) == (20, 34)
    window = window_factory(project)
    qtbot.waitUntil(lambda: window.queues.item(2).text() != "Done: –")
    sidebar = [window.queues.item(row).text() for row in range(window.queues.count())]
    assert sidebar[:3] == ["To label: 16", "To review: 10", "Done: 34 (20 by the model)"]
    panel = window.panels.routing
    qtbot.waitUntil(lambda: panel.count_labels["model/done"].text() == "20")

    browser = open_browser(window, "done")
    assert browser is not None

    def listed() -> int:
        qtbot.waitUntil(lambda: "records" not in window.jobs.running_names())
        return browser.model.rowCount()

    qtbot.waitUntil(lambda: listed() == 34)
    browser.route.setCurrentText(Route.MODEL.value)
    qtbot.waitUntil(lambda: listed() == 20)
    browser.show_list("to_review")
    qtbot.waitUntil(lambda: listed() == 10)
    assert panel.count_labels["review/todo"].text() == "10"
    assert panel.count_labels["human/todo"].text() == "16"
    browser.close()


def test_too_few_timed_labels_show_no_rate_anywhere_and_widen_nothing(
    window_factory, tmp_path: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from labeler.store.labels import agreement_report
    from ui.panels.agreement_panel import AgreementPanel

    project = _timed_project(tmp_path / "p.db", 30, 2, judged=False)
    db = open_db(project, readonly=True)
    report = agreement_report(db)
    db.close()
    text = AgreementPanel._summary_text(report)
    assert "Team rate after 10 labels (2 so far)." in text
    assert "/ h" not in text
    window = window_factory(project)
    window.resize(1024, 640)
    panel = window.panels.routing
    qtbot.waitUntil(lambda: panel.rate_label.text() == "rate after 10 labels (2 so far)")
    line = window.page.progress.text
    qtbot.waitUntil(lambda: "rate after 10 labels" in line.text().replace("\u00a0", " "))
    for label in (panel.rate_label, panel.time_left_label):  # they wrap: never wider
        assert label.minimumSizeHint().width() < label.fontMetrics().horizontalAdvance(
            label.text()
        )
    wide = panel.minimumSizeHint().width()
    panel.show_snapshot(replace(panel.snapshot, labels_per_hour=180.0, timed_labels=12))
    assert panel.rate_label.text() == "180 / h"
    assert panel.minimumSizeHint().width() == wide  # the long words wrap, the panel stays


def test_a_job_that_ends_at_once_still_says_it_ended(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The routing numbers refresh one at a time, the next when one ends: an end signal
    missed because the job was quicker than its connection froze them for good."""
    import time

    from PySide6.QtCore import QThreadPool

    from ui.workers import JobRunner, one_shot

    runner = JobRunner(QThreadPool())
    ended: list[bool] = []
    runner.start("quick", one_shot(lambda: 1), quiet=True, on_finished=lambda: ended.append(True))
    time.sleep(0.3)  # the job is over before the GUI thread looks again
    qtbot.waitUntil(lambda: ended == [True], timeout=5000)
