"""Several judges into one AI label: the Dawid-Skene consensus, on a hand-made case, on
simulated judges, and as the AI source of a real project when it agrees with people best."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labeler.db import open_db, transaction
from labeler.progress import run_steps
from labeler.routing.aggregate import CONSENSUS, consensus
from labeler.store import add_items, insert_labels
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from labeler.workflows.routing import route


def test_consensus_on_a_hand_made_case() -> None:
    # Two judges agree on every item; the third goes its own way on items 2 and 5, and
    # says nothing (-2) or ties (-1) on items 6 and 7. Nobody votes on item 8.
    opinions = {
        "j1": np.array([0, 1, 0, 1, 0, 1, 0, 1, -2], dtype=np.int8),
        "j2": np.array([0, 1, 0, 1, 0, 1, 0, 1, -1], dtype=np.int8),
        "j3": np.array([0, 1, 1, 1, 0, 0, -2, -1, -2], dtype=np.int8),
    }
    fitted = consensus(opinions)
    assert fitted is not None
    codes, p_b, sources = fitted
    assert sources == ("j1", "j2", "j3")
    assert codes.tolist() == [0, 1, 0, 1, 0, 1, 0, 1, -2]
    assert np.isnan(p_b[8])
    # Where all three agree the consensus is surer than where one dissents.
    assert p_b[1] > p_b[5] > 0.5
    assert p_b[0] < p_b[2] < 0.5
    # One source is nothing to combine; a trained source is left out.
    assert consensus({"j1": opinions["j1"]}) is None
    assert consensus(opinions, exclude={"j3", "j2"}) is None


def simulated_judges(n: int, accuracies: tuple[float, ...], seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n).astype(np.int8)
    opinions = {
        f"judge{j}": np.where(rng.random(n) < acc, truth, 1 - truth).astype(np.int8)
        for j, acc in enumerate(accuracies)
    }
    return truth, opinions


def test_consensus_of_independent_judges_beats_the_best_one() -> None:
    truth, opinions = simulated_judges(600, (0.8, 0.72, 0.7, 0.68, 0.65), seed=0)
    fitted = consensus(opinions)
    assert fitted is not None
    best = max(float(np.mean(v == truth)) for v in opinions.values())
    assert float(np.mean(fitted[0] == truth)) > best + 0.02


def make_project(path: Path, n: int, n_human: int) -> list[str]:
    """``n`` items, people's labels on the first ``n_human``, five simulated judges."""
    truth, opinions = simulated_judges(n, (0.75, 0.72, 0.7, 0.7, 0.68), seed=1)
    items = [
        Item(prompt=f"q{i}", responses=(Response(f"a{i}"), Response(f"b{i} " * (1 + i % 4))))
        for i in range(n)
    ]
    db = open_db(path)
    add_items(db, items)
    choice = (PairChoice.A, PairChoice.B)
    labels = [
        Label(it.id, PairwiseValue(choice[int(truth[i])]), Source.HUMAN, "ann")
        for i, it in enumerate(items[:n_human])
    ]
    labels += [
        Label(it.id, PairwiseValue(choice[int(codes[i])]), Source.MODEL, name)
        for name, codes in opinions.items()
        for i, it in enumerate(items)
    ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    db.conn.close()
    return [it.id for it in items]


def test_route_chooses_and_stores_the_consensus_when_it_agrees_with_people_best(
    tmp_path: Path,
) -> None:
    ids = make_project(tmp_path / "p.db", n=300, n_human=100)
    db = open_db(tmp_path / "p.db")
    report = run_steps(route(db, budget=0.1))
    assert report.ai_source == CONSENSUS
    assert "agrees with people" in report.ai_reason
    # The accepted consensus is a stored model label of every item not sent to people...
    stored = dict(
        db.conn.execute(
            "SELECT item_id, count(*) FROM labels WHERE annotator = ? GROUP BY item_id",
            (CONSENSUS,),
        ).fetchall()
    )
    routes = dict(db.conn.execute("SELECT id, route FROM items").fetchall())
    unlabelled = ids[100:]
    assert all(stored.get(i) == 1 for i in unlabelled if routes[i] != "human")
    assert all(i not in stored for i in ids[:100])
    # ... and the one that counts for those items.
    trusted = db.conn.execute(
        "SELECT count(*) FROM items WHERE ai_source = ? AND route = 'model'", (CONSENSUS,)
    ).fetchone()[0]
    assert trusted == sum(routes[i] == "model" for i in unlabelled)
    # Routing again stores no second copy of an unchanged consensus.
    run_steps(route(db, budget=0.1))
    again = db.conn.execute(
        "SELECT count(*) FROM labels WHERE annotator = ?", (CONSENSUS,)
    ).fetchone()[0]
    assert again == sum(stored.values())
