"""Fixtures for model tests: isolated data folder, tiny reward-model folders, default encoder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto
from tiny_bert import MAX_POS, TinyFolder, build_tiny_bert, make_tokenizer, make_weights

from models.paths import DATA_DIR_ENV


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Built graphs go to the test's own folder, never the user's data folder."""
    path = tmp_path / "prefmark-data"
    monkeypatch.setenv(DATA_DIR_ENV, str(path))
    return path


@pytest.fixture
def tiny_reward_folder(tmp_path: Path) -> TinyFolder:
    """Factory: a model folder (model.onnx, tokenizer.json, optional config.json) + its weights."""

    def make(
        name: str = "tiny-rm",
        *,
        config: dict[str, object] | None = None,
        type_vocab: int = 2,
        id_type: int = TensorProto.INT64,
        seed: int = 0,
    ) -> tuple[Path, dict[str, np.ndarray]]:
        folder = tmp_path / name
        folder.mkdir()
        tokenizer = make_tokenizer()
        tokenizer.save(str(folder / "tokenizer.json"))
        w = make_weights(seed, tokenizer.get_vocab_size(), type_vocab)
        model = build_tiny_bert(w, id_type=id_type, with_type_ids=True)
        onnx.save(model, str(folder / "model.onnx"))
        cfg = {
            "model_type": "bert",
            "max_position_embeddings": MAX_POS,
            "type_vocab_size": type_vocab,
        }
        cfg.update(config or {})
        (folder / "config.json").write_text(json.dumps(cfg))
        return folder, w

    return make


@pytest.fixture(scope="session")
def default_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder shared by the tests that need the built default encoder (built once)."""
    path = tmp_path_factory.mktemp("default-encoder-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_DIR_ENV, str(path))
        from models.encoder_build import ensure_encoder

        ensure_encoder(variant="fp32")
    return path
