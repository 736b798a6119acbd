"""Export N labelled pairwise items to TRL preference (DPO) JSONL; compare with `datasets`.

Builds a project with the store's bulk functions, then runs, each in a fresh process (so
peak memory is the export's own):

1. ``export_project`` (streaming from SQLite, provenance columns, train/test split);
2. the baseline: the same records already in memory, written by ``datasets``
   (``Dataset.from_list`` + ``to_json``), timed with and without building the table.

Prints records/s, the ratios, and peak memory (max RSS; ``--tracemalloc`` adds the Python
heap peak of the export, at some cost in speed).

    python benchmarks/export_bench.py --items 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def build_project(path: Path, n: int, seed: int = 0) -> float:
    """A project with ``n`` two-response items, each with one human pairwise label."""
    from labeler.db import open_db, transaction
    from labeler.store import insert_items, insert_labels
    from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source

    rng = random.Random(seed)
    started = time.perf_counter()
    db = open_db(path)
    db.conn.execute("PRAGMA synchronous=OFF")  # a throwaway file: no need to be crash-safe
    words = [
        "the",
        "a",
        "model",
        "answer",
        "explains",
        "why",
        "how",
        "data",
        "set",
        "label",
        "prompt",
        "response",
        "good",
    ]
    with transaction(db.conn):
        for start in range(0, n, 20_000):
            items = []
            for i in range(start, min(n, start + 20_000)):
                topic = " ".join(rng.choices(words, k=8))
                items.append(
                    Item(
                        prompt=f"Question {i}: {topic}?",
                        responses=(
                            Response(f"Answer {i}: " + " ".join(rng.choices(words, k=40))),
                            Response(f"Reply {i}: " + " ".join(rng.choices(words, k=30))),
                        ),
                    )
                )
            insert_items(db.conn, items, "bench")
            insert_labels(
                db.conn,
                (
                    Label(
                        it.id,
                        PairwiseValue(
                            rng.choice((PairChoice.A, PairChoice.B)), rng.choice((1, 2))
                        ),
                        Source.HUMAN,
                        rng.choice(("ann1", "ann2", "ann3")),
                    )
                    for it in items
                ),
            )
    db.conn.close()
    return time.perf_counter() - started


def _items_in(path: Path) -> int | None:
    """How many items an earlier run's project in ``--workdir`` holds (None: no project)."""
    if not path.exists():
        return None
    from labeler.db import open_db
    from labeler.store import count_items

    db = open_db(path)
    try:
        return count_items(db)
    finally:
        db.conn.close()


def _max_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    rss = resource.getrusage(who).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def phase_export(db_path: Path, out: Path, trace: bool, workers: int | None) -> dict[str, float]:
    import tracemalloc

    from labeler.db import open_db
    from labeler.exporters import ExportOptions, export_project

    db = open_db(db_path)
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    report = export_project(db, out, ExportOptions(target="trl-preference", workers=workers))
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
    result = {
        "records": report.records,
        "seconds": seconds,
        "cpu": cpu,
        "max_rss_mb": _max_rss_mb(),
        "child_rss_mb": _max_rss_mb(resource.RUSAGE_CHILDREN),
    }
    if trace:
        result["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return result


def phase_baseline(jsonl: Path, work: Path, repeat: int) -> dict[str, float]:
    os.environ.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
    os.environ["HF_DATASETS_CACHE"] = str(work / "hf-cache")
    import datasets

    datasets.disable_progress_bars()
    with jsonl.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    started, cpu0 = time.perf_counter(), time.process_time()
    table = datasets.Dataset.from_list(records)
    build_wall, build_cpu = time.perf_counter() - started, time.process_time() - cpu0
    del records
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        (work / "baseline.jsonl").unlink(missing_ok=True)
        os.sync()  # start from a clean page cache, as the export does
        wall, cpu = time.perf_counter(), time.process_time()
        table.to_json(work / "baseline.jsonl")
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return {
        "records": len(table),
        "seconds_total": build_wall + best_wall,
        "seconds_to_json": best_wall,
        "cpu_total": build_cpu + best_cpu,
        "cpu_to_json": best_cpu,
        "max_rss_mb": _max_rss_mb(),
    }


def _child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(HERE), *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep files here, and reuse a project of the same size from an earlier run "
        "(default: a temp dir)",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the heap peak")
    parser.add_argument(
        "--workers", type=int, help="export processes (default: automatic, as the CLI chooses)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each writer; the best one counts"
    )
    parser.add_argument("--phase", choices=["export", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "export":
        print(json.dumps(phase_export(args.db, args.out, args.tracemalloc, args.workers)))
        return
    if args.phase == "baseline":
        print(json.dumps(phase_baseline(args.db, args.out, args.repeat)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db_path = work / "bench.db"
        if _items_in(db_path) == args.items:
            print(f"reusing {db_path} ({args.items:,} labelled pairwise items)")
        else:
            for stale in (db_path, db_path.with_name(db_path.name + "-wal")):
                stale.unlink(missing_ok=True)
            print(f"building a project with {args.items:,} labelled pairwise items ...")
            print(f"  built in {build_project(db_path, args.items):.1f}s")
        out = work / "export"
        extra = ["--tracemalloc"] if args.tracemalloc else []
        extra += ["--workers", str(args.workers)] if args.workers else []
        runs = []
        for _ in range(args.repeat):  # each in a fresh process, after flushing earlier writes
            shutil.rmtree(out, ignore_errors=True)  # as the baseline starts without its file
            os.sync()
            args_ = ["--phase", "export", "--db", str(db_path), "--out", str(out), *extra]
            runs.append(_child(*args_))
        ours = min(runs, key=lambda r: r["seconds"])
        ours["max_rss_mb"] = max(r["max_rss_mb"] for r in runs)
        ours["child_rss_mb"] = max(r["child_rss_mb"] for r in runs)
        # The baseline writes the very records of our train split, held in memory.
        base = _child(
            "--phase", "baseline", "--db", str(out / "data/train.jsonl"), "--out", str(work),
            "--repeat", str(args.repeat),
        )  # fmt: skip
        n, m = ours["records"], base["records"]
        rates = {
            "prefmark export (SQLite -> DPO JSONL)": (n / ours["seconds"], n / ours["cpu"]),
            "datasets from_list + to_json (in memory)": (
                m / base["seconds_total"],
                m / base["cpu_total"],
            ),
            "datasets to_json alone (table built)": (
                m / base["seconds_to_json"],
                m / base["cpu_to_json"],
            ),
        }
        print(
            f"prefmark: {n:,.0f} records (train + test), best of {args.repeat}, peak RSS "
            f"{ours['max_rss_mb']:.0f} MB + {ours['child_rss_mb']:.0f} MB (worker process)"
            + (f", heap peak {ours['heap_peak_mb']:.0f} MB" if "heap_peak_mb" in ours else "")
            + f"; datasets: {m:,.0f} records (the train split), "
            f"peak RSS {base['max_rss_mb']:.0f} MB"
        )
        for name, (wall, cpu) in rates.items():
            print(f"{name:42s}: wall {wall:9,.0f} records/s | CPU {cpu:9,.0f} records/s")
        ours_wall, ours_cpu = rates["prefmark export (SQLite -> DPO JSONL)"]
        for name in list(rates)[1:]:
            wall, cpu = rates[name]
            print(
                f"ratio (prefmark rate / {name.split(' (')[0]} rate): "
                f"wall {ours_wall / wall:.2f}x, CPU {ours_cpu / cpu:.2f}x"
            )
        print("targets: >= 100,000 records/s, ratio >= 1.0x, peak RSS (all processes) < 500 MB")


if __name__ == "__main__":
    main()
