"""The unit every row builder consumes: one item with the label chosen for it, decoded
(``engine.decode`` builds it from stored rows).

Prompts and responses stay in their JSON form (a string, or a list of ``{"role",
"content"}`` dicts), which is already the shape most targets write, so building a record
copies references instead of converting objects.
"""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

from labeler.types import LabelValue

PromptJSON: TypeAlias = str | list[dict[str, str]]


class Provenance(NamedTuple):
    """Who or what produced the exported label; ``annotators``: everyone whose labels the
    decision combined (a majority vote's voters), empty when that is just ``annotator``."""

    label_source: str
    label_action: str
    annotator: str
    model_version: str | None
    confidence: float | None
    annotators: tuple[str, ...] = ()


class Example(NamedTuple):
    """An item plus its resolved label, ready for the row builders.

    ``support`` holds the response indices that some *other* live label of the item calls
    good (used by the strict KTO rule); None when nobody asked for it. ``scores`` are the
    item's imported per-response scores (say an AI judge's), None when it has none.
    """

    item_id: str
    prompt: PromptJSON
    responses: list[str]
    images: list[str]
    value: LabelValue
    provenance: Provenance
    support: frozenset[int] | None = None
    scores: list[float | None] | None = None
