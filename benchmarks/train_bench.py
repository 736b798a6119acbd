"""Training time of the default model on HH-RLHF pairs: a first train, then a retrain after
new labels (only the new responses are embedded; the rest come from the project's cache).

Targets on 2 idle cores: 300 labelled pairs < 20 s, then 50 more labels < 5 s. Printed beside
the same two steps on the fp32 encoder with all cores but one (the previous defaults), and
with ``--baseline REV`` beside the code of that git revision with its own defaults (its
``train_bench.run`` in a subprocess), all measured in this run on fresh copies of the same
project.

    python benchmarks/train_bench.py [--pairs 300] [--more 50] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labeler.store import add_items, open_db, record_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from labeler.workflows.base import drive
from labeler.workflows.model_runs import train
from models.protocol import default_intra_op_threads

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_bench import checkout
from model_quality import DEFAULT_DATA, load_hh

# Runs in the baseline's own tree: its ``run`` on the same pairs, printed as JSON.
RUN_THERE = """
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, "benchmarks")
from train_bench import run, load_hh
from labeler.types import Item, PairChoice, Response
data, first, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
pairs = load_hh(data / "hh-rlhf" / "harmless-base" / "test.jsonl.gz")
rows = list(zip(pairs.prompts, pairs.a, pairs.b))[:n]
items = [Item(p, (Response(a), Response(b))) for p, a, b in rows]
choices = [PairChoice.A if y > 0.5 else PairChoice.B for y in pairs.labels[:n]]
with tempfile.TemporaryDirectory() as tmp:
    print(json.dumps(run(Path(tmp), items, choices, first)))
"""


def run_at(rev: str, data: Path, first: int, n: int) -> tuple[float, float, str]:
    """``run`` with the code of git revision ``rev``, in a fresh process."""
    import tempfile as tf

    with tf.TemporaryDirectory() as tmp:
        tree = checkout(rev, Path(tmp) / "rev")
        proc = subprocess.run(
            [sys.executable, "-c", RUN_THERE, str(data), str(first), str(n)],
            cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    t_first, t_more, summary = json.loads(proc.stdout.splitlines()[-1])
    return float(t_first), float(t_more), str(summary)


def label(db: object, items: list[Item], choices: list[PairChoice]) -> None:
    for item, choice in zip(items, choices, strict=True):
        record_label(db, Label(item.id, PairwiseValue(choice), Source.HUMAN, "ann"))  # type: ignore[arg-type]


def run(
    folder: Path, items: list[Item], choices: list[PairChoice], first: int, **kw: object
) -> tuple[float, float, str]:
    """(seconds of the first train, seconds of the retrain after the rest, the last report)."""
    db = open_db(folder / "bench.db")
    add_items(db, items)
    label(db, items[:first], choices[:first])
    start = time.perf_counter()
    drive(train(db, **kw))  # type: ignore[arg-type]
    t_first = time.perf_counter() - start
    label(db, items[first:], choices[first:])
    start = time.perf_counter()
    report = drive(train(db, **kw))  # type: ignore[arg-type]
    t_more = time.perf_counter() - start
    db.close()
    return t_first, t_more, report.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--more", type=int, default=50)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--baseline", default=None, help="git revision to compare with too")
    args = parser.parse_args()
    pairs = load_hh(args.data / "hh-rlhf" / "harmless-base" / "test.jsonl.gz")
    n = args.pairs + args.more
    items = [
        Item(p, (Response(a), Response(b)))
        for p, a, b in list(zip(pairs.prompts, pairs.a, pairs.b, strict=True))[:n]
    ]
    choices = [PairChoice.A if y > 0.5 else PairChoice.B for y in pairs.labels[:n]]
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    previous = {"int8": False, "threads": default_intra_op_threads(keep_one_free=True)}
    results = {}
    for name, kw in (("previous defaults", previous), ("shipped", {})):
        with tempfile.TemporaryDirectory() as tmp:
            results[name] = run(Path(tmp), items, choices, args.pairs, **kw)
        t_first, t_more, summary = results[name]
        print(
            f"{name:<18} {args.pairs} pairs {t_first:6.1f} s   +{args.more} labels {t_more:5.1f} s"
        )
    (a, b, _), (c, d, summary) = results["previous defaults"], results["shipped"]
    print(f"ratio: first train x{a / c:.2f} (target < 20 s), retrain x{b / d:.2f} (target < 5 s)")
    if args.baseline:
        e, f, _ = run_at(args.baseline, args.data, args.pairs, n)
        print(
            f"{args.baseline:<18} {args.pairs} pairs {e:6.1f} s   +{args.more} labels {f:5.1f} s"
            f"   ratio: first train x{e / c:.2f}, retrain x{f / d:.2f}"
        )
    print(summary)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
