"""The built-in reward model: MiniLM pair embeddings + a preference head trained on the project.

The head is always trained from the project's own labels (``train_default_model``); no head
trained on another data set ships with the product, because such heads transfer badly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from models.encoder import MiniLMEncoder
from models.encoder_build import ensure_encoder
from models.errors import ModelContractError
from models.features import FEATURES_VERSION, LENGTH_FEATURES, embedding_size, pair_features
from models.head import PreferenceHead, fit_head
from models.head_onnx import head_to_onnx
from models.pair_encoding import PairEncoder, load_tokenizer
from models.protocol import RuntimeOptions, ScoreRequest, ScoreResult
from models.runtime import make_session
from models.text import render_plain

DEFAULT_MAX_LENGTH = 256


def load_default_encoder(
    options: RuntimeOptions | None = None,
    *,
    int8: bool = False,
    max_length: int = DEFAULT_MAX_LENGTH,
    weights_dir: Path | None = None,
) -> MiniLMEncoder:
    """The MiniLM encoder session; the first call builds and caches its ONNX graph (seconds).

    ``max_length`` 256 is what the encoder was trained with; longer inputs gain little and cost
    quadratic attention time.

    The int8 graph quantises activations with one scale per tensor, computed at run time over
    the whole batch, so a text's vector would depend on what else (and how much padding) is in
    its batch. It therefore runs one sequence at a time: the same text always gives the same
    vector, and on CPU this costs nothing measurable (``benchmarks/score_bench.py``). On CPU
    its ``intra_op_threads`` run that many sequences side by side, each on one thread, which
    is faster than splitting one short sequence across threads and gives the same vectors.
    """
    variant = "int8" if int8 else "fp32"
    options = options or RuntimeOptions()
    files = ensure_encoder(weights_dir, variant=variant, options=options)
    workers = 1
    session_options = options
    if int8 and options.providers[:1] == ["CPUExecutionProvider"]:
        workers = max(1, options.intra_op_threads or 1)
        session_options = replace(options, intra_op_threads=1)
    try:
        session = make_session(files.onnx_path, session_options)
    except ModelContractError:  # the cached graph was cut short or corrupted: build it anew
        files = ensure_encoder(weights_dir, variant=variant, options=options, rebuild=True)
        session = make_session(files.onnx_path, session_options)
    pair_encoder = PairEncoder(load_tokenizer(files.tokenizer_path), max_length)
    return MiniLMEncoder(
        session, pair_encoder, version=files.version, max_batch=1 if int8 else 32, workers=workers
    )


class DefaultRewardModel:
    """Implements ``RewardModel``: reward = ensemble mean, uncertainty = ensemble std."""

    def __init__(
        self,
        encoder: MiniLMEncoder,
        head: PreferenceHead,
        options: RuntimeOptions | None = None,
    ) -> None:
        expected = embedding_size(encoder) + len(LENGTH_FEATURES)
        if head.n_features != expected:
            raise ValueError(f"head expects {head.n_features} features, encoder gives {expected}")
        layout = head.meta.get("features", FEATURES_VERSION)
        if layout != FEATURES_VERSION:
            raise ValueError(f"head was trained on features {layout!r}, not {FEATURES_VERSION!r}")
        self.encoder = encoder
        self.head = head
        self._head_session = make_session(head_to_onnx(head).SerializeToString(), options)

    @property
    def version(self) -> str:
        """``<encoder version>+<head version>``: names both parts of every model label."""
        return f"{self.encoder.version}+{self.head.version}"

    def score_batch(self, requests: Sequence[ScoreRequest]) -> list[ScoreResult]:
        """Score all responses of all requests in one length-bucketed encoder pass."""
        prompts: list[str] = []
        responses: list[str] = []
        for request in requests:
            text = render_plain(request.prompt)
            prompts.extend([text] * len(request.responses))
            responses.extend(request.responses)
        if not responses:
            return [
                ScoreResult(np.zeros(0, np.float32), np.zeros(0, np.float32)) for _ in requests
            ]
        embeddings, lengths = pair_features(self.encoder, prompts, responses)
        features = np.hstack([embeddings, lengths]).astype(np.float32)
        reward, spread, members = self._head_session.run(None, {"features": features})
        results = []
        start = 0
        for request in requests:
            end = start + len(request.responses)
            results.append(
                ScoreResult(
                    rewards=reward[start:end].astype(np.float32),
                    uncertainty=spread[start:end].astype(np.float32),
                    member_rewards=members[start:end].T.astype(np.float32),
                )
            )
            start = end
        return results


def train_default_model(
    encoder: MiniLMEncoder,
    prompts: Sequence[str],
    chosen: Sequence[str],
    rejected: Sequence[str],
    *,
    targets: np.ndarray | None = None,
    n_heads: int = 8,
    l2: float | None = None,
    seed: int = 0,
    options: RuntimeOptions | None = None,
) -> DefaultRewardModel:
    """Embed the labelled pairs and fit the head: the whole retraining step from texts."""
    emb_c, feat_c = pair_features(encoder, prompts, chosen)
    emb_r, feat_r = pair_features(encoder, prompts, rejected)
    fitted = fit_head(
        emb_c, emb_r, feat_c, feat_r, n_heads=n_heads, l2=l2, seed=seed, targets=targets
    )
    meta = {**fitted.meta, "features": FEATURES_VERSION, "encoder": encoder.version}
    head = PreferenceHead(weights=fitted.weights, bias=fitted.bias, meta=meta)
    return DefaultRewardModel(encoder, head, options)
