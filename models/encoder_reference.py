"""A plain numpy forward pass of the BERT encoder with mean pooling and L2 normalisation.

It is the yardstick the built ONNX graph is checked against: short, unfused and written straight
from the BERT definition, so a wrong fusion or a misread contrib-op convention shows up as a
numeric difference.
"""

from __future__ import annotations

import numpy as np

from models.bert_weights import BertConfig


def erf(x: np.ndarray) -> np.ndarray:
    """Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7); numpy has none."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-a * a))


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU."""
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def encode_reference(
    weights: dict[str, np.ndarray],
    input_ids: np.ndarray,
    type_ids: np.ndarray,
    attention_mask: np.ndarray,
    config: BertConfig = BertConfig(),  # noqa: B008
) -> np.ndarray:
    """Sentence embeddings [batch, hidden] (float64 arithmetic, returned as float32)."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    batch, seq = input_ids.shape
    mask = attention_mask.astype(np.float64)
    x = (
        w["embeddings.word_embeddings.weight"][input_ids]
        + w["embeddings.position_embeddings.weight"][np.arange(seq)][None]
        + w["embeddings.token_type_embeddings.weight"][type_ids]
    )
    eps = config.layer_norm_eps
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    additive = (1.0 - mask)[:, None, None, :] * -1e9
    for i in range(config.layers):
        p = f"encoder.layer.{i}."

        def proj(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def heads(h: np.ndarray) -> np.ndarray:
            return h.reshape(batch, seq, config.heads, config.head_size).transpose(0, 2, 1, 3)

        q = heads(proj(x, "attention.self.query"))
        k = heads(proj(x, "attention.self.key"))
        v = heads(proj(x, "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(config.head_size) + additive
        context = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(batch, seq, config.hidden)
        x = layer_norm(
            proj(context, "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        hidden = gelu(proj(x, "intermediate.dense"))
        x = layer_norm(
            proj(hidden, "output.dense") + x,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
            eps,
        )
    pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    norm = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norm).astype(np.float32)
