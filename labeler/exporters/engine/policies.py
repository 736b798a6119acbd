"""Which items and labels go into an export, and the split.

The order: item filters (route, tag), then the candidate labels (live labels, narrowed to
the chosen annotators), then ``labeler.resolution`` (the rule every consumer of labels
shares: people's labels over the model's, the project's conflict policy), then the resolved
label's filters (label source, minimum model confidence).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from labeler.exporters.engine.decode import load_json
from labeler.resolution import ConflictPolicy, Decision, Weigh, verdict
from labeler.resolution import resolve as resolve_labels
from labeler.store.resolved import ExportRow, LabelRow

Resolution = Decision
"""The label that counts for an item and whether people disagreed (``resolution.resolve``)."""

__all__ = [
    "ConflictPolicy",
    "Resolution",
    "Selection",
    "SourceFilter",
    "candidates",
    "item_passes",
    "label_passes",
    "resolve",
    "split_of",
    "splitter",
    "verdict",
]


class SourceFilter(StrEnum):
    """Which labels an export takes.

    ``finished`` (the default): the hybrid data set, people's labels plus the model labels
    routing accepted (items routed to the model); ``human``: labels by people (made,
    imported or reviewed); ``model``: model labels routing accepted, unreviewed;
    ``reviewed``: model labels a person accepted or overrode; ``all``: every item's label
    that counts, including model suggestions on items still waiting for a person.
    """

    FINISHED = "finished"
    HUMAN = "human"
    MODEL = "model"
    REVIEWED = "reviewed"
    ALL = "all"


@dataclass(frozen=True)
class Selection:
    source: SourceFilter = SourceFilter.FINISHED
    annotators: frozenset[str] = frozenset()
    min_confidence: float | None = None
    routes: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()


def item_passes(row: ExportRow, sel: Selection) -> bool:
    if sel.routes and row.route not in sel.routes:
        return False
    if sel.tags:
        tags = load_json(row.tags) if row.tags else []
        return any(t in sel.tags for t in tags)
    return True


def candidates(labels: Sequence[LabelRow], sel: Selection) -> Sequence[LabelRow]:
    """The live labels that may count (oldest first), narrowed to the chosen annotators."""
    if not sel.annotators:
        return labels
    return [lab for lab in labels if lab.annotator in sel.annotators]


def resolve(
    labels: Sequence[LabelRow],
    policy: ConflictPolicy | None,
    ai_source: str | None = None,
    weigh: Weigh | None = None,
) -> Decision[LabelRow]:
    """The label that counts among an item's candidate labels, by the one rule
    (``labeler.resolution``); ``policy`` is the export's, which ``export_project`` fills in
    from the project when the options leave it open."""
    if policy is None:
        raise ValueError("an export needs a conflict policy: use ExportOptions.for_project")
    return resolve_labels(labels, policy, ai_source, weigh)


def label_passes(label: LabelRow, sel: Selection, route: str) -> bool:
    """Whether the label that counts for an item (routed to ``route``) is in the selection."""
    src = sel.source
    model = label.source == "model"
    if src is SourceFilter.FINISHED and model and route != "model":
        return False
    if src is SourceFilter.HUMAN and model:
        return False
    if src is SourceFilter.MODEL and not (model and route == "model"):
        return False
    if src is SourceFilter.REVIEWED and label.action not in ("accept", "override"):
        return False
    if sel.min_confidence is not None and label.source == "model":
        return label.confidence is not None and label.confidence >= sel.min_confidence
    return True


UNFINISHED = "items not finished (only the model's label, and not routed to the model)"
"""Why the default export leaves an item out that a model scored or a judge voted on but that
still waits for a person: the difference between the items with a label and the Done ones."""


def filtered_reason(sel: Selection) -> str:
    """What ``label_passes`` refusing a label means for the export's report."""
    if sel.source is SourceFilter.FINISHED and sel.min_confidence is None:
        return UNFINISHED
    return "labels outside the source/confidence filters"


def split_of(prompt_json: str, test_size: float, seed: int) -> str:
    """``train`` or ``test`` from a seeded hash of the stored prompt.

    Hashing the prompt (not the item) keeps every item with the same prompt in one split,
    so no prompt is in both.

    >>> split_of('"2+2?"', 0.0, 0), split_of('"2+2?"', 1.0, 0)
    ('train', 'test')
    """
    return splitter(test_size, seed)(prompt_json)


def splitter(test_size: float, seed: int) -> Callable[[str], str]:
    """``split_of`` with the test size and seed bound, for the per-item loop."""
    if test_size <= 0:
        return lambda prompt_json: "train"
    keyed = hashlib.blake2b(digest_size=8, key=seed.to_bytes(8, "big", signed=True))
    # hash < test_size * 2**64, compared as 8 big-endian bytes (no int per item)
    limit = math.ceil(test_size * 2**64)
    if limit >= 2**64:
        return lambda prompt_json: "test"
    below = limit.to_bytes(8, "big")

    def split(prompt_json: str) -> str:
        digest = keyed.copy()  # copying a keyed hash is cheaper than keying a new one
        digest.update(prompt_json.encode("utf-8"))
        return "test" if digest.digest() < below else "train"

    return split
