"""Training time of the default model on HH-RLHF pairs: a first train, then a retrain after
new labels (only the new responses are embedded; the rest come from the project's cache).

Targets on 2 idle cores: 300 labelled pairs < 20 s, then 50 more labels < 5 s. Printed beside
the same two steps on the fp32 encoder with all cores but one (the previous defaults), measured
in this run on a fresh copy of the same project.

    python benchmarks/train_bench.py [--pairs 300] [--more 50]
"""

from __future__ import annotations

import argparse
import os
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
from model_quality import DEFAULT_DATA, load_hh


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
    print(summary)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
