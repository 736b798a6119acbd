"""Prompts and completions in the two TRL formats: standard (plain text) and conversational.

Chat prompts are normalised first (``chat``), because strict chat templates (Llama-2,
Mistral) refuse a conversation that does not alternate user/assistant: consecutive turns of
one role are merged (texts joined by a blank line, nothing dropped), a conversation that
opens with the assistant gets an empty user turn before it, and a trailing assistant turn
moves into every completion (it is text the assistant said before the response). So a
conversational prompt always alternates, starts (after an optional system message) and
ends on a user turn.

Standard prompts follow the Anthropic HH convention, since trainers concatenate prompt and
completion as they are: the prompt is ``\\n\\nHuman: ...`` turns ending in
``\\n\\nAssistant:``, and the completion starts with a space. A chat is flattened into the
same convention (``Assistant:`` turns in between, a system message as a first paragraph).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from labeler.exporters.formats.example import PromptJSON

Messages = list[dict[str, str]]

HUMAN, ASSISTANT = "\n\nHuman: ", "\n\nAssistant:"
"""The HH separators: a standard prompt's turns start with ``HUMAN`` and it ends in
``ASSISTANT``; a completion starts with a space."""
SPACES = (" ", "\n", "\t", "\r")
"""Text starting with one of these gets no extra space after ``ASSISTANT``."""
_NAMES = {"user": "Human", "assistant": "Assistant"}


class Chat(NamedTuple):
    """A prompt as alternating messages, and the assistant text every completion starts
    with (a trailing assistant turn of the stored prompt; "" when none)."""

    messages: Messages
    carry: str


def is_normal(messages: Messages) -> bool:
    """Whether a stored chat prompt already alternates: optional system first, then user and
    assistant in turn, starting and ending with user.

    >>> is_normal([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    False
    """
    roles = [m["role"] for m in messages]
    if roles and roles[0] == "system":
        roles = roles[1:]
    return (
        bool(roles)
        and roles[0] == "user"
        and roles[-1] == "user"
        and all(r == ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(roles))
    )


def chat(prompt: PromptJSON) -> Chat:
    """The prompt as alternating messages (see the module doc); texts are kept whole.

    >>> chat([{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
    ...       {"role": "assistant", "content": "c"}])
    Chat(messages=[{'role': 'user', 'content': 'a\\n\\nb'}], carry='c')
    """
    if isinstance(prompt, str):
        return Chat([{"role": "user", "content": prompt}], "")
    if is_normal(prompt):
        return Chat(prompt, "")
    merged: Messages = []
    for m in prompt:
        if merged and merged[-1]["role"] == m["role"]:
            merged[-1] = {
                "role": m["role"],
                "content": f"{merged[-1]['content']}\n\n{m['content']}",
            }
        else:
            merged.append({"role": m["role"], "content": m["content"]})
    first = 1 if merged and merged[0]["role"] == "system" else 0
    if first == len(merged) or merged[first]["role"] == "assistant":
        merged.insert(first, {"role": "user", "content": ""})
    carry = merged.pop()["content"] if merged[-1]["role"] == "assistant" else ""
    return Chat(merged, carry)


def transcript(messages: Messages) -> str:
    """Turns as ``Human:``/``Assistant:`` paragraphs (a system message first, unlabelled).

    >>> transcript([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"},
    ...             {"role": "user", "content": "Bye"}])
    'Human: Hi\\n\\nAssistant: Yo\\n\\nHuman: Bye'
    """
    parts = []
    for m in messages:
        name = _NAMES.get(m["role"]) or m["role"].capitalize()
        parts.append(m["content"] if m["role"] == "system" else f"{name}: {m['content']}")
    return "\n\n".join(parts)


def hh_prompt(messages: Messages) -> str:
    """A standard prompt: ``\\n\\nHuman: ...`` turns ending in ``\\n\\nAssistant:``.

    >>> hh_prompt([{"role": "user", "content": "2+2?"}])
    '\\n\\nHuman: 2+2?\\n\\nAssistant:'
    """
    text = transcript(messages)
    if messages and messages[0]["role"] == "system":
        return text + ASSISTANT
    return "\n\n" + text + ASSISTANT


def with_carry(text: str, carry: str) -> str:
    return f"{carry}\n\n{text}" if carry else text


def prompt_value(c: Chat, conversational: bool) -> Any:
    """The prompt as the chosen format wants it.

    >>> prompt_value(chat("Hi"), True)
    [{'role': 'user', 'content': 'Hi'}]
    >>> prompt_value(chat([{"role": "user", "content": "Hi"}]), False)
    '\\n\\nHuman: Hi\\n\\nAssistant:'
    """
    return c.messages if conversational else hh_prompt(c.messages)


def completion_value(text: str, conversational: bool, carry: str = "") -> Any:
    """A response as a completion: one assistant message, or text after a space.

    >>> completion_value("Hello.", True)
    [{'role': 'assistant', 'content': 'Hello.'}]
    >>> completion_value("Hello.", False)
    ' Hello.'
    """
    text = with_carry(text, carry)
    if conversational:
        return [{"role": "assistant", "content": text}]
    return text if text.startswith(SPACES) else " " + text


def prompt_as_text(c: Chat) -> str:
    """One user message's text for formats that template it themselves (OpenAI, LLaMA-Factory
    standard): a plain prompt as it is, a chat as a ``Human:``/``Assistant:`` transcript."""
    m = c.messages
    return m[0]["content"] if len(m) == 1 and m[0]["role"] == "user" else transcript(m)
