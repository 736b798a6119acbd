"""Store rows built straight from records, for a file whose records share one plain shape.

Wrapping each record to track which fields it used, and building domain objects, costs more
than parsing and storing it, and big files are almost always uniform. So a file's first
record settles, once, which fields hold what: its shape comes from ``shapes.recognise`` (the
rule the general path uses), and every record with exactly the same field names and
plain-text values becomes its store row directly, through the same codec
(``labeler.codec``) and the same value rules (``fields.opt_text``, ``shapes.dpo_pair``).
Anything else (another field set, a chat prompt, a number where text belongs, a bad value)
gets None or an error here and goes through ``shapes.Recogniser``, which also words the
errors (file, line, field).

Handled: one text prompt field (``fields.PROMPT_KEYS``) with a response pair (and at most one
pair of model fields), a responses list (texts, or ``{"text", "model"}`` objects), or
``chosen``/``rejected`` texts; other fields become metadata when no shape reads them
(``shapes.READ_FIELDS``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from labeler.codec import ItemRow, item_row
from labeler.importers.errors import RecordError
from labeler.importers.fields import PROMPT_KEYS, check_metadata, opt_text
from labeler.importers.shapes import (
    PAIR_MODEL_KEYS,
    READ_FIELDS,
    Context,
    Kind,
    PendingLabel,
    dpo_pair,
    recognise,
)
from labeler.types import PairChoice, PairwiseValue, Source

Built = tuple[ItemRow, tuple[PendingLabel, ...]]
FastBuilder = Callable[[dict[str, Any]], "Built | None"]
"""A record (with exactly the builder's field names) to its row and labels, or None; a
ValueError (RecordError) or TypeError also sends the record to the general path."""

_NO_LABELS: tuple[PendingLabel, ...] = ()
_NO_MODELS = (None, None)


class FastShape:
    """The field names a file's records share and the builder for records having them."""

    __slots__ = ("build", "keys")

    def __init__(self, keys: frozenset[str], build: FastBuilder) -> None:
        self.keys = keys
        self.build = build


def _rest(record: dict[str, Any], consumed: frozenset[str]) -> dict[str, Any]:
    """The fields no shape reads, in record order: the item's metadata (a RecordError when
    it nests too deeply sends the record to the general path, which words it)."""
    rest = {k: v for k, v in record.items() if k not in consumed}
    check_metadata(rest)
    return rest


def _pair(
    pk: str, keys: tuple[str, ...], mkeys: tuple[str, str] | None, extra: bool, source: str
) -> FastBuilder:
    ka, kb = keys
    consumed = frozenset({pk, ka, kb, *(mkeys or ())})

    def build(rec: dict[str, Any]) -> Built | None:
        p, a, b = rec[pk], rec[ka], rec[kb]
        if type(p) is not str or type(a) is not str or type(b) is not str:
            return None
        models: tuple[str | None, str | None] = _NO_MODELS
        if mkeys is not None:
            va, vb = rec[mkeys[0]], rec[mkeys[1]]
            if va is None and vb is None:  # the general path then looks elsewhere for models
                return None
            models = opt_text(va, mkeys[0]), opt_text(vb, mkeys[1])
        meta = _rest(rec, consumed) if extra else None
        return item_row(p, (a, b), models, (), meta, (), source), _NO_LABELS

    return build


def _listwise(pk: str, key: str, extra: bool, source: str) -> FastBuilder:
    consumed = frozenset({pk, key})

    def build(rec: dict[str, Any]) -> Built | None:
        p, values = rec[pk], rec[key]
        if type(p) is not str or type(values) is not list or len(values) < 2:
            return None
        texts: list[str] = []
        models: list[str | None] = []
        for v in values:
            if type(v) is str:
                texts.append(v)
                models.append(None)
                continue
            if type(v) is not dict or type(v.get("text")) is not str:
                return None
            if len(v) == 2 and "model" in v:
                models.append(opt_text(v["model"], key))
            elif len(v) == 1:
                models.append(None)
            else:
                return None  # other response fields: the general path keeps them
            texts.append(v["text"])
        meta = _rest(rec, consumed) if extra else None
        return item_row(p, texts, models, (), meta, (), source), _NO_LABELS

    return build


def _dpo(pk: str, extra: bool, annotator: str) -> FastBuilder:
    consumed = frozenset({pk, "chosen", "rejected"})
    label = {
        choice: (PendingLabel(PairwiseValue(choice), Source.IMPORTED, annotator),)
        for choice in (PairChoice.A, PairChoice.B, PairChoice.TIE)
    }

    def build(rec: dict[str, Any]) -> Built | None:
        p, c, r = rec[pk], rec["chosen"], rec["rejected"]
        if type(p) is not str or type(c) is not str or type(r) is not str:
            return None
        first, second, choice = dpo_pair(c, r)
        meta = _rest(rec, consumed) if extra else None
        return item_row(p, (first, second), _NO_MODELS, (), meta, (), annotator), label[choice]

    return build


def fast_shape(record: Any, ctx: Context) -> FastShape | None:
    """A builder for records with ``record``'s field names, or None when its shape (or the
    user's field mapping) needs the general path."""
    mapping = ctx.mapping
    if type(record) is not dict or mapping.renames or mapping.scores_are_labels:
        return None
    keys = frozenset(record)
    try:
        shape = recognise(keys)
    except RecordError:
        return None
    prompt_keys = [k for k in PROMPT_KEYS if k in keys]
    if len(prompt_keys) != 1:
        return None
    pk = prompt_keys[0]
    own = {pk, *shape.fields}
    make: Callable[[bool], FastBuilder]
    if shape.kind is Kind.DPO:
        make = partial(_dpo, pk, annotator=ctx.annotator)
    elif shape.kind is Kind.LIST:
        make = partial(_listwise, pk, shape.fields[0], source=ctx.annotator)
    elif shape.kind is Kind.PAIR:
        if not own <= keys:
            return None
        present = [mk for mk in PAIR_MODEL_KEYS if mk[0] in keys or mk[1] in keys]
        if len(present) > 1 or (present and not set(present[0]) <= keys):
            return None
        mkeys = present[0] if present else None
        own.update(mkeys or ())
        make = partial(_pair, pk, shape.fields, mkeys, source=ctx.annotator)
    else:
        return None
    rest = keys - own
    if rest & READ_FIELDS or rest & set(mapping.annotator_fields):
        return None
    return FastShape(keys, make(bool(rest)))
