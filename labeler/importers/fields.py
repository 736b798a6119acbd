"""Reading a record's fields: the prompt, responses and images every shape shares.

A record is wrapped in ``Fields``, which remembers what was read, so whatever no shape used
becomes the item's metadata. The readers raise RecordError naming the field at fault.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from labeler.importers import chat
from labeler.importers.errors import RecordError
from labeler.importers.images import check_image_ref
from labeler.types import JSONValue, PairChoice, Prompt, Response

PROMPT_KEYS = ("prompt", "question", "query")
"""Fields holding a prompt as text or messages, tried in this order."""
PROMPT_FIELDS = (*PROMPT_KEYS, "instruction", "input", "messages")
"""Every field ``read_prompt`` may read."""
IMAGE_FIELDS = ("images", "image")
TEXT_KEYS = ("text", "content", "response", "output", "completion")
MODEL_KEYS = ("model", "generator", "model_id", "model_name")
_ANNOTATOR_CHOICE = {0: PairChoice.TIE, 1: PairChoice.A, 2: PairChoice.B}
_ANNOTATOR_WORD = {"a": PairChoice.A, "b": PairChoice.B, "tie": PairChoice.TIE}
_WINNER = {
    "model_a": PairChoice.A,
    "a": PairChoice.A,
    "model_b": PairChoice.B,
    "b": PairChoice.B,
    "tie": PairChoice.TIE,
    "tie (bothbad)": PairChoice.BOTH_BAD,
    "both_bad": PairChoice.BOTH_BAD,
}
_THUMB = {"true": True, "1": True, "false": False, "0": False}
MAX_DEPTH = 100
"""How deep lists and objects in a record may nest (pyarrow's limit for Parquet schemas too):
deeper values could be stored but not written back out by every JSON library."""


def check_depth(value: Any, field: str) -> None:
    """Refuse ``value`` when its lists and objects nest more than ``MAX_DEPTH`` deep."""
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [
            v
            for x in level
            if isinstance(x, dict | list)
            for v in (x.values() if isinstance(x, dict) else x)
        ]
        if not level:
            return
    if any(isinstance(x, dict | list) and x for x in level):
        raise RecordError(field, f"nested more than {MAX_DEPTH} levels deep")


def check_metadata(metadata: dict[str, Any]) -> None:
    """The metadata values an item will store nest no deeper than ``MAX_DEPTH``."""
    for key, value in metadata.items():
        if isinstance(value, dict | list) and value:
            check_depth(value, key)


class Fields:
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


def text(value: Any, field: str) -> str:
    if isinstance(value, str):
        return value
    raise RecordError(field, f"expected text, got {type(value).__name__}")


def opt_text(value: Any, field: str) -> str | None:
    """Text, or None for a missing or empty value (a model name nobody gave)."""
    if value is None or value == "":
        return None
    return value if type(value) is str else text(value, field)  # one call: a hot path


def read_prompt(f: Fields, required: bool = True) -> Prompt | None:
    for key in PROMPT_KEYS:
        if f.has(key):
            value = f.take(key)
            if chat.is_message_list(value):
                return chat.parse_messages(value, key)
            return text(value, key)
    if f.has("instruction"):
        instruction = text(f.take("instruction"), "instruction")
        extra = opt_text(f.take("input"), "input")
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
        raise RecordError("prompt", "missing (or map a field of the file to prompt)")
    return None


def read_images(
    f: Fields, base_dir: Path, allowed: tuple[Path, ...] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(images as stored, images as written): stored paths are absolute, the id uses the
    paths as written so the same files imported on two machines get the same item id.
    Relative paths start at ``base_dir``; ``images.check_image_ref`` says what is refused."""
    if not f.has("images") and not f.has("image"):
        return (), ()
    key = "images" if f.has("images") else "image"
    value = f.take(key)
    written = [value] if isinstance(value, str) else value
    if not isinstance(written, list) or not all(isinstance(v, str) for v in written):
        raise RecordError(key, "expected a list of image paths")
    stored = [check_image_ref(ref, key, base_dir, allowed) for ref in written]
    return tuple(stored), tuple(written)


def numbers(value: Any, field: str, n: int) -> list[float | None]:
    """One number (or None) per response, numeric text accepted (CSV cells)."""
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
        last = out[-1]
        if last is not None and not math.isfinite(last):
            raise RecordError(field, f"{v!r} is not a finite number")
    return out


def _assistant_text(value: Any, field: str) -> str:
    """The reply in a completion given as messages: its final assistant turns."""
    reply = chat.split_trailing_assistant(chat.parse_messages(value, field))[1]
    if not reply and value[-1].get("role") != "assistant":
        raise RecordError(field, "a completion given as messages must end with assistant turns")
    return reply


def read_response(value: Any, field: str) -> tuple[Response, dict[str, Any]]:
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
        body = value[text_key]
        if chat.is_message_list(body):
            body = chat.split_trailing_assistant(chat.parse_messages(body, field))[1]
        model_key = next((k for k in MODEL_KEYS if k in value), None)
        model = None if model_key is None else opt_text(value[model_key], field)
        extra = {k: v for k, v in value.items() if k not in (text_key, model_key)}
        return Response(text(body, field), model), extra
    raise RecordError(field, f"a response must be text or an object, got {type(value).__name__}")


def annotator_verdict(verdict: Any, name: str) -> PairChoice:
    """An annotator's 1 or a, 2 or b, 0 or tie: an integer, a whole float, or its text; never
    a bool, a fraction or a non-finite number, which would silently name a response."""
    value: Any = verdict.strip().lower() if isinstance(verdict, str) else verdict
    if isinstance(value, str) and value in _ANNOTATOR_WORD:
        return _ANNOTATOR_WORD[value]
    whole = isinstance(value, float) and value.is_integer()
    if whole or (isinstance(value, str) and value in ("0", "1", "2")):
        value = int(value)
    if type(value) is int and value in _ANNOTATOR_CHOICE:
        return _ANNOTATOR_CHOICE[value]
    raise RecordError(name, f"{verdict!r}: expected 1 or a, 2 or b, 0 or tie")


def winner_choice(winner: Any) -> PairChoice:
    """A ``winner`` field's value (Chatbot Arena's model_a, model_b, tie...) as a choice."""
    choice = _WINNER.get(winner.lower()) if isinstance(winner, str) else None
    if choice is None:
        raise RecordError("winner", f"{winner!r}: expected model_a, model_b, tie or both_bad")
    return choice


def kto_thumb(raw: Any) -> bool | None:
    """A KTO ``label``: true/false, or their text (1/0 too); None when missing."""
    if isinstance(raw, bool) or raw is None:
        return raw
    if type(raw) is int and raw in (0, 1):
        return bool(raw)
    thumb = _THUMB.get(raw.lower()) if isinstance(raw, str) else None
    if thumb is None:
        raise RecordError("label", f"{raw!r}: expected true or false")
    return thumb
