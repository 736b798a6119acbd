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


def to_example(row: ExportRow, label: LabelRow, support: frozenset[int] | None = None) -> Example:
    """Decode a stored item and one of its labels."""
    # tuple.__new__ skips the Python-level NamedTuple constructors: this runs per item.
    return _new(
        Example,
        (
            row.item_id,
            load_json(row.prompt),
            [r["text"] for r in load_json(row.responses)],
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
                ),
            ),
            support,
        ),
    )


_new = tuple.__new__
