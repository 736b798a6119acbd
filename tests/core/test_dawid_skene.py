"""Dawid-Skene EM: a hand-computed posterior, and recovery of known annotator confusions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.dawid_skene import Model, fit


def test_posterior_by_hand() -> None:
    # Prior (0.5, 0.5); "good" is right 90% of the time, "poor" 60%. good says 0, poor 1:
    # P(0) = .5 * .9 * .4 / (.5 * .9 * .4 + .5 * .1 * .6) = .18 / .21.
    confusion = np.array([[[0.9, 0.1], [0.1, 0.9]], [[0.6, 0.4], [0.4, 0.6]]])
    model = Model(("good", "poor"), np.array([0.5, 0.5]), confusion)
    assert model.posterior([("good", 0), ("poor", 1)])[0] == pytest.approx(0.18 / 0.21)
    # An unknown annotator changes nothing.
    assert model.posterior([("stranger", 1)]).tolist() == [0.5, 0.5]
    assert model.accuracy() == pytest.approx({"good": 0.9, "poor": 0.6})


def simulate(
    accuracies: list[float], n_items: int, rng: np.random.Generator, k: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    truth = rng.choice(k, n_items, p=[0.45, 0.15, 0.4][:k] if k == 3 else None)
    items, workers, answers = [], [], []
    for w, acc in enumerate(accuracies):
        for i in range(n_items):
            right = rng.random() < acc
            wrong = rng.choice([c for c in range(k) if c != truth[i]])
            items.append(i)
            workers.append(w)
            answers.append(truth[i] if right else wrong)
    return truth, np.array(items), np.array(workers), np.array(answers)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    st.lists(st.floats(0.6, 0.95), min_size=4, max_size=6),
    st.integers(0, 2**32 - 1),
)
def test_em_recovers_known_accuracies(accuracies: list[float], seed: int) -> None:
    """Four to six annotators of known accuracy (errors spread evenly over the other two
    answers) on 800 items: EM finds each accuracy within 0.08."""
    rng = np.random.default_rng(seed)
    truth, items, workers, answers = simulate(accuracies, 800, rng)
    names = [f"w{i}" for i in range(len(accuracies))]
    model, post = fit(items, workers, answers, annotators=names, n_items=800, n_classes=3)
    estimated = model.accuracy()
    for name, acc in zip(names, accuracies, strict=True):
        assert estimated[name] == pytest.approx(acc, abs=0.08)
    # The posterior's choice is as good as the best annotator's, and near the majority vote
    # (with three weak annotators on 600 items, estimated confusions cost a few points).
    counts = np.zeros((800, 3))
    np.add.at(counts, (items, answers), 1.0)
    majority = (counts.argmax(axis=1) == truth).mean()
    assert (post.argmax(axis=1) == truth).mean() >= max(accuracies) - 0.03
    assert (post.argmax(axis=1) == truth).mean() >= majority - 0.05


def test_em_learns_to_distrust_a_confident_bad_annotator() -> None:
    """Two careful annotators outvote a spammer even where the spammer and one of them agree."""
    rng = np.random.default_rng(7)
    truth, items, workers, answers = simulate([0.9, 0.85, 0.34], 800, rng)
    model, post = fit(items, workers, answers, annotators=["a", "b", "spam"], n_items=800,
                      n_classes=3)  # fmt: skip
    acc = model.accuracy()
    assert acc["spam"] < 0.45 < acc["b"] < acc["a"] + 0.05
    assert (post.argmax(axis=1) == truth).mean() > 0.9
    assert np.allclose(post.sum(axis=1), 1.0)
