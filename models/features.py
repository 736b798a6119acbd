"""Per-response features for the preference head: the pair embedding plus length features.

Length is the strongest single signal in human preference data (longer answers usually win),
so it is given to the head explicitly instead of hoping the embedding carries it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.encoder import MiniLMEncoder

LENGTH_FEATURES = ("log_chars", "log_tokens", "log_words", "log_lines")


def length_features(responses: Sequence[str], token_counts: Sequence[int]) -> np.ndarray:
    """[n, 4] float32: log1p of characters, tokens, words and lines of each response."""
    rows = [
        (len(text), tokens, len(text.split()), text.count("\n") + 1)
        for text, tokens in zip(responses, token_counts, strict=True)
    ]
    return np.log1p(np.array(rows, dtype=np.float64).reshape(-1, len(LENGTH_FEATURES))).astype(
        np.float32
    )


def pair_features(
    encoder: MiniLMEncoder, prompts: Sequence[str], responses: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings [n, dim], length features [n, 4]) with one tokenization of each pair."""
    encoded = encoder.pair_encoder.encode(prompts, responses)
    embeddings = encoder.embed_encoded(encoded)
    lengths = length_features(responses, [e.response_tokens for e in encoded])
    return embeddings, lengths
