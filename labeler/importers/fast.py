"""Store rows built straight from records, for a file whose records share one plain shape.

Recognising a record's shape, tracking which fields it used and building domain objects
costs more than parsing and storing it, and big files are almost always uniform. So the
shape is recognised once, from a file's first record, and every record with exactly the
same field names and plain-text values becomes its store row directly (prompt and texts
JSON-encoded once, as bytes, for both the content hash and the row). Anything else (another
field set, a chat prompt, a number where text belongs, a bad value) gets None here and goes
through ``shapes.Recogniser``, which also words the errors (file, line, field). Rows, ids and
labels are identical to the general path's; a property test holds the two equal.

Handled: ``prompt`` (or ``question``/``query``) as text with a response pair
(``response_a``/``response_b`` and the other pair names, optional model pair), a responses
list (texts, or ``{"text", "model"}`` objects), or ``chosen``/``rejected`` texts; fields no
shape reads become metadata, as in the general path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import orjson

from labeler.importers import shapes
from labeler.importers.shapes import (
    LIST_KEYS,
    PAIR_KEYS,
    PAIR_MODEL_KEYS,
    Context,
    PendingLabel,
)
from labeler.types import PairChoice, PairwiseValue, Source

Row = tuple[Any, ...]
Built = tuple[Row, tuple[PendingLabel, ...]]
FastBuilder = Callable[[dict[str, Any]], "Built | None"]
"""A record (with exactly the builder's field names) to its row and labels, or None."""

PROMPT_KEYS = ("prompt", "question", "query")
# Every field some shape (or the prompt logic) reads: a file with one of these beyond its
# shape's own fields takes the general path, so metadata is always "all the other fields".
RESERVED = frozenset(
    {
        *PROMPT_KEYS, "instruction", "input", "messages", "images", "image", "tags", "metadata",
        "winner", "cmp_key", "chosen", "rejected", "completion", "label", "models",
        "scores", "ranks", *LIST_KEYS, *(k for ks in PAIR_KEYS for k in ks),
        *(k for ks in PAIR_MODEL_KEYS for k in ks),
    }
)  # fmt: skip

_NULL = b"null"
_NO_LABELS: tuple[PendingLabel, ...] = ()


class FastShape:
    """The field names a file's records share and the builder for records having them."""

    __slots__ = ("build", "keys")

    def __init__(self, keys: frozenset[str], build: FastBuilder) -> None:
        self.keys = keys
        self.build = build


def _metadata(record: Mapping[str, Any], consumed: frozenset[str]) -> str:
    """The other fields in record order, encoded as ``items.item_to_row`` does."""
    rest = {k: v for k, v in record.items() if k not in consumed}
    return json.dumps(rest, ensure_ascii=False, separators=(",", ":"))


def _model(value: Any) -> bytes | None:
    """An encoded model name (``null`` for none or empty), None when it is not text."""
    if value is None or value == "":
        return _NULL
    if type(value) is str:
        return orjson.dumps(value)
    return None


def _row(p: bytes, texts: list[bytes], models: list[bytes], meta: str | None, source: str) -> Row:
    """``rows.encode_item`` for a text prompt and no images or tags, from encoded parts."""
    canonical = b"[" + p + b",[" + b",".join(texts) + b"],[]]"
    item_id = hashlib.blake2b(canonical, digest_size=10).hexdigest()
    stored = b"},{".join(
        b'"text":' + t + b',"model":' + m for t, m in zip(texts, models, strict=True)
    )
    return (item_id, p.decode(), "[{" + stored.decode() + "}]", len(texts), None, meta, None,
            source)  # fmt: skip


def _pair(
    pk: str, keys: tuple[str, str], mkeys: tuple[str, str] | None, extra: bool, source: str
) -> FastBuilder:
    ka, kb = keys
    consumed = frozenset({pk, ka, kb, *(mkeys or ())})
    dumps = orjson.dumps
    blake2b = hashlib.blake2b

    def build(rec: dict[str, Any]) -> Built | None:
        p, a, b = rec[pk], rec[ka], rec[kb]
        if type(p) is not str or type(a) is not str or type(b) is not str:
            return None
        ma = mb = _NULL
        if mkeys is not None:
            va, vb = rec[mkeys[0]], rec[mkeys[1]]
            if va is None and vb is None:  # the general path then looks elsewhere for models
                return None
            model_a, model_b = _model(va), _model(vb)
            if model_a is None or model_b is None:
                return None
            ma, mb = model_a, model_b
        pe, ae, be = dumps(p), dumps(a), dumps(b)
        item_id = blake2b(b"[%b,[%b,%b],[]]" % (pe, ae, be), digest_size=10).hexdigest()
        stored = b'[{"text":%b,"model":%b},{"text":%b,"model":%b}]' % (ae, ma, be, mb)
        meta = _metadata(rec, consumed) if extra else None
        return (item_id, pe.decode(), stored.decode(), 2, None, meta, None, source), _NO_LABELS

    return build


def _listwise(pk: str, key: str, extra: bool, source: str) -> FastBuilder:
    consumed = frozenset({pk, key})
    dumps = orjson.dumps

    def build(rec: dict[str, Any]) -> Built | None:
        p, values = rec[pk], rec[key]
        if type(p) is not str or type(values) is not list or len(values) < 2:
            return None
        texts: list[bytes] = []
        models: list[bytes] = []
        for v in values:
            if type(v) is str:
                texts.append(dumps(v))
                models.append(_NULL)
                continue
            if type(v) is not dict or type(v.get("text")) is not str:
                return None
            model: bytes | None = _NULL
            if len(v) == 2 and "model" in v:
                model = _model(v["model"])
            elif len(v) != 1:
                return None  # other response fields: the general path keeps them
            if model is None:
                return None
            texts.append(dumps(v["text"]))
            models.append(model)
        meta = _metadata(rec, consumed) if extra else None
        return _row(dumps(p), texts, models, meta, source), _NO_LABELS

    return build


def _dpo(pk: str, extra: bool, annotator: str) -> FastBuilder:
    consumed = frozenset({pk, "chosen", "rejected"})
    dumps = orjson.dumps
    order_key = shapes._order_key
    label = {
        choice: (PendingLabel(PairwiseValue(choice), Source.IMPORTED, annotator),)
        for choice in (PairChoice.A, PairChoice.B, PairChoice.TIE)
    }

    def build(rec: dict[str, Any]) -> Built | None:
        p, c, r = rec[pk], rec["chosen"], rec["rejected"]
        if type(p) is not str or type(c) is not str or type(r) is not str:
            return None
        ce, re_ = dumps(c), dumps(r)
        if order_key(c) <= order_key(r):  # the order shapes._dpo stores the pair in
            texts, choice = [ce, re_], PairChoice.A
        else:
            texts, choice = [re_, ce], PairChoice.B
        if c == r:
            choice = PairChoice.TIE
        meta = _metadata(rec, consumed) if extra else None
        return _row(dumps(p), texts, [_NULL, _NULL], meta, annotator), label[choice]

    return build


def fast_shape(record: Any, ctx: Context) -> FastShape | None:
    """A builder for records with ``record``'s field names, or None when its shape (or the
    user's field mapping) needs the general path."""
    mapping = ctx.mapping
    if type(record) is not dict or mapping.renames or mapping.scores_are_labels:
        return None
    keys = frozenset(record)
    prompt_keys = [k for k in PROMPT_KEYS if k in keys]
    if len(prompt_keys) != 1:
        return None
    pk = prompt_keys[0]
    try:
        parser = shapes._choose(record)
    except ValueError:
        return None
    if parser is shapes._dpo:
        own = {pk, "chosen", "rejected"}
        make: Callable[[bool], FastBuilder] = partial(_dpo, pk, annotator=ctx.annotator)
    elif isinstance(parser, partial) and parser.func is shapes._listwise:
        key = parser.keywords["key"]
        own = {pk, key}
        make = partial(_listwise, pk, key, source=ctx.annotator)
    elif isinstance(parser, partial) and parser.func is shapes._pair:
        pair = parser.keywords["keys"]
        if not set(pair) <= keys:
            return None
        present = [mk for mk in PAIR_MODEL_KEYS if mk[0] in keys or mk[1] in keys]
        if len(present) > 1 or (present and not set(present[0]) <= keys):
            return None
        mkeys = present[0] if present else None
        own = {pk, *pair, *(mkeys or ())}
        make = partial(_pair, pk, pair, mkeys, source=ctx.annotator)
    else:
        return None
    rest = keys - own
    if rest & RESERVED or rest & set(mapping.annotator_fields):
        return None
    return FastShape(keys, make(bool(rest)))
