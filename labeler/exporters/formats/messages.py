"""Prompts and completions in the two TRL formats: standard (plain text) and conversational.

Conversational prompts are lists of ``{"role", "content"}`` messages and completions a
one-message assistant list. A plain-text prompt becomes one user message; a chat prompt
written to a standard target is rendered as ``role: content`` paragraphs, because a
standard prompt has no place for turns (export conversational to keep them).
"""

from __future__ import annotations

from typing import Any

from labeler.exporters.formats.example import PromptJSON


def prompt_value(prompt: PromptJSON, conversational: bool) -> Any:
    """The prompt as the chosen format wants it.

    >>> prompt_value("Hi", True)
    [{'role': 'user', 'content': 'Hi'}]
    >>> prompt_value([{"role": "user", "content": "Hi"}], False)
    'user: Hi'
    """
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}] if conversational else prompt
    return prompt if conversational else prompt_as_text(prompt)


def prompt_as_text(prompt: PromptJSON) -> str:
    if isinstance(prompt, str):
        return prompt
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in prompt)


def prompt_messages(prompt: PromptJSON) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt


def completion_value(text: str, conversational: bool) -> Any:
    """A response as a completion.

    >>> completion_value("Hello.", True)
    [{'role': 'assistant', 'content': 'Hello.'}]
    """
    return [{"role": "assistant", "content": text}] if conversational else text
