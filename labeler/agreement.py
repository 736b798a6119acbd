"""Bias and agreement at a glance: position bias, human-AI agreement and labelling speed.

Pure functions over plain label facts (``LabelFact``), so the numbers are tested without a
database and computed in one streaming pass over a project of any size
(``labeler.store.labels`` feeds the facts, grouped by item).

Definitions (they are what the GUI shows):

- *Position bias*: among decisive pairwise picks (A or B, not tie or both bad), the share in
  which the chosen response was the one shown on the left. An unbiased labeller sits near 50%
  when sides are randomised. A label without a recorded shown order counts the stored order
  as the displayed order (response A on the left). Only decisions count: live human labels and
  review overrides, and every AI label that is not retracted or replaced by a newer AI label.
- *Human-AI agreement*: on items that have both an independent human label (a plain ``label``
  event, made without seeing the AI's verdict) and an AI label, the share where the winners
  match, over the items where both are decisive. Review decisions are counted separately
  (accepted vs overridden) because the reviewer saw the AI label. A model trained on the
  project is not checked on the labels it was trained on: a human label made before the model
  was trained (``trained_at``) is *in-sample* for it, counted apart and never as agreement.
- *Time per item*: ``time_ms`` of human label events; times above ``IDLE_CAP_MS`` are capped so a
  coffee break does not halve the labelling rate.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from labeler.types import Action, PairChoice, Source

IDLE_CAP_MS = 300_000
# A rate from two quick decisions is noise ("561 / h"): no rate, and no time left from it,
# until it rests on this many timed labels.
MIN_TIMED_FOR_RATE = 10
"""A label that took longer than five minutes counts as five minutes (the person was away)."""

AI = "AI"
"""The group name under which model labels are reported."""


@dataclass(frozen=True, slots=True)
class LabelFact:
    """What the agreement numbers need to know about one label event.

    ``choice`` is the pairwise outcome in stored response order (None for rankings, ratings,
    thumbs); ``left_index`` is the stored index of the response shown on the left (None when no
    shown order was recorded). ``superseded_by`` lists the actions of the events that supersede
    this one (empty when it is live).
    """

    label_id: int
    item_id: str
    source: Source
    annotator: str
    action: Action
    choice: PairChoice | None = None
    left_index: int | None = None
    time_ms: int | None = None
    superseded_by: tuple[Action, ...] = ()
    created_at: str | None = None
    trained_at: str | None = None

    def trained_on(self, human: LabelFact) -> bool:
        """Whether this AI label's model was trained after ``human`` was made (so on it)."""
        return (
            self.trained_at is not None
            and human.created_at is not None
            and human.created_at <= self.trained_at
        )

    @property
    def is_model(self) -> bool:
        return self.source is Source.MODEL

    @property
    def is_live(self) -> bool:
        return not self.superseded_by and self.action is not Action.RETRACT

    @property
    def winner(self) -> int | None:
        """Stored index of the preferred response, or None for a tie, both bad or no choice."""
        if self.choice is PairChoice.A:
            return 0
        if self.choice is PairChoice.B:
            return 1
        return None


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


def wilson_interval(successes: int, n: int, z: float = 1.96) -> Interval | None:
    """Wilson score interval for a proportion (95% by default); None when there is no data.

    >>> iv = wilson_interval(50, 100)
    >>> round(iv.low, 3), round(iv.high, 3)
    (0.404, 0.596)
    """
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamp to the estimate too: rounding can put p = 1 a hair above centre + half.
    return Interval(max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


@dataclass(frozen=True, slots=True)
class PositionBias:
    """Left picks of one labeller (``group`` is ``"human"`` or ``AI``)."""

    group: str
    annotator: str
    decisive: int
    left: int
    undecided: int

    @property
    def left_share(self) -> float | None:
        return self.left / self.decisive if self.decisive else None

    @property
    def interval(self) -> Interval | None:
        return wilson_interval(self.left, self.decisive)


@dataclass(frozen=True, slots=True)
class Agreement:
    """Human vs AI winners on items with both (``annotator``: the AI's name, or ``"all"``).

    ``in_sample`` counts items left out because the model was trained on their human label.
    """

    annotator: str
    both: int
    decisive: int
    agree: int
    in_sample: int = 0

    @property
    def rate(self) -> float | None:
        return self.agree / self.decisive if self.decisive else None

    @property
    def interval(self) -> Interval | None:
        return wilson_interval(self.agree, self.decisive)


@dataclass(frozen=True, slots=True)
class TimeStats:
    """How long one person takes per label event."""

    annotator: str
    n: int
    median_ms: float
    p90_ms: float
    total_ms: int

    @property
    def labels_per_hour(self) -> float | None:
        return rate_per_hour(self.n, self.total_ms)


@dataclass(frozen=True, slots=True)
class AgreementReport:
    position_bias: tuple[PositionBias, ...] = ()
    agreement: tuple[Agreement, ...] = ()
    reviewed: int = 0
    accepted: int = 0
    time: tuple[TimeStats, ...] = ()

    @property
    def overall_agreement(self) -> Agreement | None:
        return next((a for a in self.agreement if a.annotator == "all"), None)

    @property
    def labels_per_hour(self) -> float | None:
        """The team's rate: all timed human labels over all time spent on them."""
        return rate_per_hour(sum(t.n for t in self.time), sum(t.total_ms for t in self.time))


def rate_per_hour(timed: int, total_ms: float | None) -> float | None:
    """Labels per hour from ``timed`` labels that took ``total_ms``; None until there are
    ``MIN_TIMED_FOR_RATE`` of them (or no time at all).

    >>> rate_per_hour(12, 120_000)
    360.0
    >>> rate_per_hour(2, 12_834) is None
    True
    """
    if timed < MIN_TIMED_FOR_RATE or not total_ms or total_ms <= 0:
        return None
    return 3_600_000 * timed / total_ms


def time_left_hours(remaining: int, labels_per_hour: float | None) -> float | None:
    """Hours of labelling left at the given rate; None when the rate is unknown.

    >>> time_left_hours(300, 120.0)
    2.5
    """
    if labels_per_hour is None or labels_per_hour <= 0:
        return None
    return remaining / labels_per_hour


def _quantile(sorted_values: Sequence[int], q: float) -> float:
    """Linear-interpolated quantile of an already sorted, non-empty list."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass
class _Counter:
    decisive: int = 0
    left: int = 0
    undecided: int = 0


@dataclass
class _AgreeCounter:
    both: int = 0
    decisive: int = 0
    agree: int = 0
    in_sample: int = 0


@dataclass
class AgreementAccumulator:
    """Folds the label facts of one item at a time into an ``AgreementReport``.

    Memory grows with the number of annotators and timed labels, not with the number of items.
    """

    _bias: dict[tuple[str, str], _Counter] = field(default_factory=dict)
    _agree: dict[str, _AgreeCounter] = field(default_factory=dict)
    _times: dict[str, list[int]] = field(default_factory=dict)
    _reviewed: int = 0
    _accepted: int = 0

    def add_item(self, facts: Sequence[LabelFact]) -> None:
        """Add every label event of one item (any order)."""
        ai_labels: list[LabelFact] = []
        for fact in facts:
            self._add_time(fact)
            if fact.action is Action.RETRACT:
                continue
            if fact.is_model:
                # An AI verdict stays an AI verdict after a person reviews it; it stops counting
                # only when it is retracted or replaced by a newer AI label.
                if not any(a in (Action.RETRACT, Action.LABEL) for a in fact.superseded_by):
                    ai_labels.append(fact)
                    self._add_pick(AI, fact)
            elif fact.is_live:
                if fact.action in (Action.ACCEPT, Action.OVERRIDE):
                    self._reviewed += 1
                    self._accepted += fact.action is Action.ACCEPT
                if fact.action in (Action.LABEL, Action.OVERRIDE):
                    self._add_pick("human", fact)
        self._add_agreement(facts, ai_labels)

    def _add_time(self, fact: LabelFact) -> None:
        if fact.is_model or fact.time_ms is None or fact.action is Action.RETRACT:
            return
        self._times.setdefault(fact.annotator, []).append(
            max(0, min(int(fact.time_ms), IDLE_CAP_MS))
        )

    def _add_pick(self, group: str, fact: LabelFact) -> None:
        if fact.choice is None:
            return
        counter = self._bias.setdefault((group, fact.annotator), _Counter())
        winner = fact.winner
        if winner is None:
            counter.undecided += 1
            return
        counter.decisive += 1
        left = fact.left_index if fact.left_index is not None else 0
        counter.left += winner == left

    def _add_agreement(self, facts: Sequence[LabelFact], ai_labels: list[LabelFact]) -> None:
        humans = [
            f
            for f in facts
            if not f.is_model and f.is_live and f.action is Action.LABEL and f.choice is not None
        ]
        if not humans or not ai_labels:
            return
        human = max(humans, key=lambda f: f.label_id)
        latest_ai: dict[str, LabelFact] = {}
        for fact in ai_labels:
            if fact.choice is None:
                continue
            if (
                fact.annotator not in latest_ai
                or fact.label_id > latest_ai[fact.annotator].label_id
            ):
                latest_ai[fact.annotator] = fact
        if not latest_ai:
            return
        independent = [ai for ai in latest_ai.values() if not ai.trained_on(human)]
        newest = max(independent or latest_ai.values(), key=lambda f: f.label_id)
        for name, ai in [*latest_ai.items(), ("all", newest)]:
            counter = self._agree.setdefault(name, _AgreeCounter())
            if ai.trained_on(human):
                counter.in_sample += 1
                continue
            counter.both += 1
            if human.winner is not None and ai.winner is not None:
                counter.decisive += 1
                counter.agree += human.winner == ai.winner

    def report(self) -> AgreementReport:
        bias = tuple(
            PositionBias(group, name, c.decisive, c.left, c.undecided)
            for (group, name), c in sorted(
                self._bias.items(), key=lambda kv: (kv[0][0] == AI, kv[0])
            )
        )
        agreement = tuple(
            Agreement(name, c.both, c.decisive, c.agree, c.in_sample)
            for name, c in sorted(self._agree.items(), key=lambda kv: (kv[0] != "all", kv[0]))
        )
        times = []
        for name in sorted(self._times):
            values = sorted(self._times[name])
            times.append(
                TimeStats(
                    name,
                    len(values),
                    float(statistics.median(values)),
                    _quantile(values, 0.9),
                    sum(values),
                )
            )
        return AgreementReport(bias, agreement, self._reviewed, self._accepted, tuple(times))


def compute_report(items: Iterable[Sequence[LabelFact]]) -> AgreementReport:
    """The whole report from the label facts of each item (one sequence per item).

    >>> from labeler.types import Action, PairChoice, Source
    >>> facts = [LabelFact(1, "x", Source.HUMAN, "ann", Action.LABEL, PairChoice.A, 0, 4000)]
    >>> compute_report([facts]).position_bias[0].left_share
    1.0
    """
    acc = AgreementAccumulator()
    for facts in items:
        acc.add_item(facts)
    return acc.report()
