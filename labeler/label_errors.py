"""Which people's labels are probably wrong: confident learning over the model and the judges.

For each two-response item the evidence is what the *other* sources say: the project's model,
scored out of fold (trained on labels of other items, so it never judges a label it learnt),
and the AI judges, each weighed by its confusion against people's labels. That gives
P(true choice) per item. As in confident learning (Northcutt et al., 2021), a class's
threshold is the mean probability of that class over the labels that chose it; a label is
*confidently disputed* when another class reaches its own threshold and is also more likely
than the chosen one. Disputed labels go to a re-review queue, most likely wrong first (lowest
probability of the chosen class).

The share of label errors in the project is the expected share of people's labels that differ
from the true choice under the Dawid-Skene model of everyone's labels (``dawid_skene``), with
a 95% percentile-bootstrap interval over items. Categories: 0 = A better, 1 = tie, 2 = B
better; ``MISSING`` = no answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labeler.routing.logistic import fit_logistic
from labeler.team_agreement import MISSING

K = 3
TIE = 1
FOLDS = 5


def out_of_fold(x: np.ndarray, y: np.ndarray, *, folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """P(B better) per row from a logistic head trained on the other folds' decisive labels
    (``y``: 0 = A, 1 = B, anything else = not used to train); NaN where a fold cannot train."""
    n = len(y)
    out = np.full(n, np.nan)
    fold = np.random.default_rng(seed).permutation(n) % folds
    decisive = (y == 0) | (y == 1)
    for f in range(folds):
        train = decisive & (fold != f)
        if train.sum() < 10 or len(np.unique(y[train])) < 2:
            continue
        model = fit_logistic(x[train], y[train].astype(np.float64), l2=10.0)
        out[fold == f] = model.predict(x[fold == f])
    return out


def judge_confusion(labels: np.ndarray, judge: np.ndarray) -> np.ndarray:
    """(K, K) P(judge answer | person's label), add-one smoothed, from the items both
    answered (``labels``: one person's category per item, or ``MISSING``)."""
    both = (labels != MISSING) & (judge != MISSING)
    counts = np.ones((K, K))
    np.add.at(counts, (labels[both], judge[both]), 1.0)
    out: np.ndarray = counts / counts.sum(axis=1, keepdims=True)
    return out


def evidence(
    model_p: np.ndarray | None,
    judges: np.ndarray,
    people: np.ndarray,
    prior: np.ndarray,
) -> np.ndarray:
    """(items, K) P(true class) from the model and the judges, never the people themselves.

    ``judges``: (items, J) categories; ``people``: (items, P) categories, used only to learn
    each judge's confusion and the class prior. The model's P(B) is read as the likelihood
    (1 - p, 1/2, p) of (A, tie, B): a tie is as likely as a coin flip to the model.
    """
    n = judges.shape[0]
    log_p = np.tile(np.log(prior), (n, 1))
    flat_people = people.reshape(-1)
    for j in range(judges.shape[1]):
        answers = judges[:, j]
        conf = judge_confusion(flat_people, np.repeat(answers, people.shape[1]))
        seen = answers != MISSING
        log_p[seen] += np.log(conf[:, answers[seen]].T)
    if model_p is not None:
        p = np.clip(model_p, 1e-3, 1 - 1e-3)
        seen = ~np.isnan(p)
        like = np.column_stack([1 - p[seen], np.full(seen.sum(), 0.5), p[seen]])
        log_p[seen] += np.log(like)
    log_p -= log_p.max(axis=1, keepdims=True)
    post = np.exp(log_p)
    out: np.ndarray = post / post.sum(axis=1, keepdims=True)
    return out


@dataclass(frozen=True)
class LabelErrors:
    """One row per person's label: its item, annotator column and category, how likely it is
    wrong, and whether it is confidently disputed; plus the project's estimated error share."""

    item: np.ndarray
    annotator: np.ndarray
    given: np.ndarray
    p_wrong: np.ndarray
    disputed: np.ndarray
    share: float | None
    low: float | None
    high: float | None

    @property
    def n_labels(self) -> int:
        return int(self.given.size)

    def queue(self) -> np.ndarray:
        """Row indices of the disputed labels, most likely wrong first."""
        rows = np.flatnonzero(self.disputed)
        return rows[np.argsort(-self.p_wrong[rows], kind="stable")]

    def ranking(self) -> np.ndarray:
        """Every label's row, disputed ones first, each group most likely wrong first."""
        return np.lexsort((-self.p_wrong, ~self.disputed))


def _confident(post: np.ndarray, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(disputed flag, confident class) per label, with per-class thresholds."""
    thresholds = np.array(
        [post[given == k, k].mean() if np.any(given == k) else np.inf for k in range(K)]
    )
    chosen = post[np.arange(given.size), given]
    above = (post >= thresholds[None, :]) & (post > chosen[:, None])
    disputed = above.any(axis=1)
    masked = np.where(above, post, -1.0)
    return disputed, masked.argmax(axis=1)


def expected_errors(truth: np.ndarray, item: np.ndarray, given: np.ndarray) -> float:
    """Expected share of labels that differ from the true class (``truth``: (items, K)
    posteriors of the true class, e.g. from ``dawid_skene``).

    >>> expected_errors(np.array([[0.9, 0.0, 0.1]]), np.array([0, 0]), np.array([0, 2]))
    0.5
    """
    return float(np.mean(1.0 - truth[item, given])) if given.size else 0.0


def find_label_errors(
    people: np.ndarray,
    judges: np.ndarray,
    model_p: np.ndarray | None,
    truth: np.ndarray,
    *,
    reps: int = 300,
    seed: int = 0,
) -> LabelErrors:
    """Score every person's label (``people``: (items, P) categories) against the model and
    the judges (``judges``: (items, J)); ``model_p``: out-of-fold P(B better) per item;
    ``truth``: (items, K) Dawid-Skene posteriors of everyone's labels, for the error share."""
    item, annotator = np.nonzero(people != MISSING)
    given = people[item, annotator]
    prior = np.bincount(given, minlength=K) + 1.0
    post = evidence(model_p, judges, people, prior / prior.sum())
    if given.size == 0:
        empty = np.zeros(0)
        return LabelErrors(item, annotator, given, empty, empty.astype(bool), None, None, None)
    label_post = post[item]
    disputed, _ = _confident(label_post, given)
    p_wrong = 1.0 - label_post[np.arange(given.size), given]
    share = expected_errors(truth, item, given)
    low = high = None
    n_items = people.shape[0]
    if n_items >= 2 and reps > 0:
        rng = np.random.default_rng(seed)
        by_item = np.bincount(item, minlength=n_items)
        starts = np.concatenate([[0], np.cumsum(by_item)])
        shares = []
        for _ in range(reps):
            pick = rng.integers(0, n_items, n_items)
            sizes = by_item[pick]
            offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            rows = np.repeat(starts[pick], sizes) + offsets
            if rows.size:
                shares.append(expected_errors(truth, item[rows], given[rows]))
        low, high = (float(v) for v in np.percentile(shares, [2.5, 97.5]))
    return LabelErrors(item, annotator, given, p_wrong, disputed, share, low, high)
