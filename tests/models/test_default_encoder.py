"""The built-in MiniLM encoder: graph vs numpy reference, vs sentence-transformers, caching."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.batching import pad_batch
from models.bert_weights import default_weights_dir, load_bert_weights
from models.default_model import load_default_encoder
from models.encoder_build import ensure_encoder
from models.encoder_reference import encode_reference
from models.paths import DATA_DIR_ENV
from models.protocol import RuntimeOptions

OPTIONS = RuntimeOptions(intra_op_threads=1, providers=["CPUExecutionProvider"])
PAIRS = [
    (
        "How do I boil an egg?",
        "Put the egg in boiling water for about nine minutes, then cool it.",
    ),
    ("Translate 'good morning' into French.", "Bonjour."),
    ("Tell me a joke.", "Why did the scarecrow win an award? He was outstanding in his field."),
    ("Explain recursion. " * 30, "Recursion is when a function calls itself. " * 30),
]


@pytest.fixture
def built(default_encoder_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(DATA_DIR_ENV, str(default_encoder_dir))
    return default_encoder_dir


def test_encoder_graph_matches_numpy_reference_on_real_sentences(built: Path) -> None:
    # The float64 reference is slow on 256-token rows, so the long pair is cut to 64 tokens.
    encoder = load_default_encoder(OPTIONS, max_length=64)
    prompts, responses = zip(*PAIRS, strict=True)
    got = encoder.embed_pairs(prompts, responses)
    encoded = encoder.pair_encoder.encode(prompts, responses)
    assert max(len(e.ids) for e in encoded) == 64
    assert encoded[-1].truncated
    batch = pad_batch(
        np.arange(len(encoded)), [e.ids for e in encoded], [e.type_ids for e in encoded]
    )
    weights = load_bert_weights(default_weights_dir() / "model.safetensors")
    want = encode_reference(weights, batch.input_ids, batch.type_ids, batch.attention_mask)
    assert got.shape == (4, 384)
    assert got.dtype == np.float32
    assert np.abs(got - want).max() < 1e-4
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_embeddings_agree_with_sentence_transformers(built: Path) -> None:
    """Reference vectors were computed once with PyTorch from the original fp32 weights."""
    reference = json.loads((Path(__file__).parent / "data" / "st_reference.json").read_text())
    encoder = load_default_encoder(OPTIONS)
    got = encoder.embed_texts(reference["sentences"])
    want = np.array(reference["embeddings"], dtype=np.float32)
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    cosine = (got * want).sum(axis=1)
    assert cosine.min() > 0.99


def test_batching_does_not_change_an_embedding(built: Path) -> None:
    encoder = load_default_encoder(OPTIONS)
    prompts, responses = zip(*PAIRS, strict=True)
    together = encoder.embed_pairs(prompts, responses)
    alone = np.vstack([encoder.embed_pairs([p], [r]) for p, r in PAIRS])
    assert np.abs(together - alone).max() < 1e-5


def test_int8_vector_of_a_text_does_not_depend_on_its_batch(built: Path) -> None:
    """Activation scales are computed per run, so int8 runs one sequence at a time."""
    int8 = load_default_encoder(OPTIONS, int8=True)
    prompts, responses = zip(*PAIRS, strict=True)
    together = int8.embed_pairs(prompts, responses)
    alone = np.vstack([int8.embed_pairs([p], [r]) for p, r in PAIRS])
    np.testing.assert_array_equal(together, alone)
    texts = [r for _, r in PAIRS]
    np.testing.assert_array_equal(int8.embed_texts(texts)[1:], int8.embed_texts(texts[1:]))


def test_repeated_texts_are_encoded_once_and_get_the_same_features(built: Path) -> None:
    from models.features import pair_features

    encoder = load_default_encoder(OPTIONS, int8=True)
    seen: list[int] = []
    run = encoder.session.run

    def counting_run(names, feeds):  # type: ignore[no-untyped-def]
        seen.append(len(feeds["input_ids"]))
        return run(names, feeds)

    encoder.session.run = counting_run  # type: ignore[method-assign]
    prompt, (first, second) = "Name a colour.", ("Blue.", "Green is a colour.")
    embeddings, lengths = pair_features(encoder, [prompt] * 3, [first, second, first])
    assert sum(seen) == 4  # two distinct pairs + two distinct responses, not 3 + 3
    np.testing.assert_array_equal(embeddings[0], embeddings[2])
    np.testing.assert_array_equal(lengths[0], lengths[2])
    assert not np.array_equal(embeddings[0], embeddings[1])


def test_built_graph_is_cached_under_a_versioned_name(built: Path) -> None:
    first = ensure_encoder(options=OPTIONS)
    mtime = first.onnx_path.stat().st_mtime_ns
    again = ensure_encoder(options=OPTIONS)
    assert again == first
    assert again.onnx_path.stat().st_mtime_ns == mtime
    assert first.onnx_path.parent == built / "models"
    assert first.version.startswith("minilm-l6-fp32-")
    assert first.onnx_path.stem == first.version
    assert load_default_encoder(OPTIONS).version == first.version


def test_a_corrupted_cached_graph_is_rebuilt(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = ensure_encoder(options=OPTIONS).onnx_path
    copy = tmp_path / "data"
    (copy / "models").mkdir(parents=True)
    (copy / "models" / cached.name).write_bytes(cached.read_bytes()[:5000])  # cut short
    monkeypatch.setenv(DATA_DIR_ENV, str(copy))
    encoder = load_default_encoder(OPTIONS)
    assert encoder.version == cached.stem
    assert (copy / "models" / cached.name).stat().st_size == cached.stat().st_size
    (vector,) = encoder.embed_texts(["hello"])
    assert np.isfinite(vector).all()


def test_int8_encoder_stays_close_to_fp32(built: Path) -> None:
    fp32 = load_default_encoder(OPTIONS)
    int8 = load_default_encoder(OPTIONS, int8=True)
    assert int8.version.startswith("minilm-l6-int8-")
    assert int8.version != fp32.version
    prompts, responses = zip(*PAIRS, strict=True)
    cosine = (fp32.embed_pairs(prompts, responses) * int8.embed_pairs(prompts, responses)).sum(1)
    assert cosine.min() > 0.95


def test_a_missing_graph_is_announced_before_it_is_built(built: Path, tmp_path: Path) -> None:
    from labeler.workflows.models import encoder_note
    from models.encoder_build import is_built

    assert is_built(variant="fp32")
    assert encoder_note(int8=False) is None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_DIR_ENV, str(tmp_path / "fresh"))
        assert not is_built(variant="int8")
        note = encoder_note(int8=True)
        assert note is not None
        assert str(tmp_path / "fresh" / "models") in note


def test_a_shipped_prebuilt_graph_is_used_without_building(built: Path, tmp_path: Path) -> None:
    """A packaged product carries its graphs beside the weights: nothing is built or cached."""
    import shutil

    from models.encoder_build import encoder_version_of, is_built, prebuilt_dir

    weights = tmp_path / "weights"
    weights.mkdir()
    for name in ("model.safetensors", "tokenizer.json"):
        shutil.copy(default_weights_dir() / name, weights / name)
    graph = ensure_encoder(options=OPTIONS).onnx_path  # stands in for a packaged graph
    prebuilt_dir(weights).mkdir()
    shutil.copy(graph, prebuilt_dir(weights) / graph.name)
    with pytest.MonkeyPatch.context() as mp:
        fresh = tmp_path / "fresh"
        mp.setenv(DATA_DIR_ENV, str(fresh))
        assert is_built(weights, variant="fp32")
        files = ensure_encoder(weights, options=OPTIONS)
        assert files.onnx_path == prebuilt_dir(weights) / graph.name
        assert files.version == encoder_version_of(weights) == graph.stem
        assert not list((fresh / "models").glob("*.onnx"))
        encoder = load_default_encoder(OPTIONS, weights_dir=weights)
        (vector,) = encoder.embed_texts(["hello"])
        assert np.isfinite(vector).all()


def test_prepare_builds_the_default_encoder_once(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from click.testing import CliRunner

    from labeler.cli import main

    fp32 = ensure_encoder(options=OPTIONS).onnx_path  # the int8 graph is built from it
    (tmp_path / "data" / "models").mkdir(parents=True)
    shutil.copy(fp32, tmp_path / "data" / "models" / fp32.name)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    first = CliRunner().invoke(main, ["prepare"])
    assert first.exit_code == 0, first.output
    assert "default model encoder (int8): built in" in first.output
    again = CliRunner().invoke(main, ["prepare"])
    assert "default model encoder (int8): already built" in again.output


def test_prepare_prints_no_warning_while_it_quantises(built: Path, tmp_path: Path) -> None:
    """The command's whole output, as a terminal shows it: its one line per graph, no log
    warning from the quantiser."""
    import os
    import shutil
    import subprocess
    import sys

    fp32 = ensure_encoder(options=OPTIONS).onnx_path  # the int8 graph is built from it
    (tmp_path / "data" / "models").mkdir(parents=True)
    shutil.copy(fp32, tmp_path / "data" / "models" / fp32.name)
    env = {**os.environ, DATA_DIR_ENV: str(tmp_path / "data")}
    run = subprocess.run(
        [sys.executable, "-m", "labeler.cli", "prepare"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "default model encoder (int8): built in" in run.stdout
    output = run.stdout + run.stderr
    assert "WARNING" not in output
    assert "pre-processing" not in output
