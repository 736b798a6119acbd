"""Pre-encoded JSONL lines for the common case: a decided pairwise label to a preference row.

A million-item export spends most of its time decoding stored JSON into objects and
encoding them again. For a pairwise A/B label the stored prompt JSON already is the
``prompt`` value, so the line is spliced from it, the two encoded response texts and a
cached provenance suffix. The bytes are exactly those of ``trl.preference_records`` encoded
by the writer (a test holds the two paths equal); every other case returns None and takes
the general path.
"""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from typing import Any

from labeler.exporters.example import decode_value, load_json
from labeler.exporters.pairs import Pair, margin
from labeler.exporters.spec import BuildSpec
from labeler.store.export_queries import ExportRow, LabelRow
from labeler.types import PairChoice, PairwiseValue

LineBuilder = Callable[[ExportRow, LabelRow], "list[str] | None"]

_MISSING: Any = object()
_quote: Callable[[str], str] = json.encoder.encode_basestring  # the C version when built


def preference_lines(spec: BuildSpec, encode: Callable[[Any], str]) -> LineBuilder | None:
    """A line builder matching ``trl.preference_records`` under ``spec``, or None when the
    spec needs the general path (vision items, kept ties)."""
    if spec.images:
        return None
    conv, bare = spec.conversational, spec.bare
    suffixes: dict[tuple[Any, ...], tuple[str, str]] = {}
    pairs: dict[str, Pair | None] = {}  # stored value JSON -> its single pair (or None)

    def pair_of(value_json: str) -> Pair | None:
        value = decode_value("pairwise", value_json)
        assert isinstance(value, PairwiseValue)
        if value.choice not in (PairChoice.A, PairChoice.B):
            return None
        a, b = (0, 1) if value.choice is PairChoice.A else (1, 0)
        return Pair(a, b, float(value.strength or 1))

    def suffix(label: LabelRow, pair: Pair) -> tuple[str, str]:
        """The encoded columns after ``rejected``, around the item id (cached per label)."""
        key = (label.value, *label[3:])
        text = suffixes.get(key)
        if text is None:
            if len(suffixes) > 50_000:
                suffixes.clear()
            _, _, _, source, annotator, action, model_version, confidence = label
            text = (
                f',"margin":{encode(margin(pair, source, confidence))},"item_id":',
                f',"label_source":{encode(source)},"label_action":{encode(action)}'
                f',"annotator":{encode(annotator)},"model_version":{encode(model_version)}'
                f',"confidence":{encode(confidence)}}}',
            )
            suffixes[key] = text
        return text

    def build(row: ExportRow, label: LabelRow) -> list[str] | None:
        if label.kind != "pairwise":
            return None
        pair = pairs.get(label.value, _MISSING)
        if pair is _MISSING:
            if len(pairs) > 50_000:
                pairs.clear()
            pair = pairs[label.value] = pair_of(label.value)
        if pair is None:
            return None  # a tie or both bad: the general path decides
        prompt = row.prompt
        if prompt[0] != '"':
            if not conv:
                return None  # a chat prompt rendered as text: the general path
        elif conv:
            prompt = '[{"role":"user","content":' + prompt + "}]"
        responses = load_json(row.responses)
        chosen = _quote(responses[pair.chosen]["text"])
        rejected = _quote(responses[pair.rejected]["text"])
        if conv:
            chosen = '[{"role":"assistant","content":' + chosen + "}]"
            rejected = '[{"role":"assistant","content":' + rejected + "}]"
        line = '{"prompt":' + prompt + ',"chosen":' + chosen + ',"rejected":' + rejected
        if bare:
            return [line + "}"]
        head, tail = suffix(label, pair)
        return [line + head + _quote(row.item_id) + tail]

    return build
