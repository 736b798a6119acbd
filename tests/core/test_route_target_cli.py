"""``prefmark route --target-accuracy`` and ``--budget 3h`` on a real project file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.store import add_items, insert_labels
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source

N = 400


def _choice(b: bool) -> PairwiseValue:
    return PairwiseValue(PairChoice.B if b else PairChoice.A)


def make_project(path: Path, timed: bool = False) -> np.ndarray:
    """N pairs, 20 labelled by people (30 s each when ``timed``), a judge right 85% of the
    time; returns the truth."""
    rng = np.random.default_rng(4)
    items = [
        Item(prompt=f"q{i}", responses=(Response(f"a {i}"), Response("b " * (i % 9 + 1))))
        for i in range(N)
    ]
    truth = rng.random(N) < 0.5
    judge = np.where(rng.random(N) < 0.85, truth, ~truth)
    db = open_db(path)
    add_items(db, items)
    labels = [
        Label(it.id, _choice(bool(truth[i])), Source.HUMAN, "ann",
              time_ms=30_000 if timed else None)
        for i, it in enumerate(items[:20])
    ]  # fmt: skip
    labels += [
        Label(it.id, _choice(bool(judge[i])), Source.MODEL, "judge") for i, it in enumerate(items)
    ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    db.conn.close()
    return truth


def review_audit(path: Path, truth: np.ndarray) -> int:
    """People review every audit item, giving the true choice; returns how many."""
    db = open_db(path)
    order = {r[0]: r[1] for r in db.conn.execute("SELECT id, seq FROM items")}
    seqs = sorted(order.values())
    audit = [r[0] for r in db.conn.execute("SELECT id FROM items WHERE route = 'review'")]
    labels = [
        Label(item_id, _choice(bool(truth[seqs.index(order[item_id])])), Source.HUMAN, "rev")
        for item_id in audit
    ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    db.conn.close()
    return len(audit)


def test_target_accuracy_shows_the_trade_off_and_routes_the_planned_count(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    truth = make_project(project)
    runner = CliRunner()
    none = runner.invoke(main, ["route", str(project), "--target-accuracy", "0.95"])
    assert none.exit_code == 1
    assert "needs a random audit of AI labels that people have reviewed" in none.output
    first = runner.invoke(main, ["route", str(project), "--budget", "0", "--audit", "0.3"])
    assert first.exit_code == 0, first.output
    audited = review_audit(project, truth)
    assert audited == round(0.3 * (N - 20))
    args = ["route", str(project), "--target-accuracy", "0.95", "--confidence", "0.9"]
    preview = runner.invoke(main, [*args, "--preview"])
    assert preview.exit_code == 0, preview.output
    text = preview.output
    assert "To be at least 95% accurate with 90% confidence:" in text
    assert f"random audit of {audited} AI labels" in text
    assert "<- plan" in text
    assert "not written: preview" in text
    planned = int(text.split("confidence: ")[1].split(" of ")[0])
    rest = N - 20 - audited
    # The judge is ~85% right: well below 95% alone, so people must take a real share,
    # but far from all of it.
    assert 0 < planned < rest
    assert f"{planned} to humans" in text
    routed = runner.invoke(main, args)
    assert routed.exit_code == 0, routed.output
    assert f"{planned} to humans, {rest - planned} to the model" in routed.output


def test_budget_in_hours_uses_the_measured_pace(tmp_path: Path) -> None:
    runner = CliRunner()
    untimed = tmp_path / "u.db"
    make_project(untimed)
    bad = runner.invoke(main, ["route", str(untimed), "--budget", "1h"])
    assert bad.exit_code == 1
    assert "needs timed labels" in bad.output
    timed = tmp_path / "t.db"
    make_project(timed, timed=True)
    # 30 s per label: 120 labels an hour; half an hour is 60 items.
    ok = runner.invoke(main, ["route", str(timed), "--budget", "30m", "--strategy", "margin"])
    assert ok.exit_code == 0, ok.output
    assert "margin: 60 to humans" in ok.output
    wrong = runner.invoke(main, ["route", str(timed), "--budget", "three hours"])
    assert wrong.exit_code == 2
    assert "give a fraction, a count, or hours such as 3h" in wrong.output
