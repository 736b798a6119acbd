"""Which label counts for an item: the one rule that training, stats, review, routing,
simulation and export all call, so they never disagree about a project.

Given an item's live labels, oldest first (liveness is the store's business), and the
project's conflict policy:

0. An adjudication (a person's decision on an item whose labels conflicted) counts over
   every other label; the latest one, if an item was adjudicated twice.
1. People's labels (made, imported or reviewed) come before the model's.
2. Among people's labels, the latest one names the kind that counts. When other people's
   labels of that kind disagree with it in verdict, the item has a conflict, which the
   policy settles: ``majority`` (the most common verdict; a tie between verdicts goes to
   the latest label), ``latest``, ``drop`` (no label counts), or ``dawid-skene`` (the
   verdict most likely right given every annotator's and AI source's estimated reliability,
   ``labeler.dawid_skene``; the caller passes the fitted model as ``weigh``).
3. Without people's labels: the latest label of the AI source routing trusted for the item
   (``items.ai_source``), else the latest model label.

The label that counts implies preference pairs: each response over every response placed
below it (the exporters' ``all`` pair rule); ties and "both bad" imply none. Labels are read
as stored (kind and JSON text), so nothing is decoded for an item whose label is plain.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Generic, NamedTuple, Protocol, TypeVar

import numpy as np

from labeler.types import AspectsValue, LabelValue, PairwiseValue, value_from_json


class ConflictPolicy(StrEnum):
    """How disagreeing people's labels of one item are settled (stored in the project)."""

    MAJORITY = "majority"
    LATEST = "latest"
    DROP = "drop"
    DAWID_SKENE = "dawid-skene"


DEFAULT_POLICY = ConflictPolicy.MAJORITY

ADJUDICATED = "adjudicate"
"""The action of an adjudicator's decision (``types.Action.ADJUDICATE``): it always counts."""

POLICY_TEXT: dict[ConflictPolicy, str] = {
    ConflictPolicy.MAJORITY: "the most common verdict counts (a tie goes to the latest label)",
    ConflictPolicy.LATEST: "the latest label counts",
    ConflictPolicy.DROP: "the item is left out",
    ConflictPolicy.DAWID_SKENE: "the verdict most likely right counts, weighing each "
    "annotator and AI source by its reliability estimated from all their labels",
}

RULE_TEXT = (
    "An adjudicator's decision counts over every other label. People's labels (made, "
    "imported or reviewed) count before the model's; among model labels, those of the AI "
    "source routing trusted for the item, else the latest."
)


def describe(policy: ConflictPolicy) -> str:
    """One sentence on what the policy does, for ``prefmark stats``, settings and the app.

    >>> describe(ConflictPolicy.DROP)
    'When people disagree on an item, the item is left out.'
    """
    return f"When people disagree on an item, {POLICY_TEXT[policy]}."


def policy_lines(policy: ConflictPolicy, conflicts: int | None = None) -> list[str]:
    """How the project decides which label counts, as ``prefmark stats`` and ``settings``
    print it (``conflicts``: how many items have disagreeing people's labels, if known).

    >>> policy_lines(ConflictPolicy.DROP, 1)[1]
    '  When people disagree on an item, the item is left out. Items in conflict now: 1.'
    """
    text = describe(policy)
    if conflicts is not None:
        text += f" Items in conflict now: {conflicts:,}."
    return [f"conflicting labels: {policy.value}", f"  {text}", f"  {RULE_TEXT}"]


class StoredLabel(Protocol):
    """What the rule reads of a live label: its kind and value as stored, and who made it."""

    @property
    def kind(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def annotator(self) -> str: ...

    @property
    def action(self) -> str: ...


class LiveLabel(NamedTuple):
    """A live label as stored (``value`` is its JSON text), the same columns an export reads."""

    id: int
    kind: str
    value: str
    source: str
    annotator: str
    action: str
    model_version: str | None
    confidence: float | None


class Attributed(Protocol):
    """Anything that names who made it (a stored label, or a ``Label``)."""

    @property
    def annotator(self) -> str: ...


L = TypeVar("L", bound=StoredLabel)
A = TypeVar("A", bound=Attributed)


@lru_cache(maxsize=65536)
def decode(kind: str, value: str) -> LabelValue:
    """A label value from its stored JSON; values are immutable, so equal texts share one."""
    return value_from_json(kind, json.loads(value))


def verdict(value: LabelValue) -> Hashable:
    """What two labels must share to agree: the direction for pairwise and aspects labels
    (strength aside), the whole value otherwise.

    >>> from labeler.types import PairChoice
    >>> verdict(PairwiseValue(PairChoice.A, 1)) == verdict(PairwiseValue(PairChoice.A, 2))
    True
    """
    if isinstance(value, AspectsValue):
        value = value.as_pairwise()
    if isinstance(value, PairwiseValue):
        return value.choice
    return value


def label_pairs(value: LabelValue, *, unranked_last: bool = False) -> list[tuple[int, int]]:
    """(winner, loser) response indices a label states: every response over each one placed
    below it. ``unranked_last``: in a top-k project the unranked responses rank last.

    >>> from labeler.types import RatingValue
    >>> label_pairs(RatingValue((2, 5, 2)))
    [(1, 0), (1, 2)]
    """
    # The exporters import this module, so their pair rules are imported on first use.
    from labeler.exporters.formats.pairs import PairRule, preference_pairs

    pairs = preference_pairs(value, PairRule.ALL, unranked_last=unranked_last)
    return [(p.chosen, p.rejected) for p in pairs]


@lru_cache(maxsize=65536)
def choice_code(kind: str | None, value: str | None, unranked_last: bool = False) -> int:
    """A stored label of a two-response item as 0 (A better), 1 (B better) or -1 (a tie,
    both bad, or nothing said about the pair), from the pairs it implies.

    >>> choice_code("rating", '{"ratings":[2,4],"scale":5}')
    1
    """
    if kind is None or value is None:
        return -1
    pairs = label_pairs(decode(kind, value), unranked_last=unranked_last)
    if pairs == [(0, 1)]:
        return 0
    return 1 if pairs == [(1, 0)] else -1


def is_model(label: StoredLabel) -> bool:
    return label.source == "model"


def trusts(annotator: str, ai_source: str | None) -> bool:
    """Whether routing trusted this annotator's labels (a source routed by its swapped run
    is still that annotator)."""
    return ai_source is not None and annotator in (ai_source, ai_source.removesuffix("@swapped"))


def model_choice(labels: Sequence[A], ai_source: str | None) -> A | None:
    """Among model labels (oldest first): the trusted AI source's latest, else the latest.

    The review queue shows this label, and it counts for an item no person has labelled.
    """
    for label in reversed(labels):
        if trusts(label.annotator, ai_source):
            return label
    return labels[-1] if labels else None


class Weigh(Protocol):
    """P(true verdict) of one item from all its live labels, by choice code (0: A better,
    1: B better, -1: a tie); empty when the item's labels are not two-response choices."""

    def __call__(self, labels: Sequence[StoredLabel]) -> dict[int, float]: ...


class Decision(NamedTuple, Generic[L]):
    """The label that counts for an item (None: no label, or a conflict dropped) and whether
    people's labels of that kind disagreed."""

    label: L | None
    conflict: bool

    @property
    def by_people(self) -> bool:
        return self.label is not None and not is_model(self.label)

    def pairs(self, *, unranked_last: bool = False) -> list[tuple[int, int]]:
        """The (winner, loser) pairs the label that counts implies (none without one)."""
        if self.label is None:
            return []
        return label_pairs(decode(self.label.kind, self.label.value), unranked_last=unranked_last)

    def code(self, *, unranked_last: bool = False) -> int:
        """``choice_code`` of the label that counts (-1 without one)."""
        label = self.label
        return -1 if label is None else choice_code(label.kind, label.value, unranked_last)


def resolve(
    labels: Sequence[L],
    policy: ConflictPolicy = DEFAULT_POLICY,
    ai_source: str | None = None,
    weigh: Weigh | None = None,
) -> Decision[L]:
    """The label that counts, from an item's live labels oldest first (see the module doc).

    ``dawid-skene`` without ``weigh`` (or on labels it cannot weigh) settles as ``majority``.
    """
    if len(labels) == 1:
        return Decision(labels[0], False)
    for label in reversed(labels):
        if label.action == ADJUDICATED:
            return Decision(label, False)
    people = [lab for lab in labels if lab.source != "model"]
    if not people:
        return Decision(model_choice(labels, ai_source), False)
    latest = people[-1]
    same_kind = [lab for lab in people if lab.kind == latest.kind]
    if len(same_kind) == 1:
        return Decision(latest, False)
    verdicts = [verdict(decode(lab.kind, lab.value)) for lab in same_kind]
    if len(set(verdicts)) == 1:
        return Decision(latest, False)
    if policy is ConflictPolicy.DROP:
        return Decision(None, True)
    if policy is ConflictPolicy.LATEST:
        return Decision(latest, True)
    if policy is ConflictPolicy.DAWID_SKENE and weigh is not None:
        best = _most_likely(same_kind, weigh(labels))
        if best is not None:
            return Decision(best, True)
    counts = Counter(verdicts)
    top = max(counts.values())
    winner = next(
        lab
        for lab, v in zip(reversed(same_kind), reversed(verdicts), strict=True)
        if counts[v] == top
    )
    return Decision(winner, True)


def _most_likely(people: Sequence[L], posterior: dict[int, float]) -> L | None:
    """The latest of ``people``'s labels whose verdict has the highest posterior."""
    if not posterior:
        return None
    scored = [(posterior.get(choice_code(lab.kind, lab.value), 0.0), i) for i, lab in
              enumerate(people)]  # fmt: skip
    return people[max(scored)[1]]


def combined(
    labels: Sequence[L], decision: Decision[L], policy: ConflictPolicy = DEFAULT_POLICY
) -> list[str]:
    """Whose labels the decision stands on, first label first: every person with a label of
    the counting kind (voters of a majority vote, or people who agree), only the latest
    one's author when ``latest`` settled a conflict, the model's own name for a model label.
    """
    label = decision.label
    if label is None:
        return []
    if is_model(label) or (decision.conflict and policy is ConflictPolicy.LATEST):
        return [label.annotator]
    people = (lab.annotator for lab in labels if lab.source != "model" and lab.kind == label.kind)
    return list(dict.fromkeys(people))


class HumanCodes(Protocol):
    """Routing's per-item human choice codes (``store.routes.RoutingArrays``)."""

    human: np.ndarray
    human_by: dict[str, np.ndarray]


class UnknownAnnotatorError(LookupError):
    """The annotator asked to play the human in a simulation has no labels."""


class SimulationLabels(NamedTuple):
    """Per item: what the simulated person answers, and the gold the answers are scored on
    (choice codes; -1 where there is none)."""

    player: np.ndarray
    gold: np.ndarray


def simulation_gold(arrays: HumanCodes, annotator: str | None = None) -> SimulationLabels:
    """Gold is the decision that counts for each item (the project's policy over everyone's
    labels); the person is ``annotator``'s own decision, or that same decision.

    ``routing_arrays`` resolves both with this module, so the simulation scores routing
    against the labels training and export use.
    """
    gold = np.where(arrays.human >= 0, arrays.human, -1).astype(np.int8)
    if annotator is None:
        return SimulationLabels(gold.copy(), gold)
    if annotator not in arrays.human_by:
        raise UnknownAnnotatorError(f"no human labels by {annotator!r}")
    own = arrays.human_by[annotator]
    return SimulationLabels(np.where(own >= 0, own, -1).astype(np.int8), gold)
