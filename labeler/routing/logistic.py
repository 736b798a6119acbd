"""L2-regularised logistic regression in numpy (Newton's method), and a reward-model head.

Routing needs two small classifiers: "is the AI label wrong?" (``learned``) and, where no real
reward-model head is injected, a stand-in head for ``hyper`` and the simulation's metric (b).
A few thousand rows and a few hundred columns solve in milliseconds with Newton steps, so no
external learning library earns its place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# The bias's prior precision: all but flat, so the base rate is learnt from the rows.
_FREE_BIAS = 1e-6

# A reward-model head trainer: (head features [n, e], labels in {0, 1}) -> predictor of P(B).
HeadTrainer = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


def sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free
    return out


@dataclass(frozen=True)
class LogisticModel:
    """Weights on standardised inputs; ``predict`` takes raw inputs."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    # Laplace approximation: the posterior covariance of (weights, bias) at the MAP, in
    # standardised units; None where the fit did not compute it.
    covariance: np.ndarray | None = None

    def standardised(self, x: np.ndarray) -> np.ndarray:
        """``x`` in the model's units, with the bias's column of ones."""
        xs: np.ndarray = np.column_stack([(x - self.mean) / self.scale, np.ones(len(x))])
        return xs

    def decision(self, x: np.ndarray) -> np.ndarray:
        z: np.ndarray = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return z

    def predict(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.decision(x))


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    l2: float = 1.0,
    intercept: bool = True,
    standardize: bool = True,
    max_iter: int = 30,
    tol: float = 1e-4,
    prior_mean: np.ndarray | None = None,
    center: tuple[np.ndarray, np.ndarray] | None = None,
) -> LogisticModel:
    """Maximum a-posteriori logistic regression with a Gaussian prior on the weights:
    precision ``l2``, centred on ``prior_mean`` (standardised units; default 0).

    ``center`` fixes the standardisation (mean, scale) instead of taking the training rows'
    own, so a prior means the same with 3 rows as with 3,000. Newton's method converges in a
    handful of steps for these sizes; the penalty keeps the Hessian well conditioned even with
    separable data or constant columns.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, d = x.shape
    if center is not None:
        mean, scale = center
    elif standardize:
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-12] = 1.0
    else:
        mean, scale = np.zeros(d), np.ones(d)
    xs = (x - mean) / scale
    if intercept:
        xs = np.column_stack([xs, np.ones(n)])
    p = xs.shape[1]
    w0 = np.zeros(p)
    if prior_mean is not None:
        w0[:d] = prior_mean
    w = w0.copy()
    penalty = np.full(p, l2)
    if intercept:
        penalty[-1] = _FREE_BIAS
    for _ in range(max_iter):
        prob = sigmoid(xs @ w)
        grad = xs.T @ (prob - y) + penalty * (w - w0)
        step = np.linalg.solve(_hessian(xs, w, penalty), grad)
        w -= step
        if np.max(np.abs(step)) < tol:
            break
    bias = float(w[-1]) if intercept else 0.0
    weights = w[:-1] if intercept else w
    covariance = np.linalg.inv(_hessian(xs, w, penalty)) if intercept else None
    return LogisticModel(mean, scale, weights, bias, covariance)


def prior_covariance(d: int, l2: float) -> np.ndarray:
    """The covariance of (weights, bias) before any row: the prior's, with a free bias."""
    return np.diag(np.append(np.full(d, 1.0 / l2), 1.0 / _FREE_BIAS))


def _hessian(xs: np.ndarray, w: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """The negative log posterior's Hessian at ``w``: Newton's step and Laplace's covariance."""
    prob = sigmoid(xs @ w)
    hess: np.ndarray = (xs * (prob * (1 - prob))[:, None]).T @ xs + np.diag(penalty)
    return hess


def logistic_head(l2: float = 10.0) -> HeadTrainer:
    """A Bradley-Terry head as logistic regression on (A - B feature differences).

    The stand-in for the default model's head when none is injected (tests, benchmarks run
    without ``models``). Without an intercept, swapping A and B flips the prediction exactly.
    """

    def train(x: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        model = fit_logistic(x, y, l2=l2, intercept=False, standardize=False)
        return model.predict

    return train
