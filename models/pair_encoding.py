"""Tokenizing (prompt, response) pairs with a truncation policy fit for reward models.

A reward depends most on the response's opening and on the prompt's last turn, so when a pair is
too long the prompt loses tokens from its start and the response from its end.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

from models.errors import ModelContractError


@dataclass(frozen=True)
class EncodedPair:
    """Token ids of one joined pair and what truncation did to it."""

    ids: list[int]
    type_ids: list[int]
    response_tokens: int
    truncated: bool


def split_budget(
    n_prompt: int, n_response: int, budget: int, prompt_share: float = 0.5
) -> tuple[int, int]:
    """Tokens kept from the prompt and the response under ``budget``.

    Each side is guaranteed its share; a side that needs less gives the rest to the other.

    >>> split_budget(10, 10, 100)
    (10, 10)
    >>> split_budget(300, 20, 100)
    (80, 20)
    >>> split_budget(300, 300, 100)
    (50, 50)
    """
    if budget <= 0:
        return 0, 0
    if n_prompt + n_response <= budget:
        return n_prompt, n_response
    prompt_min = int(budget * prompt_share)
    if n_prompt <= prompt_min:
        return n_prompt, budget - n_prompt
    if n_response <= budget - prompt_min:
        return budget - n_response, n_response
    return prompt_min, budget - prompt_min


def _check_texts(texts: Sequence[object], what: str) -> None:
    """The tokenizer's own error for a non-string input does not say which one it was."""
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{what} {i} is {type(text).__name__}, not str")


def load_tokenizer(path: Path) -> Tokenizer:
    """A ``tokenizer.json`` with its own truncation and padding turned off (we do both)."""
    if not path.is_file():
        raise ModelContractError(f"{path}: file not found")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise ModelContractError(f"{path}: not a readable tokenizers file: {exc}") from exc
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


class PairEncoder:
    """Encodes (prompt text, response text) into one sequence of at most ``max_length`` tokens.

    ``as_pair=True`` uses the tokenizer's pair template (``[CLS] A [SEP] B [SEP]`` for BERT,
    segment ids 0/1); ``False`` joins both texts as one sequence (for chat-formatted input).
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        max_length: int,
        *,
        as_pair: bool = True,
        prompt_share: float = 0.5,
    ) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.as_pair = as_pair
        self.prompt_share = prompt_share
        self.budget = max_length - tokenizer.num_special_tokens_to_add(as_pair)
        if self.budget < 2:
            raise ModelContractError(f"max_length {max_length} leaves no room for text")

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """Token counts without special tokens or truncation (a length feature)."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return np.array([len(e.ids) for e in encodings], dtype=np.int64)

    def encode_single(self, texts: Sequence[str]) -> list[EncodedPair]:
        """Encode single texts, truncated at the end (the usual sentence-embedding input)."""
        _check_texts(texts, "text")
        budget = self.max_length - self.tokenizer.num_special_tokens_to_add(False)
        out = []
        for enc in self.tokenizer.encode_batch(list(texts), add_special_tokens=False):
            n = len(enc.ids)
            if n > budget:
                enc.truncate(budget, direction="right")
            joined = self.tokenizer.post_process(enc)
            out.append(EncodedPair(joined.ids, joined.type_ids, n, n > budget))
        return out

    def encode(self, prompts: Sequence[str], responses: Sequence[str]) -> list[EncodedPair]:
        """Encode pairs; each distinct prompt is tokenized once."""
        if len(prompts) != len(responses):
            raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
        _check_texts(prompts, "prompt")
        _check_texts(responses, "response")
        unique = list(dict.fromkeys(prompts))
        prompt_enc = dict(
            zip(unique, self.tokenizer.encode_batch(unique, add_special_tokens=False), strict=True)
        )
        response_enc = self.tokenizer.encode_batch(list(responses), add_special_tokens=False)
        return [self._join(prompt_enc[p], r) for p, r in zip(prompts, response_enc, strict=True)]

    def _join(self, prompt: Encoding, response: Encoding) -> EncodedPair:
        n_prompt, n_response = len(prompt.ids), len(response.ids)
        keep_p, keep_r = split_budget(n_prompt, n_response, self.budget, self.prompt_share)
        if keep_p < n_prompt:
            prompt = copy.deepcopy(prompt)  # the encoding is shared by every response of a prompt
            prompt.truncate(keep_p, direction="left")
        if keep_r < n_response:
            response = copy.deepcopy(response)
            response.truncate(keep_r, direction="right")
        if self.as_pair:
            joined = self.tokenizer.post_process(prompt, response)
        else:
            joined = self.tokenizer.post_process(Encoding.merge([prompt, response]))
        return EncodedPair(
            ids=joined.ids,
            type_ids=joined.type_ids,
            response_tokens=n_response,
            truncated=keep_p < n_prompt or keep_r < n_response,
        )
