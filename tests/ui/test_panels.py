"""Routing, agreement and guidelines panels, and the background jobs, on real project files."""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool

from labeler.store import add_items, count_items, get_guidelines, open_db, record_label
from labeler.store.meta import set_guidelines
from labeler.store.routes import RouteCounts
from labeler.types import (
    Action,
    Item,
    Label,
    PairChoice,
    PairwiseValue,
    Response,
    Route,
    Source,
    Status,
)
from ui.jobs import (
    JobError,
    agreement_job,
    import_job,
    retrain_job,
    route_job,
    routing_snapshot,
    routing_snapshot_job,
    score_job,
)
from ui.panels.agreement_panel import AgreementPanel
from ui.panels.curve_view import read_curve_csv
from ui.panels.guidelines_panel import GuidelinesPanel
from ui.panels.routing_panel import RoutingPanel
from ui.workers import JobRunner

pytestmark = pytest.mark.gui


def drain(gen: Generator[tuple[int, int], None, Any]) -> tuple[list[tuple[int, int]], Any]:
    """Drive a job to the end as a worker would; returns its progress and its result."""
    steps = []
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            return steps, stop.value


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Six pairwise items: two labelled by 'ann' (both left picks), one AI-labelled and
    reviewed, one with an AI label that 'ann' also labelled independently (agreeing)."""
    path = tmp_path / "project.db"
    db = open_db(path)
    items = [Item(f"prompt {i}", (Response(f"a{i}"), Response(f"b{i}"))) for i in range(6)]
    add_items(db, items)
    ids = [it.id for it in items]
    pair = PairwiseValue
    record_label(db, Label(ids[0], pair(PairChoice.A), Source.HUMAN, "ann", shown_order=(0, 1),
                           time_ms=6000))  # fmt: skip
    record_label(db, Label(ids[1], pair(PairChoice.B), Source.HUMAN, "ann", shown_order=(1, 0),
                           time_ms=4000))  # fmt: skip
    ai = record_label(db, Label(ids[2], pair(PairChoice.A), Source.MODEL, "rm", confidence=0.9))
    record_label(db, Label(ids[2], pair(PairChoice.A), Source.HUMAN, "ann", Action.ACCEPT,
                           shown_order=(0, 1), time_ms=2000, supersedes=ai.id))  # fmt: skip
    record_label(db, Label(ids[3], pair(PairChoice.B), Source.MODEL, "rm", confidence=0.7))
    record_label(db, Label(ids[3], pair(PairChoice.B), Source.HUMAN, "ann", shown_order=(0, 1),
                           time_ms=8000))  # fmt: skip
    db.close()
    return path


# ---- guidelines ----------------------------------------------------------------------------


def test_guidelines_render_untrusted_markup_as_text_and_load_nothing(qtbot, tmp_path) -> None:
    panel = GuidelinesPanel()
    qtbot.addWidget(panel)
    panel.set_guidelines(
        "# Prefer the helpful answer\n\n<script>alert(1)</script>\n\n<img src=http://x.test/a.png>"
        "\n\n![tracker](http://x.test/t.png)\n\n```python\nprint('hi')\n```"
    )
    panel.show()
    qtbot.waitExposed(panel)
    shown = panel.browser.toPlainText()
    assert "Prefer the helpful answer" in shown
    assert "<script>alert(1)</script>" in shown
    assert "<img src=http://x.test/a.png>" in shown
    assert "print('hi')" in shown
    assert not any(url.startswith("http") for url in panel.browser.refused)


def test_editing_guidelines_emits_the_new_text_and_it_round_trips(qtbot, project) -> None:
    db = open_db(project)
    set_guidelines(db, "Old rules")
    panel = GuidelinesPanel()
    qtbot.addWidget(panel)
    panel.guidelines_changed.connect(lambda text: set_guidelines(db, text))
    panel.set_guidelines(get_guidelines(db))
    qtbot.mouseClick(
        panel.edit_button, pytest.importorskip("PySide6.QtCore").Qt.MouseButton.LeftButton
    )
    assert panel.editing
    panel.editor.selectAll()
    qtbot.keyClicks(panel.editor, "Pick **B** when A refuses.")
    with qtbot.waitSignal(panel.guidelines_changed) as blocker:
        panel.save()
    assert blocker.args == ["Pick **B** when A refuses."]
    assert get_guidelines(db) == "Pick **B** when A refuses."
    assert not panel.editing
    assert "Pick B when A refuses." in panel.browser.toPlainText()


def test_saving_unchanged_guidelines_emits_nothing(qtbot) -> None:
    panel = GuidelinesPanel()
    qtbot.addWidget(panel)
    panel.set_guidelines("Same")
    panel.start_editing()
    with qtbot.assertNotEmitted(panel.guidelines_changed):
        panel.save()


# ---- agreement -----------------------------------------------------------------------------


def test_agreement_panel_shows_bias_agreement_review_and_time(qtbot, project) -> None:
    steps, report = drain(agreement_job(project, chunk_size=2))
    assert steps[0] == (0, 6)
    panel = AgreementPanel()
    qtbot.addWidget(panel)
    panel.show_report(report)
    bias = panel.bias_model
    rows = {bias.cell(r, 0): r for r in range(bias.rowCount())}
    assert bias.cell(rows["ann"], 1) == "66.7%"  # left+A, left+B, then B on the right
    assert bias.cell(rows["ann"], 3) == "3"
    assert "rm (AI)" in rows
    agreement = panel.agreement_model
    assert agreement.cell(0, 0) == "all AI labels"
    assert agreement.cell(0, 3) == "100.0%"
    assert "1 of 1 AI labels accepted" in panel.review_label.text()
    assert panel.time_model.cell(0, 0) == "ann"
    assert panel.time_model.cell(0, 2) == "5.0 s"  # median of 2, 4, 6, 8 s
    with qtbot.waitSignal(panel.refresh_requested):
        panel.refresh_button.click()


def test_agreement_job_runs_in_the_gui_worker(qtbot, project) -> None:
    runner = JobRunner(QThreadPool())
    results: list[Any] = []
    with qtbot.waitSignal(runner.ended, timeout=10_000):
        runner.start("agreement", lambda: agreement_job(project), on_result=results.append)
    assert results[0].overall_agreement.agree == 1


# ---- routing -------------------------------------------------------------------------------


def test_routing_panel_shows_counts_rate_and_time_left(qtbot, project) -> None:
    snapshot = drain(routing_snapshot_job(project))[1]
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(snapshot)
    assert panel.count_labels["human/done"].text() == "4"
    assert panel.count_labels["human/todo"].text() == "2"
    # 4 timed labels are too few for a rate, or a time left from it
    assert panel.rate_label.text() == "rate after 10 labels (4 so far)"
    assert panel.time_left_label.text() == "2 items; the time once the rate is known"
    assert "no estimate yet" in panel.accuracy_label.text()
    # the budget counts what routing can route: the 2 items no person labelled, not all 6
    assert panel.budget_label.text().endswith(
        "about 0 to people, of 2 pairs no person has labelled"
    )


def test_routing_panel_time_left_says_which_items_it_counts(qtbot, project) -> None:
    """The progress line counts items to label; the panel's time left adds the review queue
    and says so, so the two numbers never silently differ."""
    snapshot = drain(routing_snapshot_job(project))[1]
    assert snapshot.counts is not None
    counts = dict(snapshot.counts.counts)
    counts[(Route.REVIEW, Status.TODO)] = 3
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(replace(snapshot, counts=RouteCounts(counts, snapshot.counts.flagged)))
    assert panel.time_left_label.text() == (
        "5 items (2 to label, 3 to review); the time once the rate is known"
    )


def test_routing_panel_emits_intents(qtbot) -> None:
    panel = RoutingPanel(strategies=("margin", "random"))
    qtbot.addWidget(panel)
    panel.strategy_combo.setCurrentText("random")
    panel.budget_slider.setValue(10)  # 50%
    panel.audit_spin.setValue(10)
    with qtbot.waitSignal(panel.route_requested) as blocker:
        panel.route_button.click()
    assert blocker.args == ["random", 0.5, 0.1]
    panel.target_spin.setValue(95.0)
    with qtbot.waitSignal(panel.target_requested) as blocker:
        panel.route_button.click()
    assert blocker.args == ["random", 0.95, 0.9]
    panel.target_spin.setValue(0.0)
    assert panel.target_spin.text() == "off: use the budget"
    with qtbot.waitSignal(panel.score_requested):
        panel.score_button.click()
    with qtbot.waitSignal(panel.retrain_requested):
        panel.retrain_button.click()
    panel.set_busy(True)
    assert not panel.route_button.isEnabled()
    assert not panel.retrain_button.isEnabled()


def test_routing_curve_is_drawn_from_the_simulation_csv(qtbot, tmp_path) -> None:
    from labeler.routing.simulate import SimRow, write_csv

    rows = [
        SimRow(
            name,
            budget,
            seed,
            round(100 * budget),
            round(100 * budget),
            acc + 0.01 * seed,
            float("nan"),
            min(1.0, 0.7 + budget),
            0.7,
        )
        for seed in (0, 1)
        for name, curve in (("random", (0.70, 0.85, 1.0)), ("learned", (0.70, 0.95, 1.0)))
        for budget, acc in zip((0.0, 0.5, 1.0), curve, strict=True)
    ]
    csv_path = tmp_path / "routing_simulation.csv"
    write_csv(rows, csv_path)
    series = read_curve_csv(csv_path)
    assert series["learned"][1] == pytest.approx((0.5, 0.955))  # mean over the two seeds
    assert series["oracle"][1] == pytest.approx((0.5, 1.0))
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    panel.show_curve(series)
    panel.resize(600, 700)
    image = panel.curve.grab().toImage()
    assert panel.curve.has_curve()
    assert not image.isNull()


# ---- jobs on real files --------------------------------------------------------------------


def _jsonl(path: Path, n: int) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"prompt": f"q{i}", "response_a": f"a{i}", "response_b": f"b{i}"}))
            fh.write("\n")
    return path


def test_import_job_imports_with_progress(tmp_path) -> None:
    project = tmp_path / "p.db"
    open_db(project).close()
    steps, report = drain(import_job(project, [_jsonl(tmp_path / "d.jsonl", 50)]))
    assert report.items == 50
    assert steps[-1][0] == steps[-1][1]
    assert count_items(open_db(project)) == 50


def test_cancelled_import_leaves_the_project_unchanged(tmp_path) -> None:
    project = tmp_path / "p.db"
    open_db(project).close()
    data = _jsonl(tmp_path / "big.jsonl", 30_000)  # several batches of 5,000
    gen = import_job(project, [data])
    next(gen)
    gen.close()  # what GeneratorWorker.cancel leads to
    assert count_items(open_db(project)) == 0


def test_import_job_error_names_the_line_and_shows_it(tmp_path) -> None:
    project = tmp_path / "p.db"
    open_db(project).close()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "response_a": "a", "response_b": "b"}\n{"prompt": oops}\n')
    with pytest.raises(JobError) as info:
        drain(import_job(project, [bad]))
    assert f"{bad}:2: " in info.value.message
    assert info.value.detail == '{"prompt": oops}'


def test_cancelling_an_import_job_rolls_it_back(project: Path, tmp_path: Path) -> None:
    before = count_items(open_db(project))
    files = []
    for n in range(2):
        path = tmp_path / f"part{n}.jsonl"
        rows = [
            {"prompt": f"new {n}-{i}", "response_a": "a", "response_b": "b"} for i in range(50)
        ]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        files.append(path)
    job = import_job(project, files)
    while next(job)[0] == 0:  # until the first file is in, inside the open transaction
        pass
    job.close()  # what Cancel does
    assert count_items(open_db(project)) == before


def test_routing_snapshot_counts_match_the_store(project) -> None:
    snapshot = routing_snapshot(open_db(project))
    assert snapshot.counts is not None
    assert snapshot.counts.total == 6
    assert snapshot.strategy is None


# ---- model and routing jobs (real default model, tiny project) -----------------------------


@pytest.fixture
def model_project(tmp_path: Path) -> Path:
    path = tmp_path / "model.db"
    db = open_db(path)
    items = [
        Item(f"Explain topic {i} briefly.",
             (Response(f"Topic {i} is about the details of case {i}, explained."), Response("no")))
        for i in range(40)
    ]  # fmt: skip
    add_items(db, items)
    for item in items[:30]:
        record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "ann",
                               shown_order=(0, 1), time_ms=3000))  # fmt: skip
    db.close()
    return path


def test_retrain_needs_enough_labels(tmp_path, project) -> None:
    with pytest.raises(JobError, match="label at least"):
        drain(retrain_job(project, heads=2))


def test_retrain_score_and_route_jobs_feed_the_routing_panel(qtbot, model_project) -> None:
    from labeler.workflows.model_runs import head_scoring_steps

    steps, trained = drain(retrain_job(model_project, heads=2))
    assert "+" in trained.version  # encoder version + head version
    assert trained.folds == 5
    assert trained.longer_wins is not None
    assert "the longer response wins" in trained.summary()
    # counted to the end: 60 labelled responses to embed, then 5 folds x 8 settings, the full
    # head and 2 members
    assert {total for _done, total in steps} == {60 + 5 * 8 + 1 + 2}
    assert steps[-1] == (103, 103)
    steps, scored = drain(score_job(model_project, batch_size=16))
    assert scored.scored == 40
    # the encoder's work on the 20 responses training did not embed (short: one step each),
    # then the head's steps over the 80 responses
    assert {total for _done, total in steps} == {20 + head_scoring_steps(80)}
    assert steps[-1] == (22, 22)
    routed = drain(route_job(model_project, "margin", 0.5))[1]
    assert routed.human + routed.model + routed.review == 10
    snapshot = drain(routing_snapshot_job(model_project))[1]
    panel = RoutingPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(snapshot)
    assert panel.last_run_label.text() == "margin at 50%"
    assert panel.budget == 0.5
