"""Per-response features for the preference head.

Three parts, side by side:

- the embedding of the (prompt, response) pair: does the response fit this prompt;
- the embedding of the response alone: what kind of answer it is (helpful, a refusal, ...),
  without the prompt diluting it; cheap, since responses are short next to prompts;
- length features: length is the strongest single signal in human preference data, so the head
  gets it explicitly instead of hoping the embeddings carry it.

Both passes earn their cost: on PandaLM (5-fold, fp32, length features in every case) the pair
embedding alone gives 77.9%, the response-alone embedding alone 79.1%, both 82.6%; the
response-alone pass is the cheap one (about 55 tokens against 134 for the pair on average).
Earlier, on HH-RLHF harmless-base, it raised accuracy from 60.5% to 62.7%
(benchmarks/model_quality.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.encoder import MiniLMEncoder

LENGTH_FEATURES = ("log_chars", "log_tokens", "log_words", "log_lines")
# Names the feature layout; stored with heads and caches so layouts never get mixed.
FEATURES_VERSION = "pair+response+len4"


def length_features(responses: Sequence[str], token_counts: Sequence[int]) -> np.ndarray:
    """[n, 4] float32: log1p of characters, tokens, words and lines of each response."""
    rows = [
        (len(text), tokens, len(text.split()), text.count("\n") + 1)
        for text, tokens in zip(responses, token_counts, strict=True)
    ]
    return np.log1p(np.array(rows, dtype=np.float64).reshape(-1, len(LENGTH_FEATURES))).astype(
        np.float32
    )


def embedding_size(encoder: MiniLMEncoder) -> int:
    """Width of the embedding part of the features (pair + response alone)."""
    return 2 * encoder.dim


def pair_features(
    encoder: MiniLMEncoder, prompts: Sequence[str], responses: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings [n, 2*dim], length features [n, 4]); one tokenization, one bucketed pass.

    Each distinct (prompt, response) pair and each distinct response is encoded once, however
    often it repeats (the same answer to several prompts, a pair seen twice).
    """
    pairs = list(dict.fromkeys(zip(prompts, responses, strict=True)))
    texts = list(dict.fromkeys(responses))
    paired = encoder.pair_encoder.encode([p for p, _ in pairs], [r for _, r in pairs])
    alone = encoder.pair_encoder.encode_single(texts)
    embedded = encoder.embed_encoded([*paired, *alone])
    pair_row = {pair: i for i, pair in enumerate(pairs)}
    text_row = {text: len(pairs) + i for i, text in enumerate(texts)}
    rows = [pair_row[pair] for pair in zip(prompts, responses, strict=True)]
    embeddings = np.hstack([embedded[rows], embedded[[text_row[r] for r in responses]]])
    lengths = length_features(responses, [paired[i].response_tokens for i in rows])
    return embeddings, lengths
