"""The user's field mapping: rename a file's own field names to the ones shapes recognise.

Mapping is a rename applied before shape recognition, so every shape works with any field
names: ``prompt=question`` reads ``question`` as the prompt, ``responses=a,b`` gathers two
fields into a responses list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from labeler.importers.errors import RecordError

# The names shapes understand (targets of ``--map``).
TARGETS = frozenset(
    {
        "prompt", "instruction", "input", "messages", "responses", "models",
        "response_a", "response_b", "model_a", "model_b", "chosen", "rejected",
        "completion", "label", "scores", "ranks", "images", "winner",
    }
)  # fmt: skip
MULTI_TARGETS = frozenset({"responses", "models", "scores", "ranks", "images"})


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """How to read a file whose fields are not named as the shapes expect.

    ``annotator_fields`` name per-annotator pairwise verdicts (PandaLM's ``annotator1``..:
    1 = first response, 2 = second, 0 = tie); each becomes a human label by that annotator.
    ``scores_are_labels`` says a file's per-response scores are its labels (a ranking); by
    default scores are kept as metadata, because they usually come from an AI judge.
    """

    renames: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    annotator_fields: tuple[str, ...] = ()
    scores_are_labels: bool = False

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``record`` with the mapped fields renamed (the input is not changed)."""
        if not self.renames:
            return record
        out = dict(record)
        for target, sources in self.renames.items():
            missing = [s for s in sources if s not in record]
            if missing:
                raise RecordError(missing[0], f"missing (mapped to '{target}')")
            for source in sources:
                out.pop(source, None)
            if target in MULTI_TARGETS and len(sources) > 1:
                out[target] = [record[s] for s in sources]
            else:
                out[target] = record[sources[0]]
        return out


def parse_map_options(
    options: Iterable[str],
    annotator_fields: Iterable[str] = (),
    scores_are_labels: bool = False,
) -> FieldMapping:
    """Parse ``--map target=field[,field...]`` options; ValueError says what is wrong."""
    renames: dict[str, tuple[str, ...]] = {}
    for option in options:
        target, sep, sources = option.partition("=")
        target = target.strip()
        fields = tuple(s.strip() for s in sources.split(",") if s.strip())
        if not sep or not target or not fields:
            raise ValueError(
                f"field mapping {option!r}: expected TARGET=FIELD (e.g. prompt=question)"
            )
        if target not in TARGETS:
            raise ValueError(
                f"field mapping {option!r}: unknown target '{target}'; "
                f"one of {', '.join(sorted(TARGETS))}"
            )
        if len(fields) > 1 and target not in MULTI_TARGETS:
            raise ValueError(
                f"field mapping {option!r}: only {', '.join(sorted(MULTI_TARGETS))} take lists"
            )
        renames[target] = fields
    return FieldMapping(renames, tuple(annotator_fields), scores_are_labels)
