"""Routing on a real project file: judge import, routes in the store, the audit summary, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.routing import routing_summary
from labeler.store import add_items, insert_labels, next_item, record_label
from labeler.store.routes import routing_arrays
from labeler.types import Action, Item, Label, PairChoice, PairwiseValue, Response, Source

N = 120


def make_project(path: Path, n_human: int = 0) -> list[str]:
    rng = np.random.default_rng(0)
    items = [
        Item(
            prompt=f"question {i}",
            responses=(
                Response("short " * int(rng.integers(1, 5))),
                Response("a longer answer " * int(rng.integers(1, 9))),
            ),
            metadata={"idx": i, "category": "code" if i % 3 else "chat"},
        )
        for i in range(N)
    ]
    db = open_db(path)
    add_items(db, items)
    humans = [
        Label(it.id, PairwiseValue(PairChoice.B if i % 4 else PairChoice.A), Source.HUMAN, "ann")
        for i, it in enumerate(items[:n_human])
    ]
    with transaction(db.conn):
        insert_labels(db.conn, humans)
    db.conn.close()
    return [it.id for it in items]


def write_judge(path: Path, swapped: bool = False) -> None:
    verdicts = ["1", "2", "Tie", "garbage", "2", "2"]
    records = [
        {"idx": i, "gpt_result": verdicts[i % len(verdicts)], "gpt_reason": "because"}
        for i in range(N)
    ]
    path.write_text(json.dumps(records))


def test_judge_verdicts_become_model_labels_with_provenance(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    ids = make_project(project)
    write_judge(tmp_path / "gpt.json")
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "route",
            str(project),
            "--import-judge",
            str(tmp_path / "gpt.json"),
            "--judge-name",
            "gpt-3.5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "imported 100 verdicts" in result.output
    assert "20 unusable" in result.output
    swapped = runner.invoke(
        main,
        [
            "route",
            str(project),
            "--import-judge",
            str(tmp_path / "gpt.json"),
            "--judge-name",
            "gpt-3.5",
            "--swapped",
        ],
    )
    assert swapped.exit_code == 0, swapped.output
    arrays = routing_arrays(open_db(project))
    assert set(arrays.opinions) == {"gpt-3.5", "gpt-3.5@swapped"}
    first = arrays.opinions["gpt-3.5"][ids.index(ids[0])]
    assert first == 0  # "1" = response A
    assert arrays.opinions["gpt-3.5@swapped"][0] == 1  # shown swapped: "1" was response B
    assert arrays.opinions["gpt-3.5"][2] == -1  # tie
    assert arrays.opinions["gpt-3.5"][3] == -2  # garbage: no label at all


def test_bad_judge_mapping_is_a_one_line_error(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project)
    write_judge(tmp_path / "gpt.json")
    result = CliRunner().invoke(
        main,
        [
            "route",
            str(project),
            "--import-judge",
            str(tmp_path / "gpt.json"),
            "--judge-name",
            "g",
            "--map",
            "1=first,2=second",
        ],
    )
    assert result.exit_code == 1
    assert "not in the map" in result.output


@pytest.mark.parametrize("strategy", ["margin", "learned", "random"])
def test_route_writes_the_human_queue_and_leaves_labelled_items_alone(
    tmp_path: Path, strategy: str
) -> None:
    project = tmp_path / "p.db"
    ids = make_project(project, n_human=20)
    write_judge(tmp_path / "gpt.json")
    runner = CliRunner()
    runner.invoke(
        main,
        [
            "route",
            str(project),
            "--import-judge",
            str(tmp_path / "gpt.json"),
            "--judge-name",
            "gpt-3.5",
        ],
    )
    result = runner.invoke(
        main,
        [
            "route",
            str(project),
            "--strategy",
            strategy,
            "--budget",
            "0.25",
            "--audit",
            "0.1",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "25 to humans" in result.output  # round(0.25 * 100 unlabelled items)
    db = open_db(project)
    rows = db.conn.execute("SELECT id, route, status, priority FROM items").fetchall()
    state = {r[0]: r[1:] for r in rows}
    assert all(state[i][1] == "done" for i in ids[:20])  # human-labelled: untouched
    human = [r for r in rows if r[1] == "human" and r[2] == "todo"]
    assert len(human) == 25
    review = [r for r in rows if r[1] == "review"]
    assert len(review) == round(0.1 * 75)
    # model items with an AI label are done; the ones without (garbage verdicts) stay todo
    model_todo = [r for r in rows if r[1] == "model" and r[2] == "todo"]
    assert all(r[0] not in ids[:20] for r in model_todo)
    first = next_item(db)
    assert first is not None
    assert state[first[0].id][2] == min(r[3] for r in human)
    run = db.conn.execute("SELECT strategy, budget, seed FROM routing_runs").fetchall()
    assert run == [(strategy, 0.25, 3)]


def test_routing_summary_estimates_quality_from_reviews(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_human=10)
    write_judge(tmp_path / "gpt.json")
    runner = CliRunner()
    runner.invoke(
        main,
        [
            "route",
            str(project),
            "--import-judge",
            str(tmp_path / "gpt.json"),
            "--judge-name",
            "gpt-3.5",
        ],
    )
    runner.invoke(
        main, ["route", str(project), "--strategy", "margin", "--budget", "10", "--audit", "0.3"]
    )
    db = open_db(project)
    assert routing_summary(db)["quality"] is None
    review = db.conn.execute(
        "SELECT l.item_id, l.id, l.value FROM items i JOIN labels l ON l.item_id = i.id "
        "WHERE i.route = 'review' AND l.source = 'model'"
    ).fetchall()
    for k, (item_id, label_id, value) in enumerate(review):
        if k % 5 == 0:  # a human overrides one in five
            choice = PairChoice.A if json.loads(value)["choice"] == "b" else PairChoice.B
            record_label(
                db,
                Label(
                    item_id,
                    PairwiseValue(choice),
                    Source.HUMAN,
                    "ann",
                    action=Action.OVERRIDE,
                    supersedes=label_id,
                ),
            )
        else:
            record_label(
                db,
                Label(
                    item_id,
                    PairwiseValue(PairChoice(json.loads(value)["choice"])),
                    Source.HUMAN,
                    "ann",
                    action=Action.ACCEPT,
                    supersedes=label_id,
                ),
            )
    summary = routing_summary(db)
    q = summary["quality"]
    assert summary["audited"] == len(review)
    assert summary["confirmed"] == len(review) - len(range(0, len(review), 5))
    lo, hi = q["ai_interval"]
    assert lo < q["ai_accuracy"] < hi
    assert q["hybrid_interval"][0] <= q["hybrid_accuracy"] <= q["hybrid_interval"][1]
    assert q["more_audits"] is not None
    assert q["more_audits"] > 0
    assert summary["last_run"]["strategy"] == "margin"


def test_route_without_ai_labels_is_a_clear_error(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project)
    result = CliRunner().invoke(main, ["route", str(project)])
    assert result.exit_code == 1
    assert "no model labels" in result.output
