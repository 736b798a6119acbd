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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from labeler.importers import chat
from labeler.importers.errors import RecordError
from labeler.importers.mapping import FieldMapping
from labeler.importers.rows import encode_item
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
TEXT_KEYS = ("text", "content", "response", "output", "completion")
MODEL_KEYS = ("model", "generator", "model_id", "model_name")
_WINNER = {
    "model_a": PairChoice.A,
    "a": PairChoice.A,
    "model_b": PairChoice.B,
    "b": PairChoice.B,
    "tie": PairChoice.TIE,
    "tie (bothbad)": PairChoice.BOTH_BAD,
    "both_bad": PairChoice.BOTH_BAD,
}
_ANNOTATOR_CHOICE = {0: PairChoice.TIE, 1: PairChoice.A, 2: PairChoice.B}


@dataclass(frozen=True, slots=True)
class PendingLabel:
    """A label found in the file; it gets its item id once the item is built."""

    value: LabelValue
    source: Source
    annotator: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """An item, its store row (built once, see ``rows``) and the labels the file gave it."""

    item: Item
    row: tuple[Any, ...]
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


class _Fields:
    """A record plus the set of fields consumed so far; the rest becomes metadata."""

    __slots__ = ("data", "used")

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.used: set[str] = set()

    def take(self, key: str) -> Any:
        self.used.add(key)
        return self.data.get(key)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def rest(self) -> dict[str, JSONValue]:
        """The unused fields, kept as the item's metadata. A field named ``metadata`` that
        holds an object is merged in, so ``{"metadata": {"category": "math"}}`` gives the
        item the metadata ``{"category": "math"}``, as users of other tools expect."""
        if self.used.issuperset(self.data):
            return {}
        rest = {k: v for k, v in self.data.items() if k not in self.used}
        nested = rest.get("metadata")
        if isinstance(nested, dict):
            del rest["metadata"]
            rest = {**nested, **rest}
        return rest


def _text(value: Any, field: str) -> str:
    if isinstance(value, str):
        return value
    raise RecordError(field, f"expected text, got {type(value).__name__}")


def _opt_text(value: Any, field: str) -> str | None:
    return None if value is None or value == "" else _text(value, field)


def _prompt(f: _Fields, required: bool = True) -> Prompt | None:
    for key in ("prompt", "question", "query"):
        if f.has(key):
            value = f.take(key)
            if chat.is_message_list(value):
                return chat.parse_messages(value, key)
            return _text(value, key)
    if f.has("instruction"):
        instruction = _text(f.take("instruction"), "instruction")
        extra = _opt_text(f.take("input"), "input")
        return f"{instruction}\n\n{extra}" if extra else instruction
    if f.has("messages"):
        messages = chat.parse_messages(f.take("messages"), "messages")
        prompt, reference = chat.split_trailing_assistant(messages)
        if not prompt:
            raise RecordError("messages", "no user turn before the final assistant turn")
        if reference:
            f.data = {**f.data, "reference": reference}
        return prompt
    if required:
        raise RecordError("prompt", "missing (or map one: --map prompt=FIELD)")
    return None


def _images(f: _Fields, ctx: Context) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(images as stored, images as written): stored paths are absolute, the id uses the
    paths as written so the same files imported on two machines get the same item id."""
    if not f.has("images") and not f.has("image"):
        return (), ()
    key = "images" if f.has("images") else "image"
    value = f.take(key)
    written = [value] if isinstance(value, str) else value
    if not isinstance(written, list) or not all(isinstance(v, str) for v in written):
        raise RecordError(key, "expected a list of image paths")
    stored = []
    for ref in written:
        if ref.startswith(("data:", "http://", "https://")):
            stored.append(ref)
            continue
        path = (ctx.base_dir / ref).resolve()
        if not path.is_file():
            raise RecordError(key, f"{ref}: no such image file")
        stored.append(str(path))
    return tuple(stored), tuple(written)


def _assistant_text(value: Any, field: str) -> str:
    """The reply in a completion given as messages: its final assistant turns."""
    text = chat.split_trailing_assistant(chat.parse_messages(value, field))[1]
    if not text and value[-1].get("role") != "assistant":
        raise RecordError(field, "a completion given as messages must end with assistant turns")
    return text


def _response(value: Any, field: str) -> tuple[Response, dict[str, Any]]:
    """A response from a string or an object; also returns the object's other fields."""
    if value is None:
        raise RecordError(field, "missing")
    if isinstance(value, str):
        return Response(value), {}
    if chat.is_message_list(value):  # TRL's conversational completion: assistant messages
        return Response(_assistant_text(value, field)), {}
    if isinstance(value, (bool, int, float)):  # real data has bare answers like `true` or `42`
        return Response(json.dumps(value)), {}
    if isinstance(value, dict):
        text_key = next((k for k in TEXT_KEYS if k in value), None)
        if text_key is None:
            raise RecordError(field, f"response object needs one of {', '.join(TEXT_KEYS)}")
        text = value[text_key]
        if chat.is_message_list(text):
            text = chat.split_trailing_assistant(chat.parse_messages(text, field))[1]
        model_key = next((k for k in MODEL_KEYS if k in value), None)
        model = None if model_key is None else _opt_text(value[model_key], field)
        extra = {k: v for k, v in value.items() if k not in (text_key, model_key)}
        return Response(_text(text, field), model), extra
    raise RecordError(field, f"a response must be text or an object, got {type(value).__name__}")


def _build(
    f: _Fields,
    ctx: Context,
    prompt: Prompt,
    responses: tuple[Response, ...],
    extra: dict[str, Any],
) -> tuple[Item, tuple[Any, ...]]:
    images, written = _images(f, ctx)
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
) -> tuple[Item, tuple[Any, ...]]:
    if len(responses) < 2:
        raise RecordError(None, "an item needs at least two responses")
    row = encode_item(prompt, responses, written, images, metadata, tags, source)
    return Item(prompt, responses, images, metadata, tags, row[0]), row


def _ranks_from_scores(scores: list[float]) -> RankingValue:
    """Competition ranking, higher score better: equal scores share a rank (a tie)."""
    return RankingValue(tuple(1 + sum(s > x for s in scores) for x in scores))


def _number_list(value: Any, field: str, n: int) -> list[float | None]:
    if not isinstance(value, list) or len(value) != n:
        raise RecordError(field, f"expected a list of {n} numbers (one per response)")
    out: list[float | None] = []
    for v in value:
        if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            out.append(v)
        elif isinstance(v, str):
            try:
                out.append(float(v))
            except ValueError:
                raise RecordError(field, f"{v!r} is not a number") from None
        else:
            raise RecordError(field, f"{v!r} is not a number")
    return out


def _listwise(f: _Fields, ctx: Context, *, key: str) -> Parsed:
    prompt = _prompt(f)
    assert prompt is not None
    raw = f.take(key)
    if isinstance(raw, str) and raw.startswith("["):  # a CSV cell holding a JSON list
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise RecordError(key, "expected a list of responses") from None
    if not isinstance(raw, list) or len(raw) < 2:
        raise RecordError(key, "expected a list of at least 2 responses")
    parsed = [_response(v, key) for v in raw]
    models = f.take("models")
    if models is not None:
        if not isinstance(models, list) or len(models) != len(raw):
            raise RecordError("models", f"expected {len(raw)} model names")
        parsed = [
            (Response(r.text, r.model or _opt_text(m, "models")), x)
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
        rank_list = _number_list(ranks, "ranks", n)
        try:
            value = RankingValue(tuple(None if r is None else int(r) for r in rank_list))
        except ValueError as exc:
            raise RecordError("ranks", str(exc)) from None
        labels.append(PendingLabel(value, Source.IMPORTED, ctx.annotator))
    if scores is not None:
        score_list = _number_list(scores, "scores", n)
        extra["scores"] = score_list
        if ctx.mapping.scores_are_labels and ranks is None:
            if any(s is None for s in score_list):
                raise RecordError("scores", "every response needs a score to rank by")
            ranking = _ranks_from_scores([float(s) for s in score_list if s is not None])
            labels.append(PendingLabel(ranking, Source.IMPORTED, ctx.annotator))
    if any(extras):
        extra["response_fields"] = extras
    return Parsed(*_build(f, ctx, prompt, responses, extra), tuple(labels))


def _pair(f: _Fields, ctx: Context, *, keys: tuple[str, str]) -> Parsed:
    prompt = _prompt(f)
    assert prompt is not None
    pair = [_response(f.take(k), k) for k in keys]
    models: list[str | None] = [r.model for r, _ in pair]
    for mkeys in PAIR_MODEL_KEYS:
        if f.has(mkeys[0]) or f.has(mkeys[1]):
            models = [_opt_text(f.take(k), k) for k in mkeys]
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
        try:
            choice = _ANNOTATOR_CHOICE[int(verdict)]
        except (KeyError, ValueError, TypeError):
            raise RecordError(name, f"{verdict!r}: expected 1, 2 or 0 (tie)") from None
        labels.append(PendingLabel(PairwiseValue(choice), Source.HUMAN, name))
    return Parsed(*_build(f, ctx, prompt, responses, {}), tuple(labels))


def _order_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def _dpo(f: _Fields, ctx: Context) -> Parsed:
    chosen, rejected = f.take("chosen"), f.take("rejected")
    prompt: Prompt | None = _prompt(f, required=False)
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
        c_text, r_text = _text(chosen, "chosen"), _text(rejected, "rejected")
        if prompt is None:
            raise RecordError("prompt", "missing (chosen/rejected need a prompt or transcripts)")
    # Store the pair in an order fixed by content, so position never tells which one won.
    chosen_first = _order_key(c_text) <= _order_key(r_text)
    pair = (c_text, r_text) if chosen_first else (r_text, c_text)
    responses = (Response(pair[0]), Response(pair[1]))
    choice = PairChoice.A if chosen_first else PairChoice.B
    if c_text == r_text:
        choice = PairChoice.TIE
    label = PendingLabel(PairwiseValue(choice), Source.IMPORTED, ctx.annotator)
    return Parsed(*_build(f, ctx, prompt, responses, {}), (label,))


_THUMB = {"true": True, "1": True, "false": False, "0": False}


def _kto(f: _Fields, ctx: Context) -> KtoPart:
    prompt = _prompt(f)
    assert prompt is not None
    response, extra = _response(f.take("completion"), "completion")
    raw = f.take("label")
    if isinstance(raw, bool) or raw is None:
        thumb = raw
    elif str(raw).lower() in _THUMB:
        thumb = _THUMB[str(raw).lower()]
    else:
        raise RecordError("label", f"{raw!r}: expected true or false")
    images, written = _images(f, ctx)
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


Parser = Callable[[_Fields, Context], "Parsed | KtoPart"]


def _choose(data: dict[str, Any]) -> Parser:
    if "chosen" in data and "rejected" in data:
        return _dpo
    if "completion" in data and "label" in data:
        return _kto
    for key in LIST_KEYS:
        if key in data:
            return partial(_listwise, key=key)
    for keys in PAIR_KEYS:
        if keys[0] in data or keys[1] in data:
            return partial(_pair, keys=keys)
    raise RecordError(
        None,
        "unrecognised record shape (fields: "
        + ", ".join(sorted(data)[:12])
        + "); expected responses, response_a/response_b, chosen/rejected or completion/label,"
        " or map fields with --map",
    )


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
            parser = self._cache[key] = _choose(data)
        try:
            return parser(_Fields(data), self.ctx)
        except RecordError:
            raise
        except ValueError as exc:  # e.g. an item with fewer than two responses
            raise RecordError(None, str(exc)) from None
