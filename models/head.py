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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HEAD_FORMAT = 1
L2_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
# Below this many pairs a cross-validated choice is noise; regularise strongly instead.
MIN_PAIRS_FOR_CV = 30
FEW_PAIRS_L2 = 1.0


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
    l2: float,
    *,
    init: np.ndarray | None = None,
    max_iter: int = 50,
) -> np.ndarray:
    """argmin_w mean(logloss(y, sigmoid(x @ w))) + l2/2 |w|^2, by Newton's method.

    The objective is strictly convex for l2 > 0, so plain Newton steps converge in a handful of
    iterations (fewer from a nearby ``init``); a step-halving guard covers the first steps from
    far away.
    """
    n, d = x.shape
    w = np.zeros(d) if init is None else np.array(init, dtype=np.float64)

    def objective(w: np.ndarray) -> float:
        s = x @ w
        # y*log(1+e^-s) + (1-y)*log(1+e^s), written stably
        return float(np.mean(np.logaddexp(0.0, -s) * y + np.logaddexp(0.0, s) * (1 - y))) + (
            0.5 * l2 * float(w @ w)
        )

    # The Hessian product dominates the cost; float32 halves it and Newton does not need more.
    x32 = x.astype(np.float32)
    current = objective(w)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) / n + l2 * w
        weighted = x32 * (p * (1 - p)).astype(np.float32)[:, None]
        hess = (weighted.T @ x32).astype(np.float64) / n + l2 * np.eye(d)
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


def choose_l2(
    diffs: np.ndarray,
    y: np.ndarray,
    *,
    grid: tuple[float, ...] = L2_GRID,
    folds: int = 3,
    seed: int = 0,
) -> float:
    """The grid value with the lowest held-out log loss (k-fold, one head per fit).

    The right strength differs by an order of magnitude between data sets (PandaLM wants about
    0.01, HH-RLHF about 1), so it is chosen per project. Each fold walks the grid from strong to
    weak regularisation, warm-starting Newton from the previous solution.
    """
    n = len(y)
    if n < MIN_PAIRS_FOR_CV:
        return FEW_PAIRS_L2
    order = np.random.default_rng(seed).permutation(n)
    path = sorted(grid, reverse=True)
    losses = np.zeros(len(path))
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        w: np.ndarray | None = None
        for j, l2 in enumerate(path):
            w = fit_logistic(diffs[train], y[train], l2, init=w)
            losses[j] += log_loss(diffs[test] @ w, y[test])
    return path[int(np.argmin(losses))]


def fit_head(
    emb_chosen: np.ndarray,
    emb_rejected: np.ndarray,
    feat_chosen: np.ndarray,
    feat_rejected: np.ndarray,
    *,
    n_heads: int = 8,
    l2: float | None = None,
    seed: int = 0,
    targets: np.ndarray | None = None,
) -> PreferenceHead:
    """Fit ``n_heads`` Bradley-Terry heads on bootstrap resamples of the pairs.

    Row i says the chosen response was preferred over the rejected one with probability
    ``targets[i]`` (default 1.0; 0.5 for a tie). Features are the embedding and the extra
    (length) features side by side, standardised so one ``l2`` suits both; ``l2=None`` picks
    it by cross-validation (``choose_l2``). With ``n_heads == 1`` the single head sees every
    pair once (no resampling).
    """
    xc = np.hstack([emb_chosen, feat_chosen]).astype(np.float64)
    xr = np.hstack([emb_rejected, feat_rejected]).astype(np.float64)
    if xc.shape != xr.shape or xc.shape[0] == 0:
        raise ValueError(f"chosen {xc.shape} and rejected {xr.shape} features must match, n > 0")
    n = xc.shape[0]
    y = np.ones(n) if targets is None else np.asarray(targets, dtype=np.float64)
    if y.shape != (n,) or np.any((y < 0) | (y > 1)):
        raise ValueError("targets must be n probabilities in [0, 1]")
    both = np.vstack([xc, xr])
    mean = both.mean(axis=0)
    scale = both.std(axis=0) + 1e-6
    diffs = (xc - xr) / scale
    if l2 is None:
        l2 = choose_l2(diffs, y, seed=seed)
    full = fit_logistic(diffs, y, l2)
    rng = np.random.default_rng(seed)
    members = [full] if n_heads == 1 else []
    while len(members) < n_heads:
        rows = rng.integers(0, n, size=n)
        members.append(fit_logistic(diffs[rows], y[rows], l2, init=full))
    w_std = np.array(members)  # [K, D] on standardised features
    weights = w_std / scale
    bias = -(w_std * (mean / scale)).sum(axis=1)  # centres rewards over the training responses
    meta = {"n_pairs": n, "l2": l2, "seed": seed, "n_features": int(xc.shape[1])}
    return PreferenceHead(
        weights=weights.astype(np.float32), bias=bias.astype(np.float32), meta=meta
    )
