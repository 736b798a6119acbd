"""The label-error finder: hand-computed pieces, out-of-fold scoring, and recovery of
labels flipped on purpose."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.dawid_skene import fit
from labeler.label_errors import (
    _confident,
    evidence,
    find_label_errors,
    judge_confusion,
    out_of_fold,
)
from labeler.team_agreement import MISSING


def test_judge_confusion_by_hand() -> None:
    people = np.array([0, 0, 2, 2, MISSING])
    judge = np.array([0, 2, 2, MISSING, 0])
    conf = judge_confusion(people, judge)
    # Row A: add-one counts (1+1, 1, 1+1) of 5; the judge's missing answer and the missing
    # person's label are left out.
    assert conf[0].tolist() == pytest.approx([0.4, 0.2, 0.4])
    assert conf[2].tolist() == pytest.approx([0.25, 0.25, 0.5])
    assert conf[1].tolist() == pytest.approx([1 / 3] * 3)


def test_confident_dispute_by_hand() -> None:
    # Thresholds: A = mean(.9, .8, .2, .45) = .5875, B = mean(.875, .625) = .75.
    post = np.array(
        [[0.9, 0.0, 0.1], [0.8, 0.0, 0.2], [0.2, 0.0, 0.8], [0.45, 0.1, 0.45],
         [0.125, 0.0, 0.875], [0.375, 0.0, 0.625]]
    )  # fmt: skip
    given = np.array([0, 0, 0, 0, 2, 2])
    # Label 2 (given A, P(B) = .8 >= .75) is disputed; label 3 is not (B no likelier than
    # A, and below its threshold); label 5 (given B, P(A) = .375 < .5875) is not.
    disputed, other = _confident(post, given)
    assert disputed.tolist() == [False, False, True, False, False, False]
    assert other[2] == 2


def test_evidence_never_reads_the_labels_it_judges() -> None:
    people = np.array([[0], [2], [0], [2], [0], [2]])
    judges = np.array([[0], [2], [0], [2], [2], [0]])
    prior = np.array([0.45, 0.1, 0.45])
    post = evidence(None, judges, people, prior)
    # The judge agrees on 4 of 6 items. Items 0 and 4 have the same person's label but
    # different judge answers, and so have 1 and 5: the evidence follows the judge.
    assert post[0].argmax() == 0
    assert post[4].argmax() == 2
    assert post[1].argmax() == 2
    assert post[5].argmax() == 0
    np.testing.assert_allclose(post[0], post[5])
    # By hand: P(A | judge says A) = .45 * 3/6 / (.45 * 3/6 + .1 * 1/3 + .45 * 2/6).
    assert post[0, 0] == pytest.approx(0.225 / (0.225 + 0.1 / 3 + 0.15))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 199))
def test_out_of_fold_score_ignores_the_items_own_label(seed: int, item: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] + rng.normal(scale=0.5, size=200) > 0).astype(np.int64)
    before = out_of_fold(x, y)
    flipped = y.copy()
    flipped[item] = 1 - flipped[item]
    after = out_of_fold(x, flipped)
    assert after[item] == before[item]
    assert np.all((before >= 0) & (before <= 1))


def test_finds_flipped_labels_from_judges_and_model() -> None:
    rng = np.random.default_rng(3)
    n = 800
    truth = rng.choice([0, 2], n)
    x = np.where(truth == 2, 1.0, -1.0)[:, None] + rng.normal(scale=1.2, size=(n, 1))
    people = np.tile(truth, (2, 1)).T.copy()
    flip = rng.random((n, 2)) < 0.06
    people[flip] = 2 - people[flip]
    judges = np.stack(
        [np.where(rng.random(n) < acc, truth, 2 - truth) for acc in (0.8, 0.75)], axis=1
    )
    y = np.where(people[:, 0] == people[:, 1], people[:, 0] // 2, -1)
    everyone = np.column_stack([people, judges])
    items, workers = np.nonzero(everyone != MISSING)
    _model, truth_post = fit(items, workers, everyone[items, workers],
                             annotators=list("abcd"), n_items=n, n_classes=3)  # fmt: skip
    found = find_label_errors(people, judges, out_of_fold(x, y), truth_post, reps=100)
    wrong = flip[found.item, found.annotator]
    top = found.ranking()[: round(0.05 * found.n_labels)]
    assert wrong[top].mean() >= 4 * wrong.mean()
    # The queue holds the disputed labels, most likely wrong first.
    queue = found.queue()
    assert found.disputed[queue].all()
    assert np.all(np.diff(found.p_wrong[queue]) <= 0)
    assert found.share is not None
    assert found.low is not None
    assert found.high is not None
    assert found.low <= found.share <= found.high
    assert found.low <= wrong.mean() + 0.03
    assert wrong.mean() - 0.03 <= found.high
