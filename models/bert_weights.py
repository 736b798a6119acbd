"""The bundled MiniLM encoder weights: where they are, their shape and their content hash."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from models.errors import ModelContractError


@dataclass(frozen=True)
class BertConfig:
    """Dimensions of a BERT encoder (defaults: all-MiniLM-L6-v2)."""

    layers: int = 6
    hidden: int = 384
    heads: int = 12
    intermediate: int = 1536
    max_positions: int = 512
    layer_norm_eps: float = 1e-12

    @property
    def head_size(self) -> int:
        return self.hidden // self.heads


def default_weights_dir() -> Path:
    """``models/default`` inside the installed package."""
    return Path(str(resources.files("models") / "default"))


def load_bert_weights(path: Path, config: BertConfig = BertConfig()) -> dict[str, np.ndarray]:
    """All tensors as float32 (stored as fp16), after checking the names and shapes we use."""
    if not path.is_file():
        raise ModelContractError(f"{path}: encoder weights not found")
    try:
        raw = load_file(str(path))
    except Exception as exc:
        raise ModelContractError(f"{path}: not a safetensors file: {exc}") from exc
    weights = {k: v.astype(np.float32) for k, v in raw.items() if k != "embeddings.position_ids"}
    expected = {
        "embeddings.word_embeddings.weight": (None, config.hidden),
        "embeddings.position_embeddings.weight": (config.max_positions, config.hidden),
        "embeddings.token_type_embeddings.weight": (2, config.hidden),
    }
    for i in range(config.layers):
        p = f"encoder.layer.{i}."
        expected[p + "attention.self.query.weight"] = (config.hidden, config.hidden)
        expected[p + "intermediate.dense.weight"] = (config.intermediate, config.hidden)
        expected[p + "output.dense.weight"] = (config.hidden, config.intermediate)
    for name, shape in expected.items():
        if name not in weights:
            raise ModelContractError(f"{path}: tensor {name!r} missing")
        got = weights[name].shape
        if len(got) != len(shape) or any(
            s is not None and s != g for s, g in zip(shape, got, strict=True)
        ):
            raise ModelContractError(f"{path}: tensor {name!r} has shape {got}, expected {shape}")
    return weights
