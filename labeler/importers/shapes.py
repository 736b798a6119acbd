"""Recognise a record's shape and turn it into an item (plus any labels the file carries).

Shapes, tried in this order:
- ``chosen``/``rejected`` (DPO; plain text with ``prompt``, chat message lists, or whole HH
  transcripts): an item with both replies and an imported pairwise label;
- ``completion`` + ``label`` (KTO): one reply with a thumb, grouped later by ``run``;
- a responses list (``responses``/``completions``/``outputs``/``answers``/``candidates``) of
  strings or objects, with optional ``scores``/``ranks`` (listwise);
- a response pair (``response_a/b``, ``response1/2``, ``response_1/2``, ``output_1/2``).
A reply may also be a list of assistant messages (TRL's conversational ``completion`` and
``completions``): its text is the content of the final assistant turns.
The prompt is ``prompt``, ``question`` or ``query``, ``instruction`` (+ ``input``), or
``messages``. Fields no shape uses are kept as the item's metadata.

Which shape a record is depends on its field names alone: ``recognise`` is that rule, for
the general path here and for the per-file fast path (``fast``) alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from labeler.codec import ROW_ID, ItemRow, item_row
from labeler.importers import chat
from labeler.importers.errors import RecordError
from labeler.importers.fields import (
    IMAGE_FIELDS,
    PROMPT_FIELDS,
    Fields,
    numbers,
    opt_text,
    read_images,
    read_prompt,
    read_response,
    text,
)
from labeler.importers.mapping import FieldMapping
from labeler.types import (
    BinaryValue,
    Item,
    JSONValue,
    LabelValue,
    PairChoice,
    PairwiseValue,
    Prompt,
    RankingValue,
    Response,
    Source,
    prompt_to_json,
)

LIST_KEYS = ("responses", "completions", "outputs", "answers", "candidates")
PAIR_KEYS = (
    ("response_a", "response_b"),
    ("response1", "response2"),
    ("response_1", "response_2"),
    ("output_1", "output_2"),
)
PAIR_MODEL_KEYS = (
    ("model_a", "model_b"),
    ("generator_1", "generator_2"),
    ("model_1", "model_2"),
    ("model1", "model2"),
)
READ_FIELDS = frozenset(
    {
        *PROMPT_FIELDS, *IMAGE_FIELDS, "tags", "metadata", "chosen", "rejected", "completion",
        "label", "models", "scores", "ranks", "winner", "cmp_key", *LIST_KEYS,
        *(k for ks in PAIR_KEYS for k in ks), *(k for ks in PAIR_MODEL_KEYS for k in ks),
    }
)  # fmt: skip
"""Every field a parser here may read or look at. A record's fields outside this set are
always its metadata, whatever their values."""
_WINNER = {
    "model_a": PairChoice.A,
    "a": PairChoice.A,
    "model_b": PairChoice.B,
    "b": PairChoice.B,
    "tie": PairChoice.TIE,
    "tie (bothbad)": PairChoice.BOTH_BAD,
    "both_bad": PairChoice.BOTH_BAD,
}
_ANNOTATOR_CHOICE = {
    "0": PairChoice.TIE, "1": PairChoice.A, "2": PairChoice.B,
    "tie": PairChoice.TIE, "a": PairChoice.A, "b": PairChoice.B,
}  # fmt: skip


class Kind(StrEnum):
    DPO = "dpo"
    KTO = "kto"
    LIST = "list"
    PAIR = "pair"


@dataclass(frozen=True, slots=True)
class Shape:
    """Which shape a record is, and the fields holding its responses (and KTO's thumb)."""

    kind: Kind
    fields: tuple[str, ...]


def recognise(fields: Collection[str]) -> Shape:
    """The shape that a record with these field names (after the user's mapping) has."""
    if "chosen" in fields and "rejected" in fields:
        return Shape(Kind.DPO, ("chosen", "rejected"))
    if "completion" in fields and "label" in fields:
        return Shape(Kind.KTO, ("completion", "label"))
    for key in LIST_KEYS:
        if key in fields:
            return Shape(Kind.LIST, (key,))
    for keys in PAIR_KEYS:
        if keys[0] in fields or keys[1] in fields:
            return Shape(Kind.PAIR, keys)
    raise RecordError(
        None,
        "unrecognised record shape (fields: "
        + ", ".join(sorted(fields)[:12])
        + "); expected responses, response_a/response_b, chosen/rejected or completion/label,"
        " or map fields with --map",
    )


@dataclass(frozen=True, slots=True)
class PendingLabel:
    """A label found in the file; it gets its item id once the item is built."""

    value: LabelValue
    source: Source
    annotator: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """An item, its store row (built with it, see ``labeler.codec``) and the labels the file
    gave it."""

    item: Item
    row: ItemRow
    labels: tuple[PendingLabel, ...] = ()


@dataclass(frozen=True, slots=True)
class KtoPart:
    """One KTO record: a single reply with a thumb; adjacent parts sharing a prompt group."""

    prompt: Prompt
    response: Response
    thumb: bool | None
    images: tuple[str, ...]
    written_images: tuple[str, ...]
    metadata: dict[str, JSONValue]


@dataclass(frozen=True, slots=True)
class Context:
    """What shapes need beyond the record: where relative image paths start, who labelled."""

    base_dir: Path
    annotator: str
    mapping: FieldMapping


def _build(
    f: Fields,
    ctx: Context,
    prompt: Prompt,
    responses: tuple[Response, ...],
    extra: dict[str, Any],
) -> tuple[Item, ItemRow]:
    images, written = read_images(f, ctx.base_dir)
    tags = f.take("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise RecordError("tags", "expected a list of strings")
    metadata = f.rest()
    metadata.update(extra)
    return _item(prompt, responses, images, written, metadata, tuple(tags or ()), ctx.annotator)


def _item(
    prompt: Prompt,
    responses: tuple[Response, ...],
    images: tuple[str, ...],
    written: tuple[str, ...],
    metadata: dict[str, JSONValue],
    tags: tuple[str, ...],
    source: str,
) -> tuple[Item, ItemRow]:
    if len(responses) < 2:
        raise RecordError(None, "an item needs at least two responses")
    texts, models = [r.text for r in responses], [r.model for r in responses]
    row = item_row(prompt_to_json(prompt), texts, models, images, metadata, tags, source,
                   hashed_images=written)  # fmt: skip
    return Item(prompt, responses, images, metadata, tags, row[ROW_ID]), row


def _ranks_from_scores(scores: list[float]) -> RankingValue:
    """Competition ranking, higher score better: equal scores share a rank (a tie)."""
    return RankingValue(tuple(1 + sum(s > x for s in scores) for x in scores))


def _listwise(f: Fields, ctx: Context, *, key: str) -> Parsed:
    prompt = read_prompt(f)
    assert prompt is not None
    raw = f.take(key)
    if isinstance(raw, str) and raw.startswith("["):  # a CSV cell holding a JSON list
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise RecordError(key, "expected a list of responses") from None
    if not isinstance(raw, list) or len(raw) < 2:
        raise RecordError(key, "expected a list of at least 2 responses")
    parsed = [read_response(v, key) for v in raw]
    models = f.take("models")
    if models is not None:
        if not isinstance(models, list) or len(models) != len(raw):
            raise RecordError("models", f"expected {len(raw)} model names")
        parsed = [
            (Response(r.text, r.model or opt_text(m, "models")), x)
            for (r, x), m in zip(parsed, models, strict=True)
        ]
    responses = tuple(r for r, _ in parsed)
    extras = [x for _, x in parsed]
    n = len(responses)
    scores = f.take("scores")
    if scores is None and any("score" in x for x in extras):
        scores = [x.pop("score", None) for x in extras]
    ranks = f.take("ranks")
    if ranks is None and any("rank" in x for x in extras):
        ranks = [x.pop("rank", None) for x in extras]
    labels: list[PendingLabel] = []
    extra: dict[str, Any] = {}
    if ranks is not None:
        rank_list = numbers(ranks, "ranks", n)
        try:
            value = RankingValue(tuple(None if r is None else int(r) for r in rank_list))
        except ValueError as exc:
            raise RecordError("ranks", str(exc)) from None
        labels.append(PendingLabel(value, Source.IMPORTED, ctx.annotator))
    if scores is not None:
        score_list = numbers(scores, "scores", n)
        extra["scores"] = score_list
        if ctx.mapping.scores_are_labels and ranks is None:
            if any(s is None for s in score_list):
                raise RecordError("scores", "every response needs a score to rank by")
            ranking = _ranks_from_scores([float(s) for s in score_list if s is not None])
            labels.append(PendingLabel(ranking, Source.IMPORTED, ctx.annotator))
    if any(extras):
        extra["response_fields"] = extras
    return Parsed(*_build(f, ctx, prompt, responses, extra), tuple(labels))


def _pair(f: Fields, ctx: Context, *, keys: tuple[str, ...]) -> Parsed:
    prompt = read_prompt(f)
    assert prompt is not None
    pair = [read_response(f.take(k), k) for k in keys]
    models: list[str | None] = [r.model for r, _ in pair]
    for mkeys in PAIR_MODEL_KEYS:
        if f.has(mkeys[0]) or f.has(mkeys[1]):
            models = [opt_text(f.take(k), k) for k in mkeys]
            break
    else:
        cmp_key = f.data.get("cmp_key")  # PandaLM: "bloom-7b_llama-7b" names both generators
        if isinstance(cmp_key, str) and cmp_key.count("_") == 1 and models == [None, None]:
            models = list(cmp_key.split("_"))
    responses = tuple(Response(r.text, m) for (r, _), m in zip(pair, models, strict=True))
    labels = []
    if f.has("winner"):
        winner = f.take("winner")
        choice = _WINNER.get(str(winner).lower())
        if choice is None:
            raise RecordError("winner", f"{winner!r}: expected model_a, model_b, tie or both_bad")
        labels.append(PendingLabel(PairwiseValue(choice), Source.IMPORTED, ctx.annotator))
    for name in ctx.mapping.annotator_fields:
        verdict = f.take(name)
        if verdict is None:
            continue
        text = str(verdict).strip().lower()
        choice = _ANNOTATOR_CHOICE.get(text.removesuffix(".0") if text[:1].isdigit() else text)
        if choice is None or isinstance(verdict, bool):
            raise RecordError(name, f"{verdict!r}: expected 1 or a, 2 or b, 0 or tie") from None
        labels.append(PendingLabel(PairwiseValue(choice), Source.HUMAN, name))
    return Parsed(*_build(f, ctx, prompt, responses, {}), tuple(labels))


def dpo_pair(chosen: str, rejected: str) -> tuple[str, str, PairChoice]:
    """The two replies in an order fixed by their content, so position never tells which one
    won, and the choice that names the chosen one in that order (a tie when they are equal)."""
    if chosen == rejected:
        return chosen, rejected, PairChoice.TIE
    if _order_key(chosen) <= _order_key(rejected):
        return chosen, rejected, PairChoice.A
    return rejected, chosen, PairChoice.B


def _order_key(reply: str) -> bytes:
    return hashlib.blake2b(reply.encode("utf-8"), digest_size=8).digest()


def _dpo(f: Fields, ctx: Context) -> Parsed:
    chosen, rejected = f.take("chosen"), f.take("rejected")
    prompt: Prompt | None = read_prompt(f, required=False)
    if chat.is_message_list(chosen) or chat.is_message_list(rejected):
        c_msgs = chat.parse_messages(chosen, "chosen")
        r_msgs = chat.parse_messages(rejected, "rejected")
        if prompt is None:
            prompt, (c_text, r_text) = chat.shared_prompt([c_msgs, r_msgs], "chosen")
        else:
            c_text = chat.split_trailing_assistant(c_msgs)[1] or c_msgs[-1].content
            r_text = chat.split_trailing_assistant(r_msgs)[1] or r_msgs[-1].content
    elif prompt is None and chat.is_hh_transcript(chosen) and chat.is_hh_transcript(rejected):
        prompt, c_text, r_text = chat.split_hh(chosen, rejected)
    else:
        c_text, r_text = text(chosen, "chosen"), text(rejected, "rejected")
        if prompt is None:
            raise RecordError("prompt", "missing (chosen/rejected need a prompt or transcripts)")
    first, second, choice = dpo_pair(c_text, r_text)
    responses = (Response(first), Response(second))
    label = PendingLabel(PairwiseValue(choice), Source.IMPORTED, ctx.annotator)
    return Parsed(*_build(f, ctx, prompt, responses, {}), (label,))


_THUMB = {"true": True, "1": True, "false": False, "0": False}


def _kto(f: Fields, ctx: Context) -> KtoPart:
    prompt = read_prompt(f)
    assert prompt is not None
    response, extra = read_response(f.take("completion"), "completion")
    raw = f.take("label")
    if isinstance(raw, bool) or raw is None:
        thumb = raw
    elif str(raw).lower() in _THUMB:
        thumb = _THUMB[str(raw).lower()]
    else:
        raise RecordError("label", f"{raw!r}: expected true or false")
    images, written = read_images(f, ctx.base_dir)
    metadata = f.rest()
    metadata.update(extra)
    return KtoPart(prompt, response, thumb, images, written, metadata)


def kto_item(parts: list[KtoPart], annotator: str) -> Parsed:
    """One item from the adjacent KTO records sharing a prompt; their thumbs become a label."""
    first = parts[0]
    responses = tuple(p.response for p in parts)
    metadata: dict[str, Any] = {}
    if any(p.metadata for p in parts):
        metadata["response_fields"] = [p.metadata for p in parts]
    item, row = _item(
        first.prompt, responses, first.images, first.written_images, metadata, (), annotator
    )
    thumbs = BinaryValue(tuple(p.thumb for p in parts))
    labels = (
        ()
        if all(t is None for t in thumbs.thumbs)
        else (PendingLabel(thumbs, Source.IMPORTED, annotator),)
    )
    return Parsed(item, row, labels)


Parser = Callable[[Fields, Context], "Parsed | KtoPart"]


def _parser(shape: Shape) -> Parser:
    if shape.kind is Kind.DPO:
        return _dpo
    if shape.kind is Kind.KTO:
        return _kto
    if shape.kind is Kind.LIST:
        return partial(_listwise, key=shape.fields[0])
    return partial(_pair, keys=shape.fields)


class Recogniser:
    """Parse records into items, remembering the parser chosen for each set of field names."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._cache: dict[frozenset[str], Parser] = {}

    def parse(self, record: Any) -> Parsed | KtoPart:
        if not isinstance(record, dict):
            raise RecordError(None, f"expected a JSON object, got {type(record).__name__}")
        data = self.ctx.mapping.apply(record)
        key = frozenset(data)
        parser = self._cache.get(key)
        if parser is None:
            parser = self._cache[key] = _parser(recognise(key))
        try:
            return parser(Fields(data), self.ctx)
        except RecordError:
            raise
        except ValueError as exc:  # e.g. an item with fewer than two responses
            raise RecordError(None, str(exc)) from None
