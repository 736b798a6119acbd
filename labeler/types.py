"""Domain types: items, responses, labels and their provenance.

Everything here is an immutable value. The store turns these into rows and back; importers
produce them; exporters, routing and the GUI consume them. Nothing here touches SQL or Qt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

from labeler import codec

JSONValue: TypeAlias = Any


class Source(StrEnum):
    """Who produced a label."""

    HUMAN = "human"
    MODEL = "model"
    IMPORTED = "imported"


class Action(StrEnum):
    """What a label event does to the labels before it.

    ``accept`` and ``override`` are review decisions on a model label; ``retract`` is an undo;
    ``adjudicate`` settles people's disagreement on an item and counts over every other label.
    """

    LABEL = "label"
    ACCEPT = "accept"
    OVERRIDE = "override"
    RETRACT = "retract"
    ADJUDICATE = "adjudicate"


class LabelKind(StrEnum):
    PAIRWISE = "pairwise"
    RANKING = "ranking"
    RATING = "rating"
    BINARY = "binary"
    ASPECTS = "aspects"


class PairChoice(StrEnum):
    """The four distinct pairwise outcomes. ``a``/``b`` refer to stored response order."""

    A = "a"
    B = "b"
    TIE = "tie"
    BOTH_BAD = "both_bad"


class Route(StrEnum):
    """Where routing sends an item."""

    HUMAN = "human"
    MODEL = "model"
    REVIEW = "review"


class Status(StrEnum):
    """Queue state of an item (a cache of its label history, kept by the store)."""

    TODO = "todo"
    DONE = "done"
    SKIPPED = "skipped"


class SchemaMode(StrEnum):
    PAIRWISE = "pairwise"
    LISTWISE = "listwise"
    MULTI_ASPECT = "multi_aspect"


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


Prompt: TypeAlias = str | tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class Response:
    text: str
    model: str | None = None


def prompt_to_json(prompt: Prompt) -> JSONValue:
    if isinstance(prompt, str):
        return prompt
    return [{"role": m.role, "content": m.content} for m in prompt]


def prompt_from_json(value: JSONValue) -> Prompt:
    if isinstance(value, str):
        return value
    return tuple(Message(str(m["role"]), str(m["content"])) for m in value)


def prompt_text(prompt: Prompt) -> str:
    """A plain-text rendering of a prompt, for display, features and models."""
    if isinstance(prompt, str):
        return prompt
    return "\n\n".join(f"{m.role}: {m.content}" for m in prompt)


def content_hash(prompt: Prompt, responses: Sequence[Response], images: Sequence[str] = ()) -> str:
    """A stable id from the content, so the same item imported twice (anywhere) gets one id.

    Response order is part of the identity: labels refer to responses by position.
    """
    return codec.content_hash(prompt_to_json(prompt), [r.text for r in responses], images)


@dataclass(frozen=True, slots=True)
class Item:
    """One prompt with two or more responses to compare."""

    prompt: Prompt
    responses: tuple[Response, ...]
    images: tuple[str, ...] = ()
    metadata: Mapping[str, JSONValue] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    id: str = ""

    def __post_init__(self) -> None:
        if len(self.responses) < 2:
            raise ValueError("an item needs at least two responses")
        if not self.id:
            object.__setattr__(self, "id", content_hash(self.prompt, self.responses, self.images))

    @property
    def is_chat(self) -> bool:
        return not isinstance(self.prompt, str)

    @property
    def prompt_text(self) -> str:
        return prompt_text(self.prompt)


# ---- label values -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairwiseValue:
    """A / B / tie / both bad; ``strength`` 1 = slightly, 2 = much better (None = unstated)."""

    choice: PairChoice
    strength: int | None = None

    kind = LabelKind.PAIRWISE

    def to_json(self) -> dict[str, JSONValue]:
        return {"choice": self.choice.value, "strength": self.strength}

    @classmethod
    def from_json(cls, data: Mapping[str, JSONValue]) -> PairwiseValue:
        return cls(PairChoice(data["choice"]), data.get("strength"))


@dataclass(frozen=True, slots=True)
class RankingValue:
    """Rank per response (1 = best); equal ranks are ties; None = not ranked (top-k)."""

    ranks: tuple[int | None, ...]

    kind = LabelKind.RANKING

    def __post_init__(self) -> None:
        if not any(r is not None for r in self.ranks):
            raise ValueError("a ranking needs at least one ranked response")
        if any(r is not None and r < 1 for r in self.ranks):
            raise ValueError("ranks start at 1")

    def to_json(self) -> dict[str, JSONValue]:
        return {"ranks": list(self.ranks)}

    @classmethod
    def from_json(cls, data: Mapping[str, JSONValue]) -> RankingValue:
        return cls(tuple(data["ranks"]))

    def order(self) -> list[list[int]]:
        """Response indices grouped best first; ties share a group, unranked ones are left out."""
        groups: dict[int, list[int]] = {}
        for idx, rank in enumerate(self.ranks):
            if rank is not None:
                groups.setdefault(rank, []).append(idx)
        return [groups[r] for r in sorted(groups)]


@dataclass(frozen=True, slots=True)
class RatingValue:
    """A Likert rating per response (1..scale); None = not rated."""

    ratings: tuple[int | None, ...]
    scale: int = 5

    kind = LabelKind.RATING

    def __post_init__(self) -> None:
        if any(r is not None and not 1 <= r <= self.scale for r in self.ratings):
            raise ValueError(f"ratings must lie in 1..{self.scale}")

    def to_json(self) -> dict[str, JSONValue]:
        return {"ratings": list(self.ratings), "scale": self.scale}

    @classmethod
    def from_json(cls, data: Mapping[str, JSONValue]) -> RatingValue:
        return cls(tuple(data["ratings"]), int(data.get("scale", 5)))


@dataclass(frozen=True, slots=True)
class BinaryValue:
    """Thumbs up (True) / down (False) per response, None = no verdict (KTO data)."""

    thumbs: tuple[bool | None, ...]

    kind = LabelKind.BINARY

    def to_json(self) -> dict[str, JSONValue]:
        return {"thumbs": list(self.thumbs)}

    @classmethod
    def from_json(cls, data: Mapping[str, JSONValue]) -> BinaryValue:
        return cls(tuple(data["thumbs"]))


@dataclass(frozen=True, slots=True)
class AspectsValue:
    """MultiPref-style: per aspect a 5-point preference from -2 (A much better) to +2 (B much).

    ``overall`` is always present; other aspects (helpfulness, truthfulness, harmlessness, ...)
    are optional.
    """

    aspects: Mapping[str, int]

    kind = LabelKind.ASPECTS

    def __post_init__(self) -> None:
        if "overall" not in self.aspects:
            raise ValueError("an aspects label needs an 'overall' preference")
        if any(not -2 <= v <= 2 for v in self.aspects.values()):
            raise ValueError("aspect preferences lie in -2..2")

    def to_json(self) -> dict[str, JSONValue]:
        return {"aspects": dict(sorted(self.aspects.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, JSONValue]) -> AspectsValue:
        return cls(dict(data["aspects"]))

    def as_pairwise(self) -> PairwiseValue:
        """The overall preference as a pairwise outcome (0 is a tie)."""
        v = self.aspects["overall"]
        if v == 0:
            return PairwiseValue(PairChoice.TIE)
        return PairwiseValue(PairChoice.A if v < 0 else PairChoice.B, abs(v))


LabelValue: TypeAlias = PairwiseValue | RankingValue | RatingValue | BinaryValue | AspectsValue

_VALUE_TYPES: dict[LabelKind, Any] = {
    LabelKind.PAIRWISE: PairwiseValue,
    LabelKind.RANKING: RankingValue,
    LabelKind.RATING: RatingValue,
    LabelKind.BINARY: BinaryValue,
    LabelKind.ASPECTS: AspectsValue,
}


def value_from_json(kind: LabelKind | str, data: Mapping[str, JSONValue]) -> LabelValue:
    value: LabelValue = _VALUE_TYPES[LabelKind(kind)].from_json(data)
    return value


@dataclass(frozen=True, slots=True)
class Label:
    """One label event with full provenance. Labels are append-only; see ``Action``.

    ``annotator`` is the person's name for human labels, the model or judge id for model labels.
    ``shown_order`` lists stored response indices in the order they were displayed (left first).
    ``value`` is None only for a ``retract``.
    """

    item_id: str
    value: LabelValue | None
    source: Source
    annotator: str
    action: Action = Action.LABEL
    model_version: str | None = None
    confidence: float | None = None
    shown_order: tuple[int, ...] | None = None
    time_ms: int | None = None
    rationale: str | None = None
    supersedes: int | None = None
    id: int | None = None
    created_at: str | None = None

    @property
    def kind(self) -> LabelKind | None:
        return None if self.value is None else self.value.kind


@dataclass(frozen=True, slots=True)
class LabelSchema:
    """How a project is labelled. Stored in the project file."""

    mode: SchemaMode = SchemaMode.PAIRWISE
    top_k: int | None = None
    aspects: tuple[str, ...] = ("helpfulness", "truthfulness", "harmlessness")
    rating_scale: int = 5
    thumbs: bool = True

    def to_json(self) -> dict[str, JSONValue]:
        return {
            "mode": self.mode.value,
            "top_k": self.top_k,
            "aspects": list(self.aspects),
            "rating_scale": self.rating_scale,
            "thumbs": self.thumbs,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JSONValue]) -> LabelSchema:
        return cls(
            SchemaMode(data.get("mode", "pairwise")),
            data.get("top_k"),
            tuple(data.get("aspects", ("helpfulness", "truthfulness", "harmlessness"))),
            int(data.get("rating_scale", 5)),
            bool(data.get("thumbs", True)),
        )
