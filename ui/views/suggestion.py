"""How a model's label reads on screen: one readable source name, confidence on its scale,
and which response it picked, marked on the response itself."""

from __future__ import annotations

import re

from labeler.types import Label, LabelValue, PairwiseValue, RankingValue

CHANCE_NOTE = "50% = chance"
_HASHLIKE = re.compile(r"^[0-9a-f]{16,}$", re.IGNORECASE)


def source_name(label: Label) -> str:
    """The name a person knows the source by: the annotator, with the model version only when
    it adds something readable (not a repeat of the name, not a long hash)."""
    name = label.annotator.strip()
    version = (label.model_version or "").strip()
    if not name or _HASHLIKE.match(name):
        name = "model" if not version or _HASHLIKE.match(version) else version
    if not version or version == name or _HASHLIKE.match(version) or len(version) > 24:
        return name
    return f"{name} ({version})"


def confidence_text(confidence: float | None) -> str:
    """The model's confidence with its scale: a pick it is sure of is 100%, a coin flip 50%."""
    if confidence is None:
        return "confidence not given"
    return f"confidence {confidence:.0%} ({CHANCE_NOTE})"


def suggested_side(value: LabelValue | None) -> str | None:
    """``"a"`` (left) or ``"b"`` (right) when a pairwise value in shown terms picks a side."""
    if isinstance(value, PairwiseValue) and value.choice.value in ("a", "b"):
        return value.choice.value
    return None


def suggested_ranks(value: LabelValue | None) -> tuple[int | None, ...] | None:
    """The model's rank per shown response, for a ranking value in shown terms."""
    return tuple(value.ranks) if isinstance(value, RankingValue) else None
