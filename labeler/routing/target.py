"""How many items must people label so the finished set is at least ``target`` accurate,
with probability at least ``confidence``? Answered from a random audit of AI labels.

The items are ranked by a risk score fixed before the audit is read (the routing strategy's
value of a human label, computed without the audited labels). Sending the ``k`` riskiest to
people leaves the rest with their AI labels; the audited items that fall among that rest are a
uniform random sample of it, so a Clopper-Pearson upper bound on their error rate bounds the
rest's. People's and audited labels count as correct, so the set's accuracy is at least
``1 - rest * bound / n``. Each ``k`` is one hypothesis "accuracy < target"; testing them in a
fixed order, from all items to people downwards, and stopping at the first that cannot be
rejected controls the chance of any false promise at ``1 - confidence`` without splitting it
(fixed-sequence testing, as in Learn-then-Test, Angelopoulos et al. 2021).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

# A target accuracy (and the confidence it is promised with) lies in [0.5, 1): below a coin
# flip is no promise, and 1 could only be kept by sending every item to people. The CLI and
# the app take the same bounds; the app offers DEFAULT_TARGET first.
TARGET_BOUNDS = (0.5, 1.0)
DEFAULT_TARGET = 0.9
DEFAULT_CONFIDENCE = 0.9


def _binom_cdf(e: int, m: int, p: float) -> float:
    """P(X <= e) for X ~ Binomial(m, p)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if e >= m else 0.0
    if e >= m:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    i = np.arange(e)
    # log pmf(i + 1) - log pmf(i) = log((m - i) / (i + 1)) + log(p / q)
    logs = m * lq + np.concatenate([[0.0], np.cumsum(np.log((m - i) / (i + 1)) + lp - lq)])
    top = float(logs.max())
    return min(1.0, math.exp(top) * float(np.exp(logs - top).sum()))


def clopper_pearson_upper(errors: int, n: int, confidence: float) -> float:
    """One-sided upper confidence bound on an error rate from ``errors`` in ``n`` draws.

    >>> round(clopper_pearson_upper(0, 10, 0.9), 4)  # 1 - 0.1 ** (1 / 10)
    0.2057
    >>> clopper_pearson_upper(0, 0, 0.9)
    1.0
    """
    if n <= 0 or errors >= n:
        return 1.0
    alpha = 1.0 - confidence
    lo, hi = errors / n, 1.0
    for _ in range(60):  # bisection: the CDF falls as p grows
        mid = (lo + hi) / 2
        if _binom_cdf(errors, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


@dataclass(frozen=True)
class TargetStep:
    """Sending the ``human`` riskiest items to people: the audit's view of the result."""

    human: int
    audited_in_rest: int
    errors_in_rest: int
    accuracy: float  # point estimate of the finished set's accuracy
    lower: float  # guaranteed at the plan's confidence (when tested in sequence)


SLACK = 0.05  # the audit "is too small" when it costs people more than this share of items


@dataclass(frozen=True)
class TargetPlan:
    """``human``: the people's items that keep the promise; ``point_human``: what the audit's
    point estimate alone would say. When the first exceeds the second by more than ``SLACK``
    of the items, the audit is too small and ``more_audits`` extra audit labels (if the error
    pattern held) would bring ``human`` within that slack (None: not needed, or not found)."""

    target: float
    confidence: float
    n_items: int  # items to finish, audited ones included
    audited: int
    human: int
    point_human: int
    steps: tuple[TargetStep, ...]
    more_audits: int | None = None

    @property
    def audit_too_small(self) -> bool:
        return self.human > self.point_human + SLACK * (self.n_items - self.audited)


def _steps(
    risk: np.ndarray, audit_risk: np.ndarray, audit_wrong: np.ndarray, ks: np.ndarray, conf: float
) -> list[TargetStep]:
    """One step per candidate ``k`` (people's items among the unaudited, riskiest first),
    in the order of ``ks`` (falling).

    The items left with the AI at a larger ``k`` are a subset of those left at a smaller one,
    so the set's true accuracy never falls as people take more. Both columns keep that: the
    point estimate is the best of its own and every smaller ``k``'s (an audit too thin below a
    high cut says nothing new, not "all wrong"); the bound is the lowest of its own and every
    larger ``k``'s, which only loosens each bound and is what the fixed-sequence test from
    the top keeps anyway.
    """
    n_rest_all = len(risk)
    n = n_rest_all + len(audit_risk)
    ordered = np.sort(risk)[::-1]
    raw = []
    for k in ks:
        k = int(k)
        # The audited items that would have stayed with the AI at this cut: risk below it.
        cut = ordered[k - 1] if k > 0 else np.inf
        below = audit_risk < cut if k > 0 else np.ones(len(audit_risk), dtype=bool)
        m, e = int(below.sum()), int(audit_wrong[below].sum())
        rest = n_rest_all - k
        point = 1.0 - rest * (e / m if m else 1.0) / n
        bound = 1.0 if rest == 0 else clopper_pearson_upper(e, m, conf)
        raw.append(TargetStep(k, m, e, point, 1.0 - rest * bound / n))
    lower = np.minimum.accumulate([s.lower for s in raw])
    by_k = sorted(range(len(raw)), key=lambda i: raw[i].human)
    best = np.maximum.accumulate([raw[i].accuracy for i in by_k])
    accuracy = dict(zip(by_k, best, strict=True))
    return [
        replace(s, accuracy=float(accuracy[i]), lower=float(lower[i])) for i, s in enumerate(raw)
    ]


def plan_for_target(
    risk: np.ndarray,
    audit_risk: np.ndarray,
    audit_wrong: np.ndarray,
    target: float,
    confidence: float = DEFAULT_CONFIDENCE,
    grid: int = 200,
    more: bool = True,
) -> TargetPlan:
    """The fewest of the unaudited items (``risk``: higher = more likely wrong) that people
    must label so the whole set (these plus the audited items, whose ``audit_risk`` and
    ``audit_wrong`` are given) is at least ``target`` accurate with ``confidence``.

    Candidates are ``grid`` + 1 evenly spaced counts; they are tested from every item down and
    the last one kept before the first failure is the answer.
    """
    risk = np.asarray(risk, dtype=np.float64)
    audit_risk = np.asarray(audit_risk, dtype=np.float64)
    audit_wrong = np.asarray(audit_wrong, dtype=bool)
    n_rest = len(risk)
    ks = np.unique(np.linspace(0, n_rest, min(grid, n_rest) + 1).round().astype(int))[::-1]
    steps = _steps(risk, audit_risk, audit_wrong, ks, confidence)
    human = n_rest
    for step in steps:
        if step.lower < target:
            break
        human = step.human
    ordered = tuple(sorted(steps, key=lambda s: s.human))
    point = next((s.human for s in ordered if s.accuracy >= target), n_rest)
    plan = TargetPlan(
        target, confidence, n_rest + len(audit_risk), len(audit_risk), human, point, ordered
    )
    if not plan.audit_too_small or not len(audit_risk) or not more:
        return plan
    return _with_more_audits(plan, risk, audit_risk, audit_wrong, grid)


def _with_more_audits(
    plan: TargetPlan,
    risk: np.ndarray,
    audit_risk: np.ndarray,
    audit_wrong: np.ndarray,
    grid: int,
) -> TargetPlan:
    """The fewest extra audit labels that bring ``human`` within the slack, if the audit's
    error pattern held (the audit repeated ``r`` times stands for ``r`` times its size;
    searched by doubling, then bisection)."""

    def promised(extra: int) -> bool:
        reps = 1 + extra / len(audit_risk)
        whole = int(np.floor(reps))
        frac = round((reps - whole) * len(audit_risk))
        r = np.concatenate([np.tile(audit_risk, whole), audit_risk[:frac]])
        w = np.concatenate([np.tile(audit_wrong, whole), audit_wrong[:frac]])
        bigger = plan_for_target(risk, r, w, plan.target, plan.confidence, grid, more=False)
        return bigger.human <= plan.point_human + SLACK * len(risk)

    hi = len(audit_risk)
    while not promised(hi):
        hi *= 2
        if hi > 64 * max(len(risk), 1):
            return plan
    lo = 0
    while hi - lo > max(1, hi // 50):
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if promised(mid) else (mid, hi)
    return TargetPlan(**{**plan.__dict__, "more_audits": hi})


@dataclass(frozen=True)
class TargetTrial:
    """One replay of the target mode: what it planned and whether the promise held."""

    human: int
    audited: int
    accuracy: float
    held: bool


def replay_target(
    ai_label: np.ndarray,
    human: np.ndarray,
    risk: np.ndarray,
    target: float,
    confidence: float,
    audit_share: float,
    rng: np.random.Generator,
) -> TargetTrial:
    """Audit a random ``audit_share`` of the items, plan, and check the finished set against
    the people's labels (the accuracy the promise is about: agreement with the people who
    would check it). ``risk`` must not depend on ``human``."""
    n = len(ai_label)
    audit = np.zeros(n, dtype=bool)
    audit[rng.choice(n, size=max(1, round(audit_share * n)), replace=False)] = True
    risk = np.where(ai_label < 0, np.inf, risk)
    wrong = ai_label[audit] != human[audit]
    plan = plan_for_target(risk[~audit], risk[audit], wrong, target, confidence, more=False)
    rest = np.flatnonzero(~audit)
    people = rest[np.argsort(-risk[rest], kind="stable")[: plan.human]]
    finished = ai_label.copy()
    finished[audit] = human[audit]
    finished[people] = human[people]
    accuracy = float(np.mean(finished == human))
    return TargetTrial(plan.human, int(audit.sum()), accuracy, accuracy >= target)
