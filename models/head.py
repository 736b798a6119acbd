"""A Bradley-Terry preference head: linear rewards on pair features, trained with numpy.

P(a preferred over b) = sigmoid(r(a) - r(b)) with r(x) = w·x + b. Fitting w is an L2-regularised
logistic regression without intercept on feature differences (chosen - rejected), solved by
Newton's method: the problem has a few hundred dimensions, so each step is one small linear solve
and a few thousand pairs train in well under a second per head.

An ensemble of heads fitted on bootstrap resamples of the pairs gives each response a spread of
rewards; its standard deviation is the uncertainty routing uses to send items to people.

Ties: pass ``targets`` with 0.5 for a tie (1.0 for a clear preference). A tie then pulls the two
rewards together instead of being thrown away; leaving ties out is equally valid.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")
# Long work yields (done, total) steps and returns its result; a front end drives it.
Steps = Generator[tuple[int, int], None, T]

HEAD_FORMAT = 1
L2_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
# Below this many pairs a cross-validated choice is noise; regularise strongly instead.
MIN_PAIRS_FOR_CV = 30
FEW_PAIRS_L2 = 1.0
CV_FOLDS = 5
# Strength on the extra (length) columns: almost none, only enough to keep Newton well posed.
EXTRA_L2 = 1e-4


@dataclass(frozen=True)
class PreferenceHead:
    """K linear reward functions over the same features: ``rewards = x @ weights.T + bias``.

    ``weights`` [K, D] and ``bias`` [K] act on raw features; the standardisation used in
    training is folded in, so scoring needs nothing else.
    """

    weights: np.ndarray
    bias: np.ndarray
    meta: Mapping[str, object] = field(default_factory=dict)

    @property
    def n_heads(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[1])

    @property
    def version(self) -> str:
        """``bt<K>-<sha12>`` over the weights and metadata: any retrain gives a new version."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.weights, dtype=np.float32).tobytes())
        digest.update(np.ascontiguousarray(self.bias, dtype=np.float32).tobytes())
        digest.update(json.dumps(dict(self.meta), sort_keys=True).encode())
        return f"bt{self.n_heads}-{digest.hexdigest()[:12]}"

    def member_rewards(self, features: np.ndarray) -> np.ndarray:
        """Rewards of each head, [n, K] float32."""
        x = np.asarray(features, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"features must be [n, {self.n_features}], got {x.shape}")
        return (x @ self.weights.T.astype(np.float32) + self.bias.astype(np.float32)).astype(
            np.float32
        )

    def rewards(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and standard deviation (population, ddof=0) of the rewards."""
        members = self.member_rewards(features)
        return members.mean(axis=1), members.std(axis=1)

    def to_bytes(self) -> bytes:
        """The ``.npz`` content: the arrays plus the metadata as a JSON string (no pickle).

        Small (tens of KB), so a project stores its heads inside itself and travels whole.
        """
        meta = json.dumps({"format": HEAD_FORMAT, **dict(self.meta)}, sort_keys=True)
        buffer = io.BytesIO()
        np.savez(
            buffer,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            meta_json=np.array(meta),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "head") -> PreferenceHead:
        """Read ``to_bytes`` output; never unpickles, so untrusted bytes cannot run code."""
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(str(arrays["meta_json"]))
            if meta.pop("format", None) != HEAD_FORMAT:
                raise ValueError(f"{source}: not a preference head of format {HEAD_FORMAT}")
            return cls(weights=arrays["weights"], bias=arrays["bias"], meta=meta)

    def save(self, path: Path) -> None:
        """One ``.npz`` file holding ``to_bytes``."""
        path.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> PreferenceHead:
        return cls.from_bytes(path.read_bytes(), str(path))


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float | np.ndarray,
    *,
    init: np.ndarray | None = None,
    max_iter: int = 50,
) -> np.ndarray:
    """argmin_w mean(logloss(y, sigmoid(x @ w))) + 1/2 sum(l2 * w^2), by Newton's method.

    ``l2`` is one strength or one per column (so some columns can be shrunk less than others).
    The objective is strictly convex for l2 > 0, so plain Newton steps converge in a handful of
    iterations (fewer from a nearby ``init``); a step-halving guard covers the first steps from
    far away.
    """
    n, d = x.shape
    penalty = np.broadcast_to(np.asarray(l2, dtype=np.float64), (d,))
    w = np.zeros(d) if init is None else np.array(init, dtype=np.float64)

    def objective(w: np.ndarray) -> float:
        return log_loss(x @ w, y) + 0.5 * float(penalty @ (w * w))

    # The Hessian product dominates the cost; float32 halves it and Newton does not need more.
    x32 = x.astype(np.float32)
    # Fewer pairs than columns (a project's first few hundred labels): solve each Newton step
    # in pair space with the Woodbury identity, an [n, n] system instead of a [d, d] one.
    scaled = x / penalty if n < d else None
    gram = scaled @ x.T if scaled is not None else None
    current = objective(w)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) / n + penalty * w
        if scaled is not None and gram is not None:
            root = np.sqrt(p * (1 - p))
            inner = n * np.eye(n) + root[:, None] * gram * root[None, :]
            z = np.linalg.solve(inner, root * (scaled @ grad))
            step = grad / penalty - scaled.T @ (root * z)
        else:
            weighted = x32 * (p * (1 - p)).astype(np.float32)[:, None]
            hess = (weighted.T @ x32).astype(np.float64) / n + np.diag(penalty)
            step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-4:
            candidate = objective(w - t * step)
            if candidate <= current:
                break
            t *= 0.5
        w = w - t * step
        improvement = current - candidate
        current = candidate
        if float(np.abs(t * step).max()) < 1e-7 or improvement < 1e-12:
            break
    return w


def log_loss(scores: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of sigmoid(scores) against soft targets y."""
    return float(np.mean(np.logaddexp(0.0, -scores) * y + np.logaddexp(0.0, scores) * (1 - y)))


@dataclass(frozen=True)
class Choice:
    """What cross-validation chose, and the held-out accuracies it saw.

    ``l2`` is the embedding columns' strength, or None for the length-only model (embedding
    weights zero). ``accuracy`` is the chosen setting's; ``length_only`` that of the length
    columns alone, ``longer_wins`` that of the rule "the longer response wins" (a tie counts
    half), all on the same folds.
    """

    l2: float | None
    folds: int = 0
    accuracy: float | None = None
    length_only: float | None = None
    longer_wins: float | None = None


def _penalty(d: int, n_extra: int, l2: float) -> np.ndarray:
    """``l2`` on the embedding columns, ``EXTRA_L2`` on the trailing extra (length) columns."""
    penalty = np.full(d, l2)
    penalty[d - n_extra :] = EXTRA_L2
    return penalty


def _fit(
    diffs: np.ndarray,
    y: np.ndarray,
    n_extra: int,
    l2: float | None,
    init: np.ndarray | None = None,
) -> np.ndarray:
    """Weights for all columns; ``l2=None`` fits the extra columns alone (the rest stay 0)."""
    d = diffs.shape[1]
    if l2 is None:
        w = np.zeros(d)
        w[d - n_extra :] = fit_logistic(diffs[:, d - n_extra :], y, EXTRA_L2)
        return w
    return fit_logistic(diffs, y, _penalty(d, n_extra, l2), init=init)


def cv_path(
    n_extra: int, d: int, grid: tuple[float, ...] = L2_GRID, near: float | None = None
) -> list[float | None]:
    """The settings cross-validation tries, strong to weak: the length-only model (None), then
    ``grid``'s embedding strengths; with ``near`` (the strength chosen last time on the same
    project) only that strength and its neighbours in the grid, since a few more labels move
    the choice by a step at most."""
    strengths = sorted(grid, reverse=True) if d > n_extra else []
    if near is not None and near in strengths:
        at = strengths.index(near)
        strengths = strengths[max(0, at - 1) : at + 2]
    return ([None] if n_extra else []) + list(strengths)


def choose_model_steps(
    diffs: np.ndarray,
    y: np.ndarray,
    n_extra: int,
    *,
    groups: np.ndarray | None = None,
    grid: tuple[float, ...] = L2_GRID,
    near: float | None = None,
    folds: int = CV_FOLDS,
    seed: int = 0,
) -> Steps[Choice]:
    """The setting with the lowest held-out log loss: the length-only model or the full model
    at one of ``grid``'s embedding strengths (k-fold; pairs of one ``groups`` value stay in
    one fold, so no item is both trained and tested on). Yields one step per fit (folds x
    settings, see ``cv_path``).

    The right strength differs by two orders of magnitude between data sets (PandaLM wants
    about 0.01, HH-RLHF about 1), and on some data sets the embeddings add nothing to length:
    then the length-only model wins here, so the head is never worse than length beyond noise.
    The extra columns are barely shrunk in either case. Each fold walks the grid from strong to
    weak regularisation, warm-starting Newton from the previous solution.
    """
    n, d = diffs.shape
    groups = np.arange(n) if groups is None else np.asarray(groups)
    names, group_of = np.unique(groups, return_inverse=True)
    if len(names) < max(MIN_PAIRS_FOR_CV, folds):
        return Choice(FEW_PAIRS_L2 if d > n_extra else None)
    fold_of = np.random.default_rng(seed).permutation(len(names))[group_of] % folds
    path = cv_path(n_extra, d, grid, near)
    scores = np.zeros((len(path), n))
    total = folds * len(path)
    yield 0, total
    for fold in range(folds):
        test, train = fold_of == fold, fold_of != fold
        w: np.ndarray | None = None
        for j, l2 in enumerate(path):
            w = _fit(diffs[train], y[train], n_extra, l2, init=w if l2 is not None else None)
            scores[j, test] = diffs[test] @ w
            yield fold * len(path) + j + 1, total
    losses = [log_loss(s, y) for s in scores]
    best = int(np.argmin(losses))

    def accuracy(s: np.ndarray) -> float:
        return float(np.mean(np.where(s == 0, 0.5, (s > 0) == (y > 0.5))))

    return Choice(
        l2=path[best],
        folds=folds,
        accuracy=accuracy(scores[best]),
        length_only=accuracy(scores[0]) if n_extra else None,
        longer_wins=accuracy(diffs[:, d - n_extra]) if n_extra else None,
    )


def fit_steps(
    n_groups: int,
    n_features: int,
    n_extra: int,
    *,
    n_heads: int,
    l2: float | None = None,
    near: float | None = None,
    length_only: bool = False,
    folds: int = CV_FOLDS,
) -> int:
    """How many fits ``fit_head_steps`` makes (its progress total), known before it starts:
    the cross-validation's folds x settings, the full head, and each bootstrap member."""
    cv = 0
    if not length_only and l2 is None and n_groups >= max(MIN_PAIRS_FOR_CV, folds):
        cv = folds * len(cv_path(n_extra, n_features, L2_GRID, near))
    return cv + 1 + (n_heads if n_heads > 1 else 0)


def run_to_end(steps: Steps[T]) -> T:
    """The result of ``steps``, its progress ignored."""
    try:
        while True:
            next(steps)
    except StopIteration as stop:
        result: T = stop.value
        return result


def choose_model(diffs: np.ndarray, y: np.ndarray, n_extra: int, **kwargs: object) -> Choice:
    """``choose_model_steps`` run to its end."""
    return run_to_end(choose_model_steps(diffs, y, n_extra, **kwargs))  # type: ignore[arg-type]


def fit_head(
    emb_chosen: np.ndarray,
    emb_rejected: np.ndarray,
    feat_chosen: np.ndarray,
    feat_rejected: np.ndarray,
    **kwargs: object,
) -> PreferenceHead:
    """``fit_head_steps`` run to its end."""
    return run_to_end(
        fit_head_steps(emb_chosen, emb_rejected, feat_chosen, feat_rejected, **kwargs)  # type: ignore[arg-type]
    )


def fit_head_steps(
    emb_chosen: np.ndarray,
    emb_rejected: np.ndarray,
    feat_chosen: np.ndarray,
    feat_rejected: np.ndarray,
    *,
    n_heads: int = 8,
    l2: float | None = None,
    near: float | None = None,
    length_only: bool = False,
    seed: int = 0,
    targets: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> Steps[PreferenceHead]:
    """Fit ``n_heads`` Bradley-Terry heads on bootstrap resamples of the pairs.

    Row i says the chosen response was preferred over the rejected one with probability
    ``targets[i]`` (default 1.0; 0.5 for a tie). Features are the embedding and the extra
    (length) features side by side, standardised; the embedding columns get strength ``l2``,
    the extra columns almost none, since length is the strongest single signal in preference
    data and must not be shrunk with hundreds of embedding columns. The first extra column is
    the response length that "the longer response wins" compares.

    ``l2=None`` lets cross-validation (``choose_model``, folds by ``groups``) pick the strength
    or the length-only model (among ``near`` and its neighbours when given), and records its
    held-out accuracies in ``meta["cv"]``; ``length_only`` fits the extra columns alone. With
    ``n_heads == 1`` the single head sees every pair once (no resampling).

    Yields ``(done, total)`` over every fit: the cross-validation's folds x settings, then the
    full head and each bootstrap member, so a progress bar counts to the end.
    """
    xc = np.hstack([emb_chosen, feat_chosen]).astype(np.float64)
    xr = np.hstack([emb_rejected, feat_rejected]).astype(np.float64)
    if xc.shape != xr.shape or xc.shape[0] == 0:
        raise ValueError(f"chosen {xc.shape} and rejected {xr.shape} features must match, n > 0")
    n = xc.shape[0]
    n_extra = int(np.shape(feat_chosen)[1])
    y = np.ones(n) if targets is None else np.asarray(targets, dtype=np.float64)
    if y.shape != (n,) or np.any((y < 0) | (y > 1)):
        raise ValueError("targets must be n probabilities in [0, 1]")
    both = np.vstack([xc, xr])
    mean = both.mean(axis=0)
    scale = both.std(axis=0) + 1e-6
    diffs = (xc - xr) / scale
    n_groups = n if groups is None else len(np.unique(groups))
    total = fit_steps(
        n_groups, xc.shape[1], n_extra, n_heads=n_heads, l2=l2, near=near, length_only=length_only
    )
    cv_total = 0
    if length_only:
        choice = Choice(None)
    elif l2 is None:
        cv = choose_model_steps(diffs, y, n_extra, groups=groups, near=near, seed=seed)
        try:
            while True:
                cv_total = next(cv)[0]
                yield cv_total, total
        except StopIteration as stop:
            choice = stop.value
    else:
        choice = Choice(l2)
    yield cv_total, total
    full = _fit(diffs, y, n_extra, choice.l2)
    yield cv_total + 1, total
    rng = np.random.default_rng(seed)
    members = [full] if n_heads == 1 else []
    while len(members) < n_heads:
        rows = rng.integers(0, n, size=n)
        members.append(_fit(diffs[rows], y[rows], n_extra, choice.l2, init=full))
        yield cv_total + 1 + len(members), total
    w_std = np.array(members)  # [K, D] on standardised features
    weights = w_std / scale
    bias = -(w_std * (mean / scale)).sum(axis=1)  # centres rewards over the training responses
    meta: dict[str, object] = {
        "n_pairs": n,
        "l2": choice.l2,
        "model": "length-only" if choice.l2 is None else "embeddings+length",
        "seed": seed,
        "n_features": int(xc.shape[1]),
    }
    if choice.folds:
        meta["cv"] = {
            "folds": choice.folds,
            "accuracy": choice.accuracy,
            "length_only": choice.length_only,
            "longer_wins": choice.longer_wins,
        }
    return PreferenceHead(
        weights=weights.astype(np.float32), bias=bias.astype(np.float32), meta=meta
    )
