"""The canonical JSON of an item: its content hash and its store row, written in one place.

An item's id is a hash of its content in one fixed JSON form, so the same item imported
anywhere (another laptop, a merged project) gets the same id; the store keeps the same JSON
texts. Every path that makes an id or a row calls this module (``types.content_hash``,
``store.items.item_to_row``, the importers' general and per-file fast paths), so ids and
stored bytes cannot drift apart. Each text is encoded once and the pieces are joined into
both the hash input and the row, which at a million 2 KB items is a large share of an
import. Nothing here knows the domain types: callers pass JSON values and texts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses for str
from typing import Any, TypeAlias

import orjson

PromptJSON: TypeAlias = str | list[dict[str, str]]
"""A prompt's JSON form: its text, or a list of ``{"role", "content"}`` messages."""

_orjson = orjson.dumps
_blake2b = hashlib.blake2b
_NULL = b"null"
_CANONICAL = b"[%b,[%b],%b]"  # what an id hashes: [prompt, [texts...], [images...]]
_RESPONSE = b'{"text":%b,"model":%b}'
_PAIR = b"[" + _RESPONSE + b"," + _RESPONSE + b"]"


ROW_COLUMNS = ("id", "prompt", "responses", "n_responses", "images", "metadata", "tags", "source")
"""The ``items`` columns an item row fills, in the row's order."""
ItemRow: TypeAlias = tuple[Any, ...]
"""An item as the store inserts it: the values of ``ROW_COLUMNS``, read by the positions
below. A plain tuple: a named tuple costs more to build, and far more for SQLite to bind
(it reads a tuple subclass item by item through ``__getitem__``), than the rest of the row."""
_AT = {name: i for i, name in enumerate(ROW_COLUMNS)}
ROW_ID, ROW_PROMPT = _AT["id"], _AT["prompt"]
ROW_N_RESPONSES, ROW_IMAGES = _AT["n_responses"], _AT["images"]


def dumps(value: Any) -> str:
    """Compact JSON with non-ASCII kept as is: the form of every JSON column of an item."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_text(text: str) -> bytes:
    """``text`` as a JSON string literal in UTF-8, byte for byte what ``dumps`` writes.

    orjson is several times faster on long texts. It refuses lone surrogates, which no UTF-8
    file or database can hold; the standard library's encoding of one then raises
    UnicodeEncodeError (a ValueError) naming the character.
    """
    try:
        return _orjson(text)
    except orjson.JSONEncodeError:
        return encode_basestring(text).encode()


def _encode(
    prompt: PromptJSON, texts: Sequence[str], models: Sequence[str | None] = ()
) -> tuple[bytes, list[bytes], list[bytes]]:
    """The prompt, texts and model names (``null`` for None) as JSON, each encoded once."""
    try:  # C calls only in the common case (orjson writes None as null)
        p = _orjson(prompt) if type(prompt) is str else dumps(prompt).encode()
        return p, list(map(_orjson, texts)), list(map(_orjson, models))
    except orjson.JSONEncodeError:  # a lone surrogate: ``encode_text`` raises the error
        p = encode_text(prompt) if type(prompt) is str else dumps(prompt).encode()
        names = [_NULL if m is None else encode_text(m) for m in models]
        return p, list(map(encode_text, texts)), names


def _id(prompt: bytes, texts: list[bytes], images: Sequence[str]) -> str:
    """The hash of ``[prompt, [texts...], [images...]]`` in canonical JSON."""
    hashed = dumps(list(images)).encode() if images else b"[]"
    return _blake2b(_CANONICAL % (prompt, b",".join(texts), hashed), digest_size=10).hexdigest()


def content_hash(prompt: PromptJSON, texts: Sequence[str], images: Sequence[str] = ()) -> str:
    """The id of an item with this content (response order and image paths included)."""
    p, encoded, _ = _encode(prompt, texts)
    return _id(p, encoded, images)


def item_row(
    prompt: PromptJSON,
    texts: Sequence[str],
    models: Sequence[str | None],
    images: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    source: str | None = None,
    *,
    hashed_images: Sequence[str] | None = None,
    item_id: str | None = None,
) -> ItemRow:
    """The store row of an item; empty images, metadata and tags are stored as NULL.

    The id is ``item_id`` when given, else the content hash, over ``hashed_images`` when
    given (an importer hashes image paths as written and stores them resolved).
    """
    # ``_encode`` and ``_id`` inlined, a pair's texts unpacked: this runs per imported record.
    try:
        p = _orjson(prompt) if type(prompt) is str else dumps(prompt).encode()
        if len(texts) == 2:
            (t0, t1), (m0, m1) = texts, models
            encoded, names = [_orjson(t0), _orjson(t1)], [_orjson(m0), _orjson(m1)]
        else:
            encoded, names = [*map(_orjson, texts)], [*map(_orjson, models)]
    except orjson.JSONEncodeError:
        p, encoded, names = _encode(prompt, texts, models)
    n = len(encoded)
    if len(names) != n:
        raise ValueError(f"{n} responses but {len(names)} model names")
    if item_id is None:
        hashed = images if hashed_images is None else hashed_images
        h = dumps(list(hashed)).encode() if hashed else b"[]"
        item_id = _blake2b(_CANONICAL % (p, b",".join(encoded), h), digest_size=10).hexdigest()
    if n == 2:  # most items: one format instead of a join
        responses = _PAIR % (encoded[0], names[0], encoded[1], names[1])
    else:
        responses = b"[%b]" % b",".join([_RESPONSE % r for r in zip(encoded, names, strict=True)])
    return (
        item_id,
        p.decode(),
        responses.decode(),
        n,
        _utf8(dumps(list(images))) if images else None,
        _utf8(dumps(metadata if type(metadata) is dict else dict(metadata))) if metadata else None,
        _utf8(dumps(list(tags))) if tags else None,
        source,
    )


def _utf8(text: str) -> str:
    """``text``, once it is known to fit in UTF-8: a lone surrogate (from a ``\\ud800``
    escape) raises UnicodeEncodeError, a ValueError naming the character, as ``encode_text``
    does for prompts and responses."""
    if not text.isascii():
        text.encode("utf-8")
    return text
