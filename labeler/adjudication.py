"""Adjudication: a person settles an item whose annotators disagree.

The queue is every item in conflict under the project's policy; each is shown with every
person's live label and rationale. The decision is its own label event (action
``adjudicate``), which ``labeler.resolution`` lets count over every other label, so the
annotators' labels stay in the log (and in the agreement numbers) as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labeler.store.adjudication import adjudicated_count, conflicting_items
from labeler.store.items import get_item
from labeler.store.labels import live_labels, record_labels
from labeler.types import (
    Action,
    Item,
    Label,
    LabelValue,
    PairChoice,
    PairwiseValue,
    RankingValue,
    Source,
)

if TYPE_CHECKING:
    import sqlite_utils

__all__ = [
    "Dispute", "adjudicate", "adjudicated_count", "conflicting_items", "describe", "dispute",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Dispute:
    """An item in conflict with each person's live label on it (oldest first)."""

    item: Item
    votes: tuple[Label, ...]


def dispute(db: sqlite_utils.Database, item_id: str) -> Dispute:
    """The item and its people's live labels, as the adjudicator sees them."""
    votes = tuple(
        lab
        for lab in live_labels(db, item_id)
        if lab.source is not Source.MODEL and lab.value is not None
    )
    return Dispute(get_item(db, item_id), votes)


def adjudicate(
    db: sqlite_utils.Database,
    item_id: str,
    value: LabelValue,
    adjudicator: str,
    rationale: str | None = None,
) -> Label:
    """Store the adjudicator's decision (in stored response order) as one label event."""
    if not adjudicator.strip():
        raise ValueError("an adjudicator name is needed")
    decision = Label(
        item_id=item_id,
        value=value,
        source=Source.HUMAN,
        annotator=adjudicator.strip(),
        action=Action.ADJUDICATE,
        rationale=rationale or None,
    )
    return record_labels(db, [decision])[0]


def describe(value: LabelValue) -> str:
    """A label value in words, responses numbered from 1 in stored order.

    >>> from labeler.types import PairChoice, PairwiseValue, RankingValue
    >>> describe(PairwiseValue(PairChoice.B, 2))
    'Response 2 is much better'
    >>> describe(RankingValue((2, 1, 3)))
    'Ranking: 2 > 1 > 3'
    """
    if isinstance(value, PairwiseValue):
        if value.choice is PairChoice.TIE:
            return "A tie"
        if value.choice is PairChoice.BOTH_BAD:
            return "Both are bad"
        much = " much" if (value.strength or 0) >= 2 else ""
        return f"Response {1 if value.choice is PairChoice.A else 2} is{much} better"
    if isinstance(value, RankingValue):
        order = sorted((r, i + 1) for i, r in enumerate(value.ranks) if r is not None)
        return "Ranking: " + " > ".join(str(n) for _r, n in order)
    return f"{value.kind.value.capitalize()}: {value.to_json()}"
