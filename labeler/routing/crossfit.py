"""Out-of-fold scores: what a trained model says about items it never learnt from.

A model trained on a project's human labels agrees with those labels far more than it will
with the next person's: scored in-sample it looked 82-98% accurate where k-fold gives 57-67%.
The simulation therefore never asks a trained source about an item whose label trained it:
each fold is scored by heads fit on the other folds only.
"""

from __future__ import annotations

import numpy as np

from labeler.routing.logistic import HeadTrainer

N_FOLDS = 5


def fold_of(n: int, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A random fold number in ``[0, folds)`` per item, the folds as equal as possible."""
    return np.asarray(rng.permutation(n) % folds)


def cross_fit(
    x: np.ndarray,
    y: np.ndarray,
    train_head: HeadTrainer,
    rng: np.random.Generator,
    *,
    folds: int = N_FOLDS,
    members: int = 1,
) -> np.ndarray:
    """[n, members] P(B) per item from heads trained on the other folds' labels only.

    ``y`` holds labels (0 / 1; -1 = none, never trained on). Member 0 is fit on the whole
    training part, the others on bootstrap resamples of it (their spread is the ensemble's
    uncertainty). A fold without two classes to learn from scores 0.5.
    """
    n = len(y)
    fold = fold_of(n, folds, rng)
    out = np.full((n, members), 0.5)
    for f in range(folds):
        test = fold == f
        train = np.flatnonzero((fold != f) & (y >= 0))
        if not test.any() or len(np.unique(y[train])) < 2:
            continue
        for m in range(members):
            rows = rng.choice(train, size=len(train), replace=True) if m else train
            if len(np.unique(y[rows])) < 2:
                rows = train
            out[test, m] = train_head(x[rows], y[rows].astype(np.float64))(x[test])
    return out
