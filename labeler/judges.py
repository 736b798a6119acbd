"""Import verdicts of an AI judge computed elsewhere as model labels.

A judge file holds one record per item (JSON array or JSONL) with a key that finds the item
and a verdict field, e.g. PandaLM's ``gpt-3.5-turbo-testset-v1.json``: ``idx`` and
``gpt_result`` in ``"1"``/``"2"``/``"Tie"``/``"garbage"``. Each verdict becomes a model label
whose annotator is the judge's name, so routing treats it like any other AI label and its
provenance is kept. A judge run with the responses presented in swapped order is imported with
``swapped=True``: its "first" means stored response B, and ``shown_order`` records (1, 0).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.types import Label, PairChoice, PairwiseValue, Source

# PandaLM-style verdicts: the first / second response, a tie, or an unparseable answer.
DEFAULT_MAP: dict[str, str] = {
    "1": "first",
    "2": "second",
    "a": "first",
    "b": "second",
    "tie": "tie",
    "0": "tie",
    "garbage": "skip",
}
OUTCOMES = ("first", "second", "tie", "both_bad", "skip")


class JudgeFileError(ValueError):
    """The judge file or its mapping cannot be read; the message names file and record."""


def parse_map(spec: str | None) -> dict[str, str]:
    """``'1=first,2=second,Tie=tie,garbage=skip'`` -> mapping (keys case-insensitive)."""
    if not spec:
        return dict(DEFAULT_MAP)
    out: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, outcome = part.partition("=")
        outcome = {"a": "first", "b": "second"}.get(outcome.strip(), outcome.strip())
        if not sep or outcome not in OUTCOMES:
            raise JudgeFileError(
                f"bad verdict mapping {part!r}: want VERDICT=first|second|a|b|tie|both_bad|skip"
            )
        out[key.strip().lower()] = outcome
    return out


def read_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) from a JSON array or a JSONL file (gzip ok), read by the importers'
    readers, so a judge file gets the same checks and one-line errors as a data file."""
    from labeler.importers import ImportFailed, RecordError
    from labeler.importers.readers import open_records

    count = 0
    try:
        records, _ = open_records(path)
        with closing(records):  # closes the file when a bad record stops reading
            for loc, value in records:
                count += 1
                if isinstance(value, RecordError):
                    raise JudgeFileError(f"{loc}: {value.reason}")
                if not isinstance(value, dict):
                    kind = type(value).__name__
                    raise JudgeFileError(f"{loc}: expected a JSON object, got {kind}")
                yield str(loc), value
    except ImportFailed as exc:
        raise JudgeFileError(str(exc)) from None
    if count == 0:
        raise JudgeFileError(f"{path}: no records in {path.name}")


_MISSING = object()


def field_value(record: Mapping[str, Any], path: str) -> Any:
    """``record[path]``, or a nested field by dots (``judges.gpt4.ab``); ``_MISSING`` if absent.

    A field whose own name contains dots wins over the nested reading.
    """
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


@dataclass(frozen=True)
class JudgeImport:
    labels: list[Label]
    skipped: int
    unmatched: int


def judge_labels(
    path: Path,
    item_ids: Mapping[str, str],
    *,
    judge: str,
    key: str,
    verdict_field: str,
    mapping: Mapping[str, str],
    swapped: bool = False,
    version: str | None = None,
) -> JudgeImport:
    """Model labels for the records whose ``key`` value is in ``item_ids`` (value -> item id)."""
    labels: list[Label] = []
    skipped = unmatched = 0
    order = (1, 0) if swapped else (0, 1)
    first, second = (PairChoice.B, PairChoice.A) if swapped else (PairChoice.A, PairChoice.B)
    choices = {
        "first": first,
        "second": second,
        "tie": PairChoice.TIE,
        "both_bad": PairChoice.BOTH_BAD,
    }
    for where, record in read_records(path):
        key_value = field_value(record, key)
        raw = field_value(record, verdict_field)
        if key_value is _MISSING or raw is _MISSING:
            raise JudgeFileError(f"{where}: needs fields {key!r} and {verdict_field!r}")
        item_id = item_ids.get(str(key_value))
        if item_id is None:
            unmatched += 1
            continue
        verdict = str(raw).strip().lower()
        if verdict not in mapping:
            raise JudgeFileError(
                f"{where}: verdict {raw!r} is not in the map ({', '.join(mapping)})"
            )
        outcome = mapping[verdict]
        if outcome == "skip":
            skipped += 1
            continue
        reason = record.get("gpt_reason") or record.get("reason")
        labels.append(
            Label(
                item_id=item_id,
                value=PairwiseValue(choices[outcome]),
                source=Source.MODEL,
                annotator=judge,
                model_version=version or judge,
                shown_order=order,
                rationale=str(reason) if reason else None,
            )
        )
    return JudgeImport(labels, skipped, unmatched)
