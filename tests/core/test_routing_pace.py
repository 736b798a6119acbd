"""Budgets in hours: the per-item time model and the items worth people's time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labeler.db import open_db, transaction
from labeler.progress import run_steps
from labeler.routing import RoutingInput, make_strategy
from labeler.routing.pace import Pace, decide_for_hours, fit_pace, spend_hours
from labeler.store import add_items, insert_labels
from labeler.store.timing import item_chars, timed_labels
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from labeler.workflows.routing import route


def test_fit_pace_is_a_robust_line_with_a_mean_fallback() -> None:
    chars = np.arange(1, 101, dtype=np.float64) * 50
    ms = 1000 * (4 + 0.02 * chars)
    # Five labels left open for minutes (capped at five) do not bend the line.
    ms[::20] = 300_000
    pace = fit_pace(chars, ms)
    assert pace is not None
    assert abs(pace.a - 4) < 0.5
    assert abs(pace.b - 0.02) < 0.002
    assert pace.seconds(np.array([1000.0])).round(0).tolist() == [24.0]
    # Too few timed labels, or longer items no slower: every item takes the mean time.
    assert fit_pace(chars[:5], ms[:5] * 0 + 9000) == Pace(9.0, 0.0, 5)
    flat = fit_pace(chars, 1000 * (30 - 0.001 * chars))
    assert flat is not None
    assert flat.b == 0.0
    assert fit_pace(np.zeros(0), np.zeros(0)) is None


def test_spend_hours_takes_the_most_errors_per_second() -> None:
    # An item almost surely wrong but slow, against two fair chances that are quick.
    value = np.array([0.9, 0.5, 0.4, 0.1])
    seconds = np.array([60.0, 10.0, 10.0, 5.0])
    assert spend_hours(value, seconds, 20 / 3600).tolist() == [1, 2]
    # Per second: 0.015, 0.05, 0.04, 0.02. The slow sure item comes last: 85 s buy all four,
    # 84 s only the three quick ones.
    assert spend_hours(value, seconds, 85 / 3600).tolist() == [1, 2, 3, 0]
    assert spend_hours(value, seconds, 84 / 3600).tolist() == [1, 2, 3]
    assert spend_hours(value, seconds, 0.0).tolist() == []


def test_decide_for_hours_prefers_short_items_at_equal_risk() -> None:
    n = 40
    ai = np.zeros(n, dtype=np.int8)
    inp = RoutingInput(
        ai_label=ai, features=np.zeros((n, 1)), feature_names=("nothing",), margin=np.zeros(n)
    )
    seconds = np.where(np.arange(n) % 2 == 0, 10.0, 100.0)  # even items are quick
    rng = np.random.default_rng(0)
    decision = decide_for_hours(make_strategy("learned"), inp, seconds, 100 / 3600, rng)
    assert all(i % 2 == 0 for i in decision.human_order)
    assert len(decision.human_order) == 10
    assert decision.info["planned_hours"] == round(100 / 3600, 3)
    # A strategy without error chances follows its own queue until the hours are spent.
    decision = decide_for_hours(make_strategy("margin"), inp, seconds, 220 / 3600, rng)
    assert float(seconds[decision.human_order].sum()) <= 220


def test_route_in_hours_on_a_project_with_timed_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 200
    items = [
        Item(prompt=f"q{i}", responses=(Response("x" * (20 + 40 * (i % 10))), Response(f"b{i}")))
        for i in range(n)
    ]
    db = open_db(tmp_path / "p.db")
    add_items(db, items)
    ids = [it.id for it in items]
    chars = item_chars(db, ids)
    truth = rng.random(n) < 0.5
    choice = (PairChoice.A, PairChoice.B)
    labels = [
        Label(ids[i], PairwiseValue(choice[int(truth[i])]), Source.HUMAN, "ann",
              time_ms=int(3000 + 20 * chars[i]))
        for i in range(40)
    ]  # fmt: skip
    judge = np.where(rng.random(n) < 0.8, truth, ~truth)
    labels += [
        Label(ids[i], PairwiseValue(choice[int(judge[i])]), Source.MODEL, "judge")
        for i in range(n)
    ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    timed_chars, ms = timed_labels(db)
    assert len(ms) == 40
    pace = fit_pace(timed_chars, ms)
    assert pace is not None
    assert abs(pace.b - 0.02) < 1e-6  # the project's own pace: 3 s plus 20 ms a character
    report = run_steps(route(db, budget=0.25, hours=0.25))
    planned = float(report.summary_dict["planned_hours"])
    assert 0.2 < planned <= 0.25
    human = [r[0] for r in db.conn.execute("SELECT id FROM items WHERE route = 'human'")]
    unlabelled = set(ids[40:])
    assert report.human == len([i for i in human if i in unlabelled])
    seconds = pace.seconds(item_chars(db, [i for i in human if i in unlabelled]))
    assert float(seconds.sum()) <= 0.25 * 3600
