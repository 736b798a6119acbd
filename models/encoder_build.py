"""Build the encoder's ONNX graph at first use, check it, and cache it per weights + builder.

The bundled weights are fp16 safetensors; the graph is built in fp32 once per machine and kept in
the user's data folder under a name derived from the weights' sha256, the builder version and the
variant (``fp32`` or ``int8``), so a changed file or builder never reuses a stale graph. A graph is
only cached after it agrees with the numpy reference (fp32) or with the fp32 graph (int8).
``prefmark prepare`` does this at install time; a packaged product ships the int8 graphs
already built (``build_prebuilt``), so nothing is built on the user's machine.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.batching import pad_batch
from models.bert_weights import default_weights_dir, load_bert_weights
from models.encoder_graph import BUILDER_VERSION, build_encoder_graph
from models.encoder_reference import encode_reference
from models.errors import ModelContractError
from models.hashing import file_sha256
from models.pair_encoding import PairEncoder, load_tokenizer
from models.paths import model_cache_dir
from models.protocol import RuntimeOptions
from models.quantize import QUANTIZER_VERSION, needs_reduce_range, quantize_encoder
from models.runtime import make_session

VARIANTS = ("fp32", "int8")
PREBUILT = "prebuilt"
# Largest |onnx - numpy| allowed on unit-norm embeddings; fused kernels differ from the plain
# formulas only by float32 rounding (~1e-6), so this still catches any real mistake.
FP32_TOLERANCE = 1e-4
# Smallest cosine between int8 and fp32 embeddings accepted on the check pairs.
INT8_MIN_COSINE = 0.95

CHECK_PAIRS = (
    ("What is the capital of France?", "Paris is the capital and largest city of France."),
    (
        "Write a haiku about autumn.",
        "Crimson leaves falling / whispers of the cooling wind / the year exhales slow",
    ),
    ("", "An empty prompt still has a response."),
    ("Summarise the text. " * 40, "The text repeats one instruction many times. " * 40),
)


@dataclass(frozen=True)
class EncoderFiles:
    """Where a built encoder graph is and the version string that names it."""

    onnx_path: Path
    tokenizer_path: Path
    version: str
    variant: str


def encoder_version(weights_sha256: str, variant: str, reduce_range: bool | None = None) -> str:
    """``minilm-l6-<variant>-<sha12>``; the hash covers weights, builder and quantizer."""
    quantizer = ""
    if variant == "int8":  # the machine-dependent weight width is part of the graph's identity
        seven = needs_reduce_range() if reduce_range is None else reduce_range
        quantizer = f"{QUANTIZER_VERSION}:{'7bit' if seven else '8bit'}"
    key = f"{weights_sha256}:{BUILDER_VERSION}:{quantizer}"
    return f"minilm-l6-{variant}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def encoder_version_of(weights_dir: Path | None = None, *, variant: str = "fp32") -> str:
    """The version ``ensure_encoder`` gives the graph, without building or loading it."""
    weights_path = (weights_dir or default_weights_dir()) / "model.safetensors"
    if not weights_path.is_file():
        raise ModelContractError(f"{weights_path}: encoder weights not found")
    return encoder_version(file_sha256(weights_path), variant)


def prebuilt_dir(weights_dir: Path | None = None) -> Path:
    """Graphs built when the product was packaged, beside the weights (read-only): a desktop
    bundle carries them, so its first model job builds nothing."""
    return (weights_dir or default_weights_dir()) / PREBUILT


def _found(weights_dir: Path, version: str) -> Path | None:
    for folder in (model_cache_dir(), prebuilt_dir(weights_dir)):  # a rebuild wins
        if (folder / f"{version}.onnx").is_file():
            return folder / f"{version}.onnx"
    return None


def is_built(weights_dir: Path | None = None, *, variant: str = "fp32") -> bool:
    """Whether ``ensure_encoder`` will find the graph built (else it builds it first)."""
    version = encoder_version_of(weights_dir, variant=variant)
    return _found(weights_dir or default_weights_dir(), version) is not None


def build_prebuilt(dest: Path, weights_dir: Path | None = None) -> list[Path]:
    """Build the int8 graph for both weight widths (7-bit for x86 without VNNI, 8-bit
    elsewhere) into ``dest``, named by their versions: what a packaged product ships in
    ``prebuilt_dir``, whichever CPU it then runs on."""
    weights_dir = weights_dir or default_weights_dir()
    fp32 = ensure_encoder(weights_dir, variant="fp32")
    sha = file_sha256(weights_dir / "model.safetensors")
    encoder = PairEncoder(load_tokenizer(fp32.tokenizer_path), 96)
    dest.mkdir(parents=True, exist_ok=True)
    built = []
    for seven in (True, False):
        target = dest / f"{encoder_version(sha, 'int8', seven)}.onnx"
        _build_int8(fp32.onnx_path, encoder, target, None, reduce_range=seven)
        built.append(target)
    return built


def ensure_encoder(
    weights_dir: Path | None = None,
    *,
    variant: str = "fp32",
    options: RuntimeOptions | None = None,
    rebuild: bool = False,
) -> EncoderFiles:
    """The graph for ``variant``, cached or shipped prebuilt, building (and checking) it on
    first use, or again with ``rebuild`` (a cached graph that onnxruntime cannot load is
    replaced atomically)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    weights_dir = weights_dir or default_weights_dir()
    weights_path = weights_dir / "model.safetensors"
    tokenizer_path = weights_dir / "tokenizer.json"
    if not weights_path.is_file():
        raise ModelContractError(f"{weights_path}: encoder weights not found")
    version = encoder_version_of(weights_dir, variant=variant)
    found = None if rebuild else _found(weights_dir, version)
    if found is not None:
        return EncoderFiles(found, tokenizer_path, version, variant)
    target = model_cache_dir() / f"{version}.onnx"
    fp32 = (
        ensure_encoder(weights_dir, variant="fp32", options=options) if variant == "int8" else None
    )
    # Short check sequences (one truncated) keep the float64 reference pass to about a second.
    encoder = PairEncoder(load_tokenizer(tokenizer_path), 96)
    if fp32 is None:
        _build_fp32(weights_path, encoder, target, options)
    else:
        _build_int8(fp32.onnx_path, encoder, target, options)
    return EncoderFiles(target, tokenizer_path, version, variant)


def _check_batch(encoder: PairEncoder) -> dict[str, np.ndarray]:
    encoded = encoder.encode([p for p, _ in CHECK_PAIRS], [r for _, r in CHECK_PAIRS])
    batch = pad_batch(
        np.arange(len(encoded)),
        [e.ids for e in encoded],
        [e.type_ids for e in encoded],
        dtype=np.int32,
    )
    return {
        "input_ids": batch.input_ids,
        "token_type_ids": batch.type_ids,
        "attention_mask": batch.attention_mask,
    }


def _build_fp32(
    weights_path: Path, encoder: PairEncoder, target: Path, options: RuntimeOptions | None
) -> None:
    weights = load_bert_weights(weights_path)
    model_bytes = build_encoder_graph(
        weights, doc=f"built from {weights_path.name}"
    ).SerializeToString()
    feeds = _check_batch(encoder)
    got = make_session(model_bytes, options).run(None, feeds)[0]
    want = encode_reference(
        weights, feeds["input_ids"], feeds["token_type_ids"], feeds["attention_mask"]
    )
    diff = float(np.abs(got - want).max())
    if not diff <= FP32_TOLERANCE:
        raise ModelContractError(
            f"built encoder graph disagrees with the numpy reference (max |diff| {diff:.2e})"
        )
    _write_atomically(target, model_bytes)


def _build_int8(
    fp32_path: Path,
    encoder: PairEncoder,
    target: Path,
    options: RuntimeOptions | None,
    reduce_range: bool | None = None,
) -> None:
    model_bytes = quantize_encoder(fp32_path, reduce_range=reduce_range)
    feeds = _check_batch(encoder)
    want = make_session(fp32_path, options).run(None, feeds)[0]
    got = make_session(model_bytes, options).run(None, feeds)[0]
    cosine = float((got * want).sum(axis=1).min())
    if not cosine >= INT8_MIN_COSINE:
        raise ModelContractError(f"int8 encoder drifted from fp32 (min cosine {cosine:.3f})")
    _write_atomically(target, model_bytes)


def _write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file and rename, so a crash never leaves a half-written graph."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
