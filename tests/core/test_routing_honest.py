"""The simulation's numbers are honest: a model trained on the project's human labels is never
scored on them, ``--human`` replays only that person's items, and the AI is chosen apart from
the items it is scored on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from labeler.db import open_db, transaction
from labeler.routing.crossfit import cross_fit
from labeler.store import add_items, insert_labels
from labeler.store.embeddings import write_embeddings
from labeler.store.reward_models import register_model
from labeler.store.routes import routing_arrays
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from labeler.workflows.base import WorkflowError
from labeler.workflows.simulation import simulation_setup

N = 150
TRAINED = "minilm-test+bt8-test"


def _choice(b: bool) -> PairwiseValue:
    return PairwiseValue(PairChoice.B if b else PairChoice.A)


class MemorisingHead:
    """A head that knows exactly the rows it was trained on and nothing else, and records
    every time it is asked about one of them (what an in-sample score would be)."""

    def __init__(self) -> None:
        self.asked_about_training_row = 0
        self.fits = 0

    def __call__(self, x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        self.fits += 1
        seen = {row.tobytes(): label for row, label in zip(x, y, strict=True)}

        def predict(xt: np.ndarray) -> np.ndarray:
            known = [seen.get(row.tobytes()) for row in xt]
            self.asked_about_training_row += sum(k is not None for k in known)
            return np.array([0.5 if k is None else float(k) for k in known])

        return predict


def make_project(path: Path, n_second: int = 0) -> list[str]:
    """N items with distinct embeddings; ``ann`` labels all, ``second`` the first n_second;
    ``prefmark-default`` (trained here) copies ``ann`` exactly; ``judge`` is right 70%."""
    rng = np.random.default_rng(1)
    items = [
        Item(prompt=f"q{i}", responses=(Response(f"a{i}"), Response(f"b {i} " * (i % 5 + 1))))
        for i in range(N)
    ]
    truth = rng.random(N) < 0.5
    judge = np.where(rng.random(N) < 0.7, truth, ~truth)
    db = open_db(path)
    add_items(db, items)
    keys = [(it.id, r) for it in items for r in (0, 1)]
    write_embeddings(db, "enc", keys, rng.normal(size=(2 * N, 8)), np.zeros((2 * N, 0)))
    register_model(db, TRAINED, kind="default-head", name="prefmark-default")
    labels = [
        Label(it.id, _choice(bool(truth[i])), Source.HUMAN, "ann") for i, it in enumerate(items)
    ]
    labels += [
        Label(it.id, _choice(bool(truth[i])), Source.HUMAN, "second")
        for i, it in enumerate(items[:n_second])
    ]
    labels += [
        Label(
            it.id, _choice(bool(truth[i])), Source.MODEL, "prefmark-default", model_version=TRAINED
        )
        for i, it in enumerate(items)
    ]
    labels += [
        Label(it.id, _choice(bool(judge[i])), Source.MODEL, "judge") for i, it in enumerate(items)
    ]
    with transaction(db.conn):
        insert_labels(db.conn, labels)
    db.conn.close()
    return [it.id for it in items]


def test_simulation_never_scores_a_trained_source_on_its_training_labels(
    tmp_path: Path,
) -> None:
    project = tmp_path / "p.db"
    make_project(project)
    db = open_db(project)
    head = MemorisingHead()
    setup = simulation_setup(db, "prefmark-default", None, head)
    for seed in range(3):
        task = setup.task(seed)
        assert task.ai_fit == "out-of-fold (5 folds)"
        # In-sample, the stored labels would be 100% right; a head that never saw an item's
        # label knows nothing about it.
        assert np.mean(task.inp.ai_label == task.gold) < 0.7
    assert head.fits > 0
    assert head.asked_about_training_row == 0
    db.conn.close()


def test_cross_fit_scores_each_item_from_the_other_folds() -> None:
    x = np.arange(40, dtype=np.float64)[:, None]
    y = (np.arange(40) % 2).astype(np.int8)
    head = MemorisingHead()
    out = cross_fit(x, y, head, np.random.default_rng(0), folds=4, members=2)
    assert out.shape == (40, 2)
    assert head.fits == 8
    assert head.asked_about_training_row == 0
    np.testing.assert_array_equal(out, 0.5)


def test_a_judge_stays_as_it_is_and_the_trained_model_among_its_voters_is_cross_fitted(
    tmp_path: Path,
) -> None:
    project = tmp_path / "p.db"
    make_project(project)
    db = open_db(project)
    setup = simulation_setup(db, "judge", None, MemorisingHead())
    task = setup.task(0)
    assert task.ai_fit == "independent"
    assert task.ai_source == "judge"
    assert task.inp.judge_probs is not None
    # the trained model's column holds out-of-fold scores (0.5 from a memorising head)
    np.testing.assert_array_equal(task.inp.judge_probs[:, 0], 0.5)
    db.conn.close()


def test_human_replays_only_the_items_that_person_labelled(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project, n_second=80)
    db = open_db(project)
    setup = simulation_setup(db, "judge", "second", MemorisingHead())
    assert setup.n_items == 80
    task = setup.task(0)
    assert np.all(task.human >= 0)  # never an item the player did not label
    assert len(task.human) == 64  # 80% of the 80 items, the rest is the test split
    db.conn.close()
    make_project(tmp_path / "q.db", n_second=30)
    few = open_db(tmp_path / "q.db")
    with pytest.raises(WorkflowError, match="at least 50 items labelled by second"):
        simulation_setup(few, "judge", "second", MemorisingHead())
    few.conn.close()


def test_the_ai_is_chosen_on_the_test_split_not_on_the_pool(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    make_project(project)
    db = open_db(project)
    setup = simulation_setup(db, None, None, MemorisingHead())
    arrays = routing_arrays(db, with_text=False)
    for seed in range(2):
        task = setup.task(seed)
        # prefmark-default learnt every human label; the independent judge wins instead
        assert task.ai_source == "judge"
    assert len(arrays.ids) == N
    db.conn.close()
