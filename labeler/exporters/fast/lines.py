"""Pre-encoded JSONL lines for the common case: a decided pairwise label to a preference row.

A million-item export would spend most of its time decoding stored JSON into objects and
encoding them again. The store writes JSON in one canonical form (compact, UTF-8, strings
escaped exactly as ``writer.encode_record`` escapes them), so the pieces a preference line
needs are already there as text: the stored prompt is the ``prompt`` value (wrapped in the
HH separators for the standard variant), and the two encoded response texts are sliced out
of the stored responses without decoding them. The line is spliced from those, and a
provenance suffix cached per label. The bytes are exactly
those of ``trl.preference_records`` encoded by the writer (a test holds the two paths
equal); every other case returns None and takes the general path.
"""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from typing import Any

from labeler.exporters.engine.decode import decode_value, load_json
from labeler.exporters.formats.messages import ASSISTANT, HUMAN, SPACES, is_normal
from labeler.exporters.formats.pairs import Pair, margin
from labeler.exporters.formats.spec import BuildSpec
from labeler.store.resolved import COLUMN, RawRow
from labeler.types import PairChoice, PairwiseValue

LineBuilder = Callable[[RawRow], "bytes | None"]
"""Builds the line of an item's label from its row as the export query returns it."""

_MISSING: Any = object()
_quote: Callable[[str], str] = json.encoder.encode_basestring  # the C version when built

RAW_TAIL = (
    "label_value", "label_source", "label_annotator", "label_action", "label_model_version",
    "label_confidence",
)  # fmt: skip
"""The columns that key a label's cached suffix, in row order (``suffix`` unpacks them)."""

_FIRST = '[{"text":'
_HUMAN, _ASSISTANT = (
    _quote(HUMAN)[:-1],
    _quote(ASSISTANT)[1:],
)  # '"\\n\\nHuman: ', '\\n\\nAssistant:"'
_SPACED = tuple(_quote(s)[:-1] for s in SPACES)  # an encoded text starting with a space
_MODEL = ',"model":'
_NEXT = '},{"text":'


def two_texts(responses: str) -> tuple[str, str] | None:
    """The two encoded texts of a stored two-response list, or None for any other list.

    The stored layout is ``[{"text":T,"model":M},{"text":T,"model":M}]``. Inside an encoded
    string every quote is escaped, so ``,"model":`` and ``},{"text":`` (each with a bare
    quote) only ever occur between the values, and plain searches find the boundaries.

    >>> two_texts('[{"text":"a,\\\\"model\\\\":","model":null},{"text":"b","model":"m"}]')
    ('"a,\\\\"model\\\\":"', '"b"')
    >>> three = '[{"text":"a","model":null},{"text":"b","model":null},{"text":"c","model":null}]'
    >>> two_texts(three) is None
    True
    """
    if not responses.startswith(_FIRST):
        return None
    end0 = responses.find(_MODEL, 9)
    start1 = responses.find(_NEXT, end0)
    if end0 < 0 or start1 < 0:
        return None
    end1 = responses.find(_MODEL, start1 + 10)
    if end1 < 0 or responses.find(_NEXT, end1) >= 0 or not responses.endswith("}]"):
        return None
    return responses[9:end0], responses[start1 + 10 : end1]


def preference_lines(spec: BuildSpec, encode: Callable[[Any], bytes]) -> LineBuilder | None:
    """A line builder matching ``trl.preference_records`` under ``spec``, or None when the
    spec needs the general path (vision items, kept ties)."""
    if spec.images:
        return None
    conv, bare, with_margin = spec.conversational, spec.bare, spec.margin
    at_source = COLUMN["label_source"]
    at_id, at_prompt, at_responses = COLUMN["item_id"], COLUMN["prompt"], COLUMN["responses"]
    at_kind, at_value = COLUMN["label_kind"], COLUMN["label_value"]
    assert tuple(list(COLUMN)[at_value:]) == RAW_TAIL, "the suffix key is the row's tail"
    suffixes: dict[tuple[Any, ...], tuple[str, str]] = {}
    pairs: dict[str, Pair | None] = {}  # stored value JSON -> its single pair (or None)

    def text(value: Any) -> str:
        return encode(value)[:-1].decode("utf-8")  # without the line's newline

    def pair_of(value_json: str) -> Pair | None:
        value = decode_value("pairwise", value_json)
        assert isinstance(value, PairwiseValue)
        if value.choice not in (PairChoice.A, PairChoice.B):
            return None
        a, b = (0, 1) if value.choice is PairChoice.A else (1, 0)
        return Pair(a, b, float(value.strength or 1), stated=float(value.strength or 0))

    def margin_text(pair: Pair, source: str) -> str:
        return f',"margin":{text(margin(pair, source))}' if with_margin else ""

    def suffix(key: tuple[Any, ...], pair: Pair) -> tuple[str, str]:
        """The encoded columns after ``rejected``, around the item id; cached by the label's
        value and provenance (``key``: everything but its id and kind)."""
        if len(suffixes) > 50_000:
            suffixes.clear()
        _, source, annotator, action, model_version, confidence = key
        found = suffixes[key] = (
            f'{margin_text(pair, source)},"item_id":',
            f',"label_source":{text(source)},"label_action":{text(action)}'
            f',"annotator":{text(annotator)},"annotators":[{text(annotator)}]'
            f',"model_version":{text(model_version)},"confidence":{text(confidence)}}}\n',
        )
        return found

    def completion(encoded: str) -> str:
        """A standard completion: the encoded text after a space (unless it starts with one)."""
        return encoded if encoded.startswith(_SPACED) else '" ' + encoded[1:]

    def build(row: RawRow) -> bytes | None:
        # Hot loop: positions bound once above, read by name there.
        value = row[at_value]
        pair = pairs.get(value, _MISSING)
        if pair is _MISSING:
            if len(pairs) > 50_000:
                pairs.clear()
            pair = pairs[value] = pair_of(value) if row[at_kind] == "pairwise" else None
        if pair is None:
            return None  # not pairwise, or a tie or both bad: the general path decides
        texts = two_texts(row[at_responses])
        if texts is None:
            return None
        prompt = row[at_prompt]
        chosen, rejected = texts[pair.chosen], texts[pair.rejected]
        if prompt[0] != '"':
            if not conv or not is_normal(load_json(prompt)):
                return None  # a chat rendered as text, or one to normalise: the general path
        elif conv:
            prompt = '[{"role":"user","content":' + prompt + "}]"
        else:
            prompt = _HUMAN + prompt[1:-1] + _ASSISTANT
        if conv:
            chosen = '[{"role":"assistant","content":' + chosen + "}]"
            rejected = '[{"role":"assistant","content":' + rejected + "}]"
        else:
            chosen, rejected = completion(chosen), completion(rejected)
        if bare:
            tail = margin_text(pair, row[at_source])
            return (
                f'{{"prompt":{prompt},"chosen":{chosen},"rejected":{rejected}{tail}}}\n'.encode()
            )
        key = row[at_value:]  # RAW_TAIL: the label's value and provenance
        found = suffixes.get(key)
        if found is None:
            found = suffix(key, pair)
        return (
            f'{{"prompt":{prompt},"chosen":{chosen},"rejected":{rejected}'
            f"{found[0]}{_quote(row[at_id])}{found[1]}"
        ).encode()

    return build
