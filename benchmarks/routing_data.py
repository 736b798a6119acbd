"""Load PandaLM and HH-RLHF harmless-base for the routing experiments, with cached embeddings.

Embeddings come from the default encoder (all-MiniLM-L6-v2 built as ONNX by ``models``) and are
cached under ``$PREFMARK_BENCH_CACHE`` (default /tmp/prefmark-route-cache) so reruns are fast.
"""

from __future__ import annotations

import os

# Small dense solves: one BLAS thread is fastest and keeps timings stable on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gzip
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RAW = (
    Path(
        os.environ.get(
            "PREFMARK_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
        )
    )
    / "raw"
)
CACHE = Path(os.environ.get("PREFMARK_BENCH_CACHE", "/tmp/prefmark-route-cache"))
JUDGE_CODES = {"1": 0, "2": 1}


@dataclass
class PairData:
    """n pairwise items; labels use 0 = A better, 1 = B better, -1 = tie / none."""

    name: str
    prompts: list[str]
    a: list[str]
    b: list[str]
    human: np.ndarray
    gold: np.ndarray
    judges: dict[str, np.ndarray]
    metadata: list[dict[str, object]]
    turns: np.ndarray


def _code(v: int) -> int:
    return {1: 0, 2: 1}.get(int(v), -1)


def load_pandalm(drop_ties: bool = True) -> PairData:
    """annotator1 is the human; the majority of the three annotators is gold."""
    base = RAW / "PandaLM" / "data"
    test = json.loads((base / "testset-v1.json").read_text())
    gpt = {r["idx"]: r for r in json.loads((base / "gpt-3.5-turbo-testset-v1.json").read_text())}
    panda = {r["idx"]: r for r in json.loads((base / "pandalm-7b-testset-v1.json").read_text())}
    rows = []
    for r in test:
        votes = Counter([r["annotator1"], r["annotator2"], r["annotator3"]]).most_common()
        gold = _code(votes[0][0]) if votes[0][1] >= 2 else -1
        if drop_ties and gold < 0:
            continue
        rows.append((r, gold))
    prompts = [f"{r['instruction']}\n\n{r['input']}".strip() for r, _ in rows]
    return PairData(
        name="pandalm",
        prompts=prompts,
        a=[str(r["response1"]) for r, _ in rows],
        b=[str(r["response2"]) for r, _ in rows],
        human=np.array([_code(r["annotator1"]) for r, _ in rows], dtype=np.int8),
        gold=np.array([g for _, g in rows], dtype=np.int8),
        judges={
            "gpt-3.5": np.array(
                [JUDGE_CODES.get(gpt[r["idx"]]["gpt_result"], -1) for r, _ in rows], dtype=np.int8
            ),
            "pandalm-7b": np.array(
                [_code(panda[r["idx"]]["pandalm_result"]) for r, _ in rows], dtype=np.int8
            ),
        },
        metadata=[
            {"motivation_app": r["motivation_app"], "cmp_key": r["cmp_key"]} for r, _ in rows
        ],
        turns=np.ones(len(rows), dtype=np.int64),
    )


def _split_transcript(text: str) -> tuple[str, str]:
    cut = text.rfind("\n\nAssistant:")
    return text[:cut], text[cut + len("\n\nAssistant:") :].strip()


def load_hh(seed: int = 0) -> PairData:
    """The crowdworker's choice is both the human and gold; A/B order is shuffled once."""
    path = RAW / "hh-rlhf" / "harmless-base" / "test.jsonl.gz"
    with gzip.open(path, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    flip = np.random.default_rng(seed).random(len(rows)) < 0.5
    prompts, a, b, labels, turns = [], [], [], [], []
    for r, f in zip(rows, flip, strict=True):
        prompt, chosen = _split_transcript(r["chosen"])
        _, rejected = _split_transcript(r["rejected"])
        prompts.append(prompt.strip())
        a.append(rejected if f else chosen)
        b.append(chosen if f else rejected)
        labels.append(1 if f else 0)
        turns.append(prompt.count("\n\nHuman:"))
    y = np.array(labels, dtype=np.int8)
    return PairData(
        "hh-harmless", prompts, a, b, y, y.copy(), {}, [{} for _ in rows], np.array(turns)
    )


def embeddings(data: PairData) -> dict[str, np.ndarray]:
    """Pair embeddings (prompt, response) for A and B, and response-only embeddings."""
    key = hashlib.sha256(json.dumps([data.prompts, data.a, data.b]).encode()).hexdigest()[:16]
    path = CACHE / f"{data.name}-{key}.npz"
    if path.is_file():
        return dict(np.load(path))
    from models.encoder import MiniLMEncoder
    from models.encoder_build import ensure_encoder
    from models.pair_encoding import PairEncoder, load_tokenizer
    from models.runtime import make_session

    files = ensure_encoder()
    enc = MiniLMEncoder(
        make_session(files.onnx_path),
        PairEncoder(load_tokenizer(files.tokenizer_path), 256),
        version=files.version,
    )
    out = {
        "pair_a": enc.embed_pairs(data.prompts, data.a),
        "pair_b": enc.embed_pairs(data.prompts, data.b),
        "resp_a": enc.embed_texts(data.a),
        "resp_b": enc.embed_texts(data.b),
        "tok_a": enc.count_tokens(data.a).astype(np.float32),
        "tok_b": enc.count_tokens(data.b).astype(np.float32),
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)  # type: ignore[arg-type]  # numpy's stub reads **kwds as allow_pickle
    return out


if __name__ == "__main__":
    import time

    for loader in (load_pandalm, load_hh):
        t = time.perf_counter()
        d = loader()
        e = embeddings(d)
        print(
            d.name,
            len(d.prompts),
            {k: v.shape for k, v in e.items()},
            f"{time.perf_counter() - t:.1f}s",
        )
