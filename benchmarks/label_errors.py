"""The label-error finder on PandaLM: does its top 5% hold far more real disagreements?

PandaLM's test set has three human labels per item and two AI judges (GPT-3.5, PandaLM-7B).
Every human label is scored by ``labeler.label_errors`` from the judges and an out-of-fold
model (a logistic head on MiniLM pair embeddings plus length features, 5 folds, trained on
the human labels of the other folds' items). The finder never sees the other annotators'
labels of the item it judges. A label counts as a likely error when the other two
annotators agree with each other and not with it. The script prints that base rate over all
labels, the rate in the finder's top 5%, and their ratio (the goal: at least 2x), plus the
estimated share of label errors with its interval.

Usage: python benchmarks/label_errors.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_data import RAW, embeddings, load_pandalm

from labeler.dawid_skene import fit
from labeler.label_errors import LabelErrors, find_label_errors, out_of_fold
from labeler.team_agreement import MISSING

TOP = 0.05
CATEGORY = {1: 0, 0: 1, 2: 2}  # PandaLM's 1 / tie / 2 as A < tie < B
JUDGE = {"1": 0, "Tie": 1, "2": 2, 0: 1, 1: 0, 2: 2}


def load() -> tuple[np.ndarray, np.ndarray]:
    """(items, 3) human categories and (items, 2) judge categories, in file order."""
    base = RAW / "PandaLM" / "data"
    test = json.loads((base / "testset-v1.json").read_text())
    gpt = json.loads((base / "gpt-3.5-turbo-testset-v1.json").read_text())
    panda = json.loads((base / "pandalm-7b-testset-v1.json").read_text())
    people = np.array([[CATEGORY[r[f"annotator{k}"]] for k in (1, 2, 3)] for r in test])
    judges = np.array(
        [
            [JUDGE.get(g["gpt_result"], MISSING), JUDGE.get(p["pandalm_result"], MISSING)]
            for g, p in zip(gpt, panda, strict=True)
        ]
    )
    return people, judges


def model_features() -> np.ndarray:
    """f(B) - f(A) pair embeddings plus length features (as the project's model uses)."""
    data = load_pandalm(drop_ties=False)
    emb = embeddings(data)
    diff = emb["pair_b"] - emb["pair_a"]
    lt = np.log1p(emb["tok_b"]) - np.log1p(emb["tok_a"])
    return np.column_stack([diff, lt, np.sign(lt)])


def outvoted(people: np.ndarray) -> np.ndarray:
    """Per label (row-major over items x annotators): the other two agree, and not with it."""
    out = np.zeros(people.shape, dtype=bool)
    for a in range(3):
        o1, o2 = (b for b in range(3) if b != a)
        out[:, a] = (people[:, o1] == people[:, o2]) & (people[:, a] != people[:, o1])
    return out.reshape(-1)


def report(name: str, people: np.ndarray, found: LabelErrors, seconds: float) -> None:
    wrong = outvoted(people)[found.item * 3 + found.annotator]
    top = found.ranking()[: max(1, round(TOP * found.n_labels))]
    base, top_rate = float(wrong.mean()), float(wrong[top].mean())
    print(f"{name}:")
    print(f"  base rate of labels outvoted by the other two annotators: {base:.1%}")
    print(f"  rate in the finder's top {TOP:.0%} ({len(top)} labels):   {top_rate:.1%}")
    print(f"  ratio: {top_rate / base:.2f}x (goal: at least 2x)")
    print(
        f"  confidently disputed: {int(found.disputed.sum())} labels; estimated label errors "
        f"{found.share:.1%} (95% interval {found.low:.1%}-{found.high:.1%}); {seconds:.1f}s"
    )


def main() -> None:
    people, judges = load()
    print(f"PandaLM: {people.shape[0]} items, {people.size} human labels, 2 AI judges")
    everyone = np.column_stack([people, judges])
    items, workers = np.nonzero(everyone != MISSING)
    names = ("ann1", "ann2", "ann3", "gpt-3.5", "pandalm-7b")
    answers = everyone[items, workers]
    _ds, truth = fit(items, workers, answers, annotators=names, n_items=len(people), n_classes=3)
    t = time.perf_counter()
    report("AI judges only", people, find_label_errors(people, judges, None, truth),
           time.perf_counter() - t)  # fmt: skip
    x = model_features()
    t = time.perf_counter()
    # The model learns the people's majority of other folds' items (as in a project, where
    # it learns the label that counts); a fold never sees its own items' labels.
    a_votes, b_votes = (people == 0).sum(axis=1), (people == 2).sum(axis=1)
    model_p = out_of_fold(x, np.where(b_votes > a_votes, 1, np.where(a_votes > b_votes, 0, -1)))
    found = find_label_errors(people, judges, model_p, truth)
    report("AI judges + out-of-fold model", people, found, time.perf_counter() - t)


if __name__ == "__main__":
    main()
