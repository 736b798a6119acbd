"""The one routing interface: per-item arrays in, a route and a human-queue order out.

Routing works on plain numpy arrays, one entry per item, so that a million items route in
seconds and the same code serves the CLI, the GUI and the simulation. Nothing here reads the
store: ``labeler.store.routes`` builds a ``RoutingInput`` and writes a
``RoutingDecision`` back.

Label encoding everywhere in this package: ``0`` = response A preferred, ``1`` = response B,
``-1`` = no usable label (missing, tie, a judge's unparseable answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Protocol

import numpy as np

HUMAN, MODEL, REVIEW = 0, 1, 2
ROUTE_NAMES = ("human", "model", "review")
NO_LABEL = -1

Budget = int | float


@dataclass(frozen=True)
class RoutingInput:
    """What a strategy may see about n items. Hidden human labels are never in here.

    ``ai_label``: the label accepted if the item goes to ``model``.
    ``margin``: reward-model preference margin ``|P(B) - 0.5|`` in [0, 0.5]; NaN if unscored.
    ``member_probs``: [n, m] P(B) of each ensemble head (bootstrap reward-model heads).
    ``judge_probs``: [n, j] other AI opinions as P(B) (1 / 0 / 0.5 for a tie, NaN if
    missing): other judges, a judge's swapped presentation order, the local model.
    ``features``: [n, d] per-item numbers for ``learned`` (see ``routing.features``).
    ``tags``: [n, t] binary tags for ``hyper``; ``head_features``: [n, e] the reward-model
    head's input as f(B) - f(A) (embedding and length features), for ``hyper`` and metric (b).
    ``contradiction``: [n] how far the AI source contradicts its own run with the responses
    swapped (1: opposite verdicts, 0.5: a verdict against a tie, 0: consistent or no such run).
    ``response_pairs``: [n, 2] ids of the two responses (one id per distinct prompt and
    response text), so items comparing the same responses are siblings (``routing.siblings``).
    ``human_label``: the human labels known so far (``-1`` where unknown).
    ``eligible``: items that may be routed (no human label yet, not excluded).
    """

    ai_label: np.ndarray
    margin: np.ndarray | None = None
    member_probs: np.ndarray | None = None
    judge_probs: np.ndarray | None = None
    features: np.ndarray | None = None
    feature_names: tuple[str, ...] = ()
    tags: np.ndarray | None = None
    tag_names: tuple[str, ...] = ()
    head_features: np.ndarray | None = None
    contradiction: np.ndarray | None = None
    response_pairs: np.ndarray | None = None
    human_label: np.ndarray | None = None
    eligible: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ai_label)
        object.__setattr__(self, "ai_label", np.asarray(self.ai_label, dtype=np.int8))
        if self.human_label is None:
            object.__setattr__(self, "human_label", np.full(n, NO_LABEL, dtype=np.int8))
        if self.eligible is None:
            object.__setattr__(self, "eligible", self.known_human == 0)
        for name in (
            "margin",
            "member_probs",
            "judge_probs",
            "features",
            "tags",
            "head_features",
            "contradiction",
            "response_pairs",
            "human_label",
            "eligible",
        ):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} has {len(value)} rows, ai_label has {n}")

    @property
    def n(self) -> int:
        return len(self.ai_label)

    @property
    def known_human(self) -> np.ndarray:
        """Mask of items whose human label is known."""
        assert self.human_label is not None
        return np.asarray(self.human_label >= 0)

    @property
    def eligible_mask(self) -> np.ndarray:
        assert self.eligible is not None
        return np.asarray(self.eligible, dtype=bool)

    def with_human(self, human_label: np.ndarray, eligible: np.ndarray) -> RoutingInput:
        return replace(self, human_label=human_label, eligible=eligible)


@dataclass(frozen=True)
class RoutingDecision:
    """Per item: a route code (``HUMAN``/``MODEL``/``REVIEW``) and a queue priority.

    ``priority`` sorts the human queue ascending (most valuable first: 0, 1, ...), the order
    the store's ``items_queue`` index serves; items not routed to a human share the priority
    ``k`` (the human count), so routing n items never needs a full O(n log n) sort.
    ``score`` is the strategy's own value of a human label on the item (higher = more
    valuable), kept for inspection. Ineligible items keep route
    ``MODEL`` only nominally: writers skip them (``eligible`` is False).
    """

    route: np.ndarray
    priority: np.ndarray
    score: np.ndarray
    eligible: np.ndarray
    strategy: str
    info: dict[str, float | str] = field(default_factory=dict)

    @property
    def human_order(self) -> np.ndarray:
        """Indices routed to a human, most valuable first."""
        idx = np.flatnonzero(self.route == HUMAN)
        return idx[np.argsort(self.priority[idx], kind="stable")]

    def counts(self) -> dict[str, int]:
        el = self.eligible
        return {
            name: int(np.sum((self.route == code) & el)) for code, name in enumerate(ROUTE_NAMES)
        }


class Strategy(Protocol):
    """Decides, for the eligible items, who labels them under a human budget."""

    name: ClassVar[str]
    # True when the human queue of a larger budget starts with the queue of a smaller one,
    # so one labelling trajectory answers every budget (the simulation relies on it).
    nested: ClassVar[bool]

    def decide(
        self, inp: RoutingInput, budget: Budget, rng: np.random.Generator
    ) -> RoutingDecision: ...


def resolve_budget(budget: Budget, n_eligible: int) -> int:
    """A count, or a fraction of the eligible items rounded half to even; clipped to them.

    >>> resolve_budget(0.25, 10), resolve_budget(7, 5)
    (2, 5)
    """
    if isinstance(budget, bool) or budget < 0:
        raise ValueError(f"budget must be a non-negative count or fraction, got {budget!r}")
    if isinstance(budget, float):
        if budget > 1:
            raise ValueError(f"a fractional budget must lie in [0, 1], got {budget}")
        count = round(budget * n_eligible)
    else:
        count = int(budget)
    return min(count, n_eligible)


def decide_by_score(
    inp: RoutingInput,
    score: np.ndarray,
    budget: Budget,
    rng: np.random.Generator,
    strategy: str,
    info: dict[str, float | str] | None = None,
    *,
    unlabelled_first: bool = True,
) -> RoutingDecision:
    """Route the ``budget`` eligible items with the highest score to humans, the rest to model.

    Exactly ``resolve_budget(budget, n_eligible)`` items go to humans. Ties in the score are
    broken by a random permutation (from ``rng``), so equal items are not served in import
    order. With ``unlabelled_first``, items without a usable AI label (nothing to accept) rank
    above every scored item; ``info['unlabelled_to_model']`` counts those the budget could not
    cover, which end up with no label at all.
    """
    n = inp.n
    eligible = inp.eligible_mask
    pool = np.flatnonzero(eligible)
    k = resolve_budget(budget, len(pool))
    key = np.nan_to_num(np.asarray(score, dtype=np.float64)[pool], nan=-np.inf, posinf=np.inf)
    no_ai = inp.ai_label < 0
    if unlabelled_first:
        key[no_ai[pool]] = np.inf
    chosen = _top_k(pool, key, k, rng)
    # Order the chosen items by key, ties in random order: O(k log k), not O(n log n).
    ck = key[chosen]
    tiebreak = rng.random(len(chosen))
    order = chosen[np.lexsort((tiebreak, -ck))]
    route = np.full(n, MODEL, dtype=np.int8)
    priority = np.full(n, float(k), dtype=np.float64)
    route[pool[order]] = HUMAN
    priority[pool[order]] = np.arange(k, dtype=np.float64)
    details: dict[str, float | str] = dict(info or {})
    details["unlabelled_to_model"] = float(np.sum(no_ai & eligible & (route == MODEL)))
    return RoutingDecision(route, priority, np.asarray(score), eligible, strategy, details)


def _top_k(pool: np.ndarray, key: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Positions (into ``key``) of the k largest keys; ties at the cut are drawn at random."""
    m = len(key)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if k >= m:
        return np.arange(m)
    cut = np.partition(key, m - k)[m - k]  # the k-th largest value
    above = np.flatnonzero(key > cut)
    at = np.flatnonzero(key == cut)
    need = k - len(above)
    return np.concatenate([above, rng.choice(at, size=need, replace=False)])


def with_audit(
    decision: RoutingDecision, fraction: float, rng: np.random.Generator
) -> RoutingDecision:
    """Send a uniform random ``fraction`` of the model-routed items to ``review``.

    The audit must be random (not the least certain items) so that its error rate is an
    unbiased estimate of the error rate of every model-routed item (``routing.audit``).
    """
    model_idx = np.flatnonzero((decision.route == MODEL) & decision.eligible)
    k = round(fraction * len(model_idx))
    route = decision.route.copy()
    if k:
        route[rng.choice(model_idx, size=k, replace=False)] = REVIEW
    return replace(decision, route=route)
