"""Chat prompts: OpenAI-style message lists and Anthropic HH ``Human:/Assistant:`` transcripts.

Both come down to one question: which turns are the shared prompt and which are the replies
being compared. The rule is the same for both: the prompt is the longest run of turns that the
candidates share and that is followed by an assistant turn in each of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from labeler.importers.errors import RecordError
from labeler.types import Message

ROLES = frozenset({"system", "user", "assistant", "tool", "developer", "function"})
_HH_TURN = re.compile(r"\n\n(Human|Assistant):")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}


def message_content(value: Any, field: str) -> str:
    """Message content as text: a string, or OpenAI content parts of type ``text``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        for p in value
    ):
        return "\n".join(p["text"] for p in value)
    raise RecordError(field, "message content must be text or a list of text parts")


def parse_messages(value: Any, field: str) -> tuple[Message, ...]:
    """A list of ``{"role", "content"}`` objects as Messages; RecordError names the field."""
    if not isinstance(value, list) or not value:
        raise RecordError(field, "expected a non-empty list of messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or "content" not in m:
            raise RecordError(field, f"message {i + 1}: expected an object with role and content")
        if m["role"] not in ROLES:
            raise RecordError(field, f"message {i + 1}: unknown role {m['role']!r}")
        out.append(Message(m["role"], message_content(m["content"], field)))
    return tuple(out)


def is_message_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and isinstance(value[0], dict)
        and ("role" in value[0])
    )


def split_trailing_assistant(messages: tuple[Message, ...]) -> tuple[tuple[Message, ...], str]:
    """The prompt (up to the final assistant turns) and the text of those final turns."""
    cut = len(messages)
    while cut > 0 and messages[cut - 1].role == "assistant":
        cut -= 1
    return messages[:cut], "\n\n".join(m.content for m in messages[cut:])


def shared_prompt(
    candidates: Sequence[tuple[Message, ...]], field: str
) -> tuple[tuple[Message, ...], list[str]]:
    """Split full conversations (TRL's implicit-prompt format) into prompt and replies."""
    k = _shared_turns([[(m.role, m.content) for m in c] for c in candidates])
    if k == 0:
        raise RecordError(field, "the conversations share no prompt before an assistant turn")
    replies = ["\n\n".join(m.content for m in c[k:]) for c in candidates]
    return candidates[0][:k], replies


def _shared_turns(turns: Sequence[Sequence[tuple[str, str]]]) -> int:
    """Largest k: the first k turns are equal in all and turn k is an assistant turn in all."""
    best = 0
    for k in range(min(len(t) for t in turns)):
        if all(t[k][0] == "assistant" for t in turns) and k > 0:
            best = k
        if any(t[k] != turns[0][k] for t in turns):
            break
    return best


def _hh_turns(text: str, field: str) -> list[tuple[str, str, int]]:
    """(role, content, content start offset) for each turn of an HH transcript."""
    marks = list(_HH_TURN.finditer(text))
    if not marks or marks[0].start() != 0:
        raise RecordError(field, "expected a transcript starting with '\\n\\nHuman:'")
    turns = []
    for i, mark in enumerate(marks):
        start = mark.end() + (1 if text.startswith(" ", mark.end()) else 0)
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        turns.append((_HH_ROLES[mark.group(1)], text[start:end], start))
    return turns


def is_hh_transcript(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("\n\nHuman:", "Human:"))


def split_hh(chosen: str, rejected: str) -> tuple[tuple[Message, ...], str, str]:
    """Split two HH transcripts into the shared prompt (as chat) and the two final replies.

    A reply is everything after the shared turns, so a transcript that goes on past the point
    where the two differ keeps its extra turns as text instead of losing them.
    """
    texts = [t if t.startswith("\n\n") else "\n\n" + t for t in (chosen, rejected)]
    turns = [_hh_turns(t, f) for t, f in zip(texts, ("chosen", "rejected"), strict=True)]
    k = _shared_turns([[(role, content) for role, content, _ in t] for t in turns])
    if k == 0:
        raise RecordError("rejected", "chosen and rejected share no Human turn before a reply")
    prompt = tuple(Message(role, content) for role, content, _ in turns[0][:k])
    replies = [text[t[k][2] :] for text, t in zip(texts, turns, strict=True)]
    return prompt, replies[0], replies[1]
