"""Stored rows decoded into the formats' ``Example``: the one step between store and builders.

Prompts and responses stay in their JSON form, which is already the shape most targets write.
"""

from __future__ import annotations

import json
import json.scanner
from functools import lru_cache
from typing import Any

from labeler.exporters.formats.example import Example, Provenance
from labeler.store.resolved import ExportRow, LabelRow
from labeler.types import LabelValue, value_from_json

# The C scanner behind json.loads, called directly: json.loads spends most of its time in
# Python-level argument handling on short strings, and stored JSON has no outer whitespace.
_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def load_json(text: str) -> Any:
    """Decode JSON text written by the store (compact, no leading whitespace).

    >>> load_json('[{"text":"hi","model":null}]')
    [{'text': 'hi', 'model': None}]
    """
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)  # raises a proper JSONDecodeError
    return value if end == len(text) else json.loads(text)


@lru_cache(maxsize=65536)
def decode_value(kind: str, value: str) -> LabelValue:
    """A label value from its stored JSON; values are immutable, so equal texts share one."""
    return value_from_json(kind, load_json(value))


def item_scores(text: str | None, n: int) -> list[float | None] | None:
    """The item's imported per-response scores (stored JSON), if they are ``n`` numbers or
    nulls; anything else counts as none.

    >>> item_scores("[9, 7.5]", 2), item_scores('["x", 1]', 2), item_scores(None, 2)
    ([9.0, 7.5], None, None)
    """
    if not text:
        return None
    value = load_json(text)
    if not isinstance(value, list) or len(value) != n:
        return None
    if not all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in value
    ):
        return None
    return [None if v is None else float(v) for v in value]


def to_example(
    row: ExportRow,
    label: LabelRow,
    support: frozenset[int] | None = None,
    annotators: tuple[str, ...] = (),
) -> Example:
    """Decode a stored item and one of its labels."""
    responses = [r["text"] for r in load_json(row.responses)]
    # tuple.__new__ skips the Python-level NamedTuple constructors: this runs per item.
    return _new(
        Example,
        (
            row.item_id,
            load_json(row.prompt),
            responses,
            load_json(row.images) if row.images else [],
            decode_value(label.kind, label.value),
            _new(
                Provenance,
                (
                    label.source,
                    label.action,
                    label.annotator,
                    label.model_version,
                    label.confidence,
                    annotators,
                ),
            ),
            support,
            item_scores(row.scores, len(responses)),
        ),
    )


_new = tuple.__new__
