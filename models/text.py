"""Turning prompts (plain or chat) and responses into the text a model reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from models.errors import ModelContractError
from models.protocol import Prompt


def as_messages(prompt: Prompt) -> list[Mapping[str, str]]:
    """A plain-text prompt is one user turn."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return list(prompt)


def render_plain(prompt: Prompt) -> str:
    """Plain text for encoders without a chat template.

    A single user turn is its text; a conversation becomes ``Role: content`` blocks, the way
    transcripts in preference data sets read, so the last turns sit at the end where truncation
    keeps them.
    """
    if isinstance(prompt, str):
        return prompt
    messages = as_messages(prompt)
    if len(messages) == 1 and messages[0].get("role", "user") == "user":
        return messages[0].get("content", "")
    return "\n\n".join(
        f"{m.get('role', 'user').capitalize()}: {m.get('content', '')}" for m in messages
    )


@dataclass(frozen=True)
class ChatTemplate:
    """Format strings (with a ``{content}`` field) per role, plus one for the scored response.

    Reward models are trained on their own chat format. A folder's ``config.json`` can carry it
    under ``"prefmark": {"chat_template": {"roles": {...}, "response": "..."}}``; plain string
    formats keep the runtime free of a template engine.
    """

    roles: Mapping[str, str] = field(default_factory=dict)
    response: str = "{content}"
    default_role: str = "{content}\n"

    @classmethod
    def from_config(cls, raw: object, *, source: str) -> ChatTemplate:
        """Parse and check the config entry; a malformed one is a contract error."""
        if not isinstance(raw, Mapping):
            raise ModelContractError(f"{source}: chat_template must be an object")
        roles = raw.get("roles", {})
        response = raw.get("response", "{content}")
        default_role = raw.get("default_role", "{content}\n")
        formats = [response, default_role, *roles.values()] if isinstance(roles, Mapping) else []
        if not isinstance(roles, Mapping) or not all(
            isinstance(f, str) and "{content}" in f for f in formats
        ):
            raise ModelContractError(
                f"{source}: chat_template needs string formats containing {{content}}"
            )
        return cls(roles=dict(roles), response=response, default_role=default_role)

    def render_prompt(self, prompt: Prompt) -> str:
        """All turns of the prompt, each in its role's format."""
        parts = []
        for message in as_messages(prompt):
            fmt = self.roles.get(message.get("role", "user"), self.default_role)
            parts.append(fmt.replace("{content}", message.get("content", "")))
        return "".join(parts)

    def render_response(self, response: str) -> str:
        """The scored response in the assistant format."""
        return self.response.replace("{content}", response)
