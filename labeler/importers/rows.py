"""Build an item's id and its store row from texts encoded to JSON only once.

``content_hash`` and ``item_to_row`` each JSON-encode every text; at a million 2 KB items
that double encoding is a large share of an import. Here each text is encoded once and the
pieces are joined into both the canonical hash input and the row, byte-identical to
``labeler.types.content_hash`` and ``labeler.store.items.item_to_row`` (a property test checks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses for str
from typing import Any

import orjson

from labeler.types import JSONValue, Prompt, Response, prompt_to_json


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encode_text(text: str) -> str:
    """``text`` as a JSON string literal, byte-identical to ``json.dumps(ensure_ascii=False)``.

    orjson is several times faster on long texts; it refuses lone surrogates, which the
    standard library encodes, so those fall back to it.
    """
    try:
        return orjson.dumps(text).decode("utf-8")
    except orjson.JSONEncodeError:
        return encode_basestring(text)


def encode_item(
    prompt: Prompt,
    responses: Sequence[Response],
    hashed_images: Sequence[str],
    images: Sequence[str],
    metadata: Mapping[str, JSONValue],
    tags: Sequence[str],
    source: str | None,
) -> tuple[Any, ...]:
    """The store row of an item (its id first), with the id computed from the content."""
    enc = _encode_text
    p = enc(prompt) if isinstance(prompt, str) else _dumps(prompt_to_json(prompt))
    texts = [enc(r.text) for r in responses]
    hashed = _dumps(list(hashed_images)) if hashed_images else "[]"
    canonical = f"[{p},[{','.join(texts)}],{hashed}]"
    item_id = hashlib.blake2b(canonical.encode("utf-8"), digest_size=10).hexdigest()
    stored = ",".join(
        f'{{"text":{t},"model":{"null" if r.model is None else enc(r.model)}}}'
        for t, r in zip(texts, responses, strict=True)
    )
    return (
        item_id,
        p,
        f"[{stored}]",
        len(responses),
        _dumps(list(images)) if images else None,
        _dumps(dict(metadata)) if metadata else None,
        _dumps(list(tags)) if tags else None,
        source,
    )
