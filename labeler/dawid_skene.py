"""Annotator quality without gold: the Dawid-Skene model, fitted by EM (numpy only).

Every annotator (person or AI source) has a confusion matrix: ``confusion[w, k, j]`` is the
chance that annotator ``w`` answers ``j`` when the true class is ``k``. Classes have a prior.
EM alternates between the posterior of each item's true class given everyone's answers and
the confusion matrices and prior that best explain those posteriors. It starts from the
(soft) majority vote, so a team that mostly agrees starts near the answer.

The fitted model scores any item from its answers alone (``Model.posterior``): that is how
the ``dawid-skene`` conflict policy and the exported label confidences use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SMOOTHING = 0.5
"""Pseudo-count added to every confusion cell and prior class: an annotator seen on a few
items is not declared perfect (or hopeless) from them alone."""
DIAGONAL = 2.0
"""Extra pseudo-count on each right answer: annotators are assumed better than chance until
their labels say otherwise. Without it, EM on a small or noisy project can slide into the
degenerate answer "every item is one class and everyone is half right"."""


@dataclass(frozen=True)
class Model:
    """A fitted Dawid-Skene model: names of the annotators, class prior and confusions."""

    annotators: tuple[str, ...]
    prior: np.ndarray  # (K,)
    confusion: np.ndarray  # (W, K, K): true class, then answer
    iterations: int = 0

    @property
    def n_classes(self) -> int:
        return int(self.prior.shape[0])

    def accuracy(self) -> dict[str, float]:
        """Each annotator's estimated share of right answers (prior-weighted diagonal)."""
        diag = np.einsum("wkk->wk", self.confusion)
        return {a: float(diag[w] @ self.prior) for w, a in enumerate(self.annotators)}

    def posterior(self, answers: Iterable[tuple[str, int]]) -> np.ndarray:
        """P(true class) of one item from its (annotator, class) answers; an annotator the
        model has not seen is ignored.

        >>> m = Model(("a",), np.array([0.5, 0.5]), np.array([[[0.9, 0.1], [0.2, 0.8]]]))
        >>> m.posterior([("a", 0)]).round(3).tolist()
        [0.818, 0.182]
        """
        index = {a: w for w, a in enumerate(self.annotators)}
        log_p = np.log(self.prior).copy()
        for annotator, answer in answers:
            w = index.get(annotator)
            if w is not None and 0 <= answer < self.n_classes:
                log_p += np.log(self.confusion[w, :, answer])
        log_p -= log_p.max()
        p: np.ndarray = np.exp(log_p)
        return p / p.sum()


def _posteriors(
    items: np.ndarray, workers: np.ndarray, answers: np.ndarray, n_items: int, model: Model
) -> np.ndarray:
    """(n_items, K) posteriors of every item under ``model``."""
    # Per class, the sum of log P(answer | class) over each item's answers (bincount is the
    # fast scatter-add).
    like = np.log(model.confusion[workers, :, answers])
    log_p = np.column_stack(
        [np.bincount(items, like[:, k], minlength=n_items) for k in range(model.n_classes)]
    ) + np.log(model.prior)
    log_p -= log_p.max(axis=1, keepdims=True)
    p = np.exp(log_p)
    out: np.ndarray = p / p.sum(axis=1, keepdims=True)
    return out


def _m_step(
    items: np.ndarray,
    workers: np.ndarray,
    answers: np.ndarray,
    post: np.ndarray,
    annotators: tuple[str, ...],
    smoothing: float,
) -> Model:
    k = post.shape[1]
    counts = np.full((len(annotators), k, k), smoothing)
    counts[:, np.arange(k), np.arange(k)] += DIAGONAL
    # counts[w, c, j] += post[item, c] for each answer j of annotator w on item
    cell = workers * k + answers
    size = len(annotators) * k
    weights = post[items]
    for c in range(k):
        counts[:, c, :] += np.bincount(cell, weights[:, c], minlength=size).reshape(-1, k)
    confusion = counts / counts.sum(axis=2, keepdims=True)
    prior = post.sum(axis=0) + smoothing
    return Model(annotators, prior / prior.sum(), confusion)


def fit(
    items: Sequence[int] | np.ndarray,
    workers: Sequence[int] | np.ndarray,
    answers: Sequence[int] | np.ndarray,
    *,
    annotators: Sequence[str],
    n_items: int,
    n_classes: int,
    max_iter: int = 100,
    tol: float = 1e-6,
    smoothing: float = SMOOTHING,
) -> tuple[Model, np.ndarray]:
    """EM over answers given as parallel arrays (item index, annotator index, class index).

    Returns the fitted model and each item's posterior (items without answers keep the prior).
    """
    it = np.asarray(items, dtype=np.int64)
    wk = np.asarray(workers, dtype=np.int64)
    an = np.asarray(answers, dtype=np.int64)
    names = tuple(annotators)
    # Start from the soft majority vote.
    post = np.full((n_items, n_classes), 1e-3)
    np.add.at(post, (it, an), 1.0)
    post /= post.sum(axis=1, keepdims=True)
    model = _m_step(it, wk, an, post, names, smoothing)
    done = 0
    for done in range(1, max_iter + 1):  # noqa: B007 (kept: the iteration count is reported)
        new = _posteriors(it, wk, an, n_items, model)
        model = _m_step(it, wk, an, new, names, smoothing)
        change = float(np.abs(new - post).max()) if n_items else 0.0
        post = new
        if change < tol:
            break
    fitted = Model(names, model.prior, model.confusion, done)
    return fitted, _posteriors(it, wk, an, n_items, fitted)
