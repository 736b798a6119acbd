"""``hyper``: HyPER (Miranda et al., ACL 2025) at laptop scale.

HyPER routes a *set* of items to humans rather than ranking items one by one: a performance
prediction model (PPM) says how good a reward model trained on a given human/AI mix will be,
from how many human-labelled items the mix has under each binary tag; routing then samples
candidate mixes under the budget and keeps the one the PPM likes best.

Steps here:
1. Tags per item (``features.item_tags``): embedding cosine, ROUGE-1 overlap, length and
   length difference, each in thirds, plus code/math/multi-turn and frequent metadata values.
2. Simulated mixes on the items that already have both a human and an AI label: split them into
   a training part and a held-out part; per mix, draw a human share and tag preferences, route
   that share of the training part to the human label (the rest keep the AI label), train the
   reward-model head on it and score it on the held-out human labels.
3. PPM: ridge regression of that accuracy on the per-tag human shares and their pairwise
   products (quadratic with interactions, as in the paper).
4. Routing: sample candidate human sets of the remaining budget (Gumbel top-k with random tag
   preferences, so candidates differ in composition), predict each, keep the best.

Differences from the paper, all forced by working on one project on a laptop:
- The paper fits the PPM once, on MultiPref with 10k+ items fully labelled by both humans and
  GPT-4, training a full reward model (Tulu 2 13B) per mix and scoring on RewardBench. Here the
  PPM is fit on the project's own human labels (a random exploration sample first: until
  ``min_known`` items are labelled, ``hyper`` routes at random) and the "reward model" is the
  default model's small head on frozen embeddings, scored on held-out human labels.
- The paper's tags are richer (LLM-assigned subject, expertise, safety, complexity, ...);
  here only what the item's text and metadata give without another model.
- Fewer mixes (200 rather than hundreds of full reward-model trainings) and refits only when
  the labelled set has grown by half since the last fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from labeler.routing.base import (
    Budget,
    RoutingDecision,
    RoutingInput,
    decide_by_score,
    resolve_budget,
)
from labeler.routing.logistic import HeadTrainer, logistic_head


def quadratic_terms(shares: np.ndarray) -> np.ndarray:
    """[m, t] per-tag shares -> [m, t + t(t+1)/2] linear terms, squares and interactions."""
    t = shares.shape[1]
    iu, ju = np.triu_indices(t)
    return np.concatenate([shares, shares[:, iu] * shares[:, ju]], axis=1)


@dataclass(frozen=True)
class PerformanceModel:
    """Ridge regression of reward-model accuracy on quadratic per-tag human shares."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    r2: float

    def predict(self, shares: np.ndarray) -> np.ndarray:
        z = (quadratic_terms(shares) - self.mean) / self.scale
        out: np.ndarray = z @ self.coef + self.intercept
        return out


def fit_ppm(shares: np.ndarray, accuracy: np.ndarray, alpha: float = 10.0) -> PerformanceModel:
    """Closed-form ridge on standardised quadratic terms (a few hundred columns at most)."""
    x = quadratic_terms(shares)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-12] = 1.0
    z = (x - mean) / scale
    y = accuracy - accuracy.mean()
    coef = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ y)
    resid = y - z @ coef
    r2 = 1.0 - float(resid @ resid) / max(float(y @ y), 1e-12)
    return PerformanceModel(mean, scale, coef, float(accuracy.mean()), r2)


def gumbel_top_k(logits: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k indices sampled without replacement with probabilities proportional to exp(logits)."""
    keys = logits + rng.gumbel(size=logits.shape)
    if k >= len(keys):
        return np.arange(len(keys))
    return np.argpartition(-keys, k - 1)[:k]


def random_tag_logits(tags: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Per-item sampling logits from random per-tag preferences (diverse mix compositions)."""
    w = rng.normal(0.0, strength, size=tags.shape[1])
    out: np.ndarray = tags @ w
    return out


def simulate_mixes(
    tags: np.ndarray,
    head_features: np.ndarray,
    human: np.ndarray,
    ai: np.ndarray,
    train_head: HeadTrainer,
    rng: np.random.Generator,
    n_mixes: int = 200,
    holdout: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """Per mix: per-tag human shares of the training part and the head's held-out accuracy.

    Only items with both labels take part; the held-out part is scored against human labels.
    """
    n = len(human)
    perm = rng.permutation(n)
    n_eval = max(1, round(holdout * n))
    eval_idx, train_idx = perm[:n_eval], perm[n_eval:]
    t_tags = tags[train_idx].astype(np.float64)
    x_train, x_eval = head_features[train_idx], head_features[eval_idx]
    shares = np.empty((n_mixes, tags.shape[1]))
    accuracy = np.empty(n_mixes)
    for m in range(n_mixes):
        k = int(rng.integers(0, len(train_idx) + 1))
        chosen = gumbel_top_k(random_tag_logits(t_tags, rng, 2.0), k, rng)
        labels = ai[train_idx].copy()
        labels[chosen] = human[train_idx][chosen]
        usable = labels >= 0
        predict = train_head(x_train[usable], labels[usable].astype(np.float64))
        accuracy[m] = np.mean((predict(x_eval) > 0.5) == (human[eval_idx] == 1))
        shares[m] = t_tags[chosen].sum(axis=0) / len(train_idx)
    return shares, accuracy


class HyperStrategy:
    """Pick the human set whose tag composition the PPM predicts trains the best reward model."""

    name: ClassVar[str] = "hyper"
    nested: ClassVar[bool] = False

    def __init__(
        self,
        train_head: HeadTrainer | None = None,
        *,
        min_known: int | float = 0.1,
        n_mixes: int = 200,
        n_candidates: int = 500,
        refit_growth: float = 1.5,
    ) -> None:
        self.train_head = train_head or logistic_head()
        self.min_known = min_known
        self.n_mixes = n_mixes
        self.n_candidates = n_candidates
        self.refit_growth = refit_growth
        self._ppm: PerformanceModel | None = None
        self._fit_key: bytes = b""
        self._fit_size = 0

    def fit(self, inp: RoutingInput, rng: np.random.Generator) -> PerformanceModel:
        """Fit (or reuse) the PPM on the items with both a human and an AI label."""
        assert inp.tags is not None
        assert inp.head_features is not None
        assert inp.human_label is not None
        both = inp.known_human & (inp.ai_label >= 0)
        key = np.packbits(both).tobytes() + inp.human_label[both].tobytes()
        if self._ppm is not None and (
            key == self._fit_key or both.sum() < self.refit_growth * self._fit_size
        ):
            return self._ppm
        shares, acc = simulate_mixes(
            inp.tags[both],
            inp.head_features[both],
            inp.human_label[both],
            inp.ai_label[both],
            self.train_head,
            rng,
            self.n_mixes,
        )
        self._ppm = fit_ppm(shares, acc)
        self._fit_key, self._fit_size = key, int(both.sum())
        return self._ppm

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision:
        eligible = inp.eligible_mask
        k = resolve_budget(budget, int(eligible.sum()))
        both = inp.known_human & (inp.ai_label >= 0)
        need = self.min_known
        need_count = round(need * inp.n) if isinstance(need, float) else int(need)
        if inp.tags is None or inp.head_features is None or both.sum() < max(need_count, 10):
            # Exploration: the PPM needs human labels to learn from; a random sample is the
            # unbiased way to get them.
            return decide_by_score(
                inp,
                rng.random(inp.n),
                budget,
                rng,
                self.name,
                {"fallback": "random"},
                unlabelled_first=False,
            )
        ppm = self.fit(inp, rng)
        tags = inp.tags.astype(np.float64)
        base = tags[inp.known_human].sum(axis=0)
        pool = np.flatnonzero(eligible)
        best_score, best = -np.inf, pool[:0]
        for c in range(self.n_candidates):
            strength = 0.0 if c == 0 else 2.0
            pick = pool[gumbel_top_k(random_tag_logits(tags[pool], rng, strength), k, rng)]
            shares = (base + tags[pick].sum(axis=0)) / inp.n
            pred = float(ppm.predict(shares[None, :])[0])
            if pred > best_score:
                best_score, best = pred, pick
        score = np.zeros(inp.n)
        score[best] = 1.0
        decision = decide_by_score(
            inp,
            score,
            k,
            rng,
            self.name,
            {"fallback": "", "ppm_r2": ppm.r2, "predicted_accuracy": best_score},
            unlabelled_first=False,
        )
        return decision
