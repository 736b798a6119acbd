"""Accuracy and calibration of the default reward model, by 5-fold cross-validation.

For PandaLM (human majority of three annotators, ties dropped) and HH-RLHF harmless-base
(chosen vs rejected final replies), a preference head is trained on four folds and tested on the
fifth. Printed per data set: pairwise accuracy and expected calibration error (ECE) of
sigmoid(r_a - r_b) for the default head (pair embedding + response embedding + length features)
with the fp32 and the int8 encoder, a head on the length features alone, and the plain "longer
response wins" rule: the model must be at least the best of those. ``--l2 auto`` is what the
product does (inner 5-fold CV chooses the embeddings' strength, or length alone). The l2 column
is the geometric mean over the folds that used the embeddings (nan: every fold chose length).

    python benchmarks/model_quality.py [--data DIR] [--threads N] [--l2 auto 0.01 ...]

Embeddings are cached in the system temp folder (keyed by encoder version), so reruns take
seconds. Data sets that are not present are skipped with a message.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.default_model import load_default_encoder
from models.encoder import MiniLMEncoder
from models.features import FEATURES_VERSION, LENGTH_FEATURES, pair_features
from models.head import fit_head
from models.protocol import RuntimeOptions

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"
CACHE_DIR = Path(tempfile.gettempdir()) / "prefmark-bench-cache"
ASSISTANT = "\n\nAssistant:"


@dataclass(frozen=True)
class PairSet:
    """Pairs (prompt, a, b) with label 1.0 when a is preferred, 0.0 when b is."""

    name: str
    prompts: list[str]
    a: list[str]
    b: list[str]
    labels: np.ndarray


def load_pandalm(path: Path) -> PairSet:
    """PandaLM test set: gold = majority of annotator1..3 (1 or 2); ties and splits dropped."""
    rows = json.loads(path.read_text())
    prompts, a, b, labels = [], [], [], []
    for row in rows:
        votes = Counter(str(row[f"annotator{i}"]) for i in (1, 2, 3))
        winner, count = votes.most_common(1)[0]
        if count < 2 or winner not in ("1", "2"):
            continue
        prompt = row["instruction"] + (f"\n\n{row['input']}" if row.get("input") else "")
        prompts.append(prompt)
        a.append(str(row["response1"]))
        b.append(str(row["response2"]))
        labels.append(1.0 if winner == "1" else 0.0)
    return PairSet("PandaLM", prompts, a, b, np.array(labels))


def split_transcript(text: str) -> tuple[str, str]:
    """HH transcript -> (conversation up to the last assistant turn, that turn's reply)."""
    cut = text.rfind(ASSISTANT)
    return text[:cut].strip(), text[cut + len(ASSISTANT) :].strip()


def load_hh(path: Path, seed: int = 0) -> PairSet:
    """HH-RLHF pairs with a shared prompt; sides are shuffled so 'a' is not always chosen."""
    rng = np.random.default_rng(seed)
    prompts, a, b, labels = [], [], [], []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            prompt_c, chosen = split_transcript(row["chosen"])
            prompt_r, rejected = split_transcript(row["rejected"])
            if prompt_c != prompt_r or chosen == rejected:
                continue
            flip = bool(rng.random() < 0.5)
            prompts.append(prompt_c)
            a.append(rejected if flip else chosen)
            b.append(chosen if flip else rejected)
            labels.append(0.0 if flip else 1.0)
    return PairSet("HH harmless-base", prompts, a, b, np.array(labels))


def cached_features(
    encoder: MiniLMEncoder, pairs: PairSet
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(emb_a, emb_b, len_a, len_b), computed once per data set and encoder version."""
    CACHE_DIR.mkdir(exist_ok=True)
    key = f"{pairs.name.replace(' ', '_')}-{len(pairs.labels)}-{encoder.version}"
    key += f"-{encoder.max_length}-b{encoder.max_batch}-{FEATURES_VERSION}.npz"
    path = CACHE_DIR / key
    if path.is_file():
        with np.load(path) as data:
            return data["emb_a"], data["emb_b"], data["len_a"], data["len_b"]
    start = time.perf_counter()
    emb_a, len_a = pair_features(encoder, pairs.prompts, pairs.a)
    emb_b, len_b = pair_features(encoder, pairs.prompts, pairs.b)
    n = 2 * len(pairs.labels)
    print(f"  embedded {n} responses in {time.perf_counter() - start:.0f}s ({encoder.version})")
    np.savez(path, emb_a=emb_a, emb_b=emb_b, len_a=len_a, len_b=len_b)
    return emb_a, emb_b, len_a, len_b


def expected_calibration_error(p_a: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """ECE over confidence max(p, 1-p) in equal-width bins on [0.5, 1]."""
    confidence = np.maximum(p_a, 1 - p_a)
    correct = (p_a > 0.5) == (labels > 0.5)
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for k in range(bins):
        in_bin = which == k
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


Features = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def cross_validate(
    features: Features,
    labels: np.ndarray,
    *,
    l2: float | None,
    n_heads: int,
    folds: int = 5,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """(accuracy, ECE, seconds per fit, mean l2) of sigmoid(r_a - r_b) on held-out folds."""
    emb_a, emb_b, len_a, len_b = features
    n = len(labels)
    order = np.random.default_rng(seed).permutation(n)
    p_a = np.empty(n)
    fit_seconds = []
    chosen_l2 = []
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        a_wins = labels[train] > 0.5
        pick = a_wins[:, None]
        start = time.perf_counter()
        head = fit_head(
            np.where(pick, emb_a[train], emb_b[train]),
            np.where(pick, emb_b[train], emb_a[train]),
            np.where(pick, len_a[train], len_b[train]),
            np.where(pick, len_b[train], len_a[train]),
            n_heads=n_heads,
            l2=l2,
            seed=seed + fold,
        )
        fit_seconds.append(time.perf_counter() - start)
        chosen_l2.append(float(head.meta["l2"] or "nan"))  # type: ignore[arg-type]
        r_a, _ = head.rewards(np.hstack([emb_a[test], len_a[test]]))
        r_b, _ = head.rewards(np.hstack([emb_b[test], len_b[test]]))
        p_a[test] = 1 / (1 + np.exp(-(r_a - r_b)))
    accuracy = float(np.mean((p_a > 0.5) == (labels > 0.5)))
    ece = expected_calibration_error(p_a, labels)
    used = [x for x in chosen_l2 if x == x]  # NaN: the fold chose the length-only model
    l2_mean = float(np.exp(np.mean(np.log(used)))) if used else float("nan")
    return accuracy, ece, float(np.mean(fit_seconds)), l2_mean


def report(label: str, result: tuple[float, float, float, float]) -> None:
    accuracy, ece, seconds, l2 = result
    print(
        f"  {label:<36} accuracy {accuracy:6.1%}   ECE {ece:.3f}   "
        f"fit {seconds:5.2f}s   l2 {l2:.3g}"
    )


def evaluate(
    pairs: PairSet,
    encoders: dict[str, MiniLMEncoder],
    l2_values: list[float | None],
    n_heads: int,
) -> None:
    labels = pairs.labels
    print(f"\n{pairs.name}: {len(labels)} pairs, 5-fold cross-validation, {n_heads} heads")
    empty = np.zeros((len(labels), 0), np.float32)
    for name, encoder in encoders.items():
        emb_a, emb_b, len_a, len_b = cached_features(encoder, pairs)
        for l2 in l2_values:
            result = cross_validate((emb_a, emb_b, len_a, len_b), labels, l2=l2, n_heads=n_heads)
            report(f"{name} embeddings+length, l2={l2 or 'auto'}", result)
    result = cross_validate((empty, empty, len_a, len_b), labels, l2=None, n_heads=n_heads)
    report(f"length features only ({len(LENGTH_FEATURES)})", result)
    longer_a = len_a[:, 0] > len_b[:, 0]
    decided = len_a[:, 0] != len_b[:, 0]
    rule = np.where(decided, longer_a == (labels > 0.5), 0.5)
    print(f"  {'longer response wins (rule)':<36} accuracy {rule.mean():6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    parser.add_argument("--l2", nargs="+", default=["auto"], help="'auto' or numbers")
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--no-int8", action="store_true")
    args = parser.parse_args()
    options = RuntimeOptions()
    if args.threads:
        options.intra_op_threads = args.threads
    encoders = {"fp32": load_default_encoder(options)}
    if not args.no_int8:
        encoders["int8"] = load_default_encoder(options, int8=True)
    loaders: list[tuple[Path, Callable[[Path], PairSet]]] = [
        (args.data / "PandaLM" / "data" / "testset-v1.json", load_pandalm),
        (args.data / "hh-rlhf" / "harmless-base" / "test.jsonl.gz", load_hh),
    ]
    for path, loader in loaders:
        if not path.is_file():
            print(f"\nskipped: {path} not found")
            continue
        l2_values = [None if v == "auto" else float(v) for v in args.l2]
        evaluate(loader(path), encoders, l2_values, args.heads)


if __name__ == "__main__":
    main()
