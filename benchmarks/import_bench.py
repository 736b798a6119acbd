"""Import speed: N synthetic pairwise items (~2 KB each) against a plain sqlite-utils insert.

Writes one JSONL file, then in the same run times (1) the baseline: read + ``json.loads``
each line + ``Table.insert_all`` of the same records into a fresh table, and (2)
``prefmark``'s ``import_files`` into a fresh project (shape recognition, content hashing,
deduplication, one transaction). Then times ``next_item`` on the imported project.

    python benchmarks/import_bench.py                 # 1,000,000 items (~2 GB of JSONL)
    python benchmarks/import_bench.py --items 100000

Targets: >= 50,000 items/s, no worse than 1.5x the baseline, next_item < 5 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import sqlite_utils

from labeler.db import open_db
from labeler.importers import import_files
from labeler.store import next_item
from labeler.store.items import QueueCursor

MODELS = ["gpt-4", "claude-2.1", "llama-2-70b", "mixtral-8x7b", "vicuna-33b", "gpt-3.5-turbo"]


def write_records(path: Path, n: int, seed: int = 0) -> int:
    """N distinct pairwise records of about 2 KB; returns the file size in bytes."""
    rng = random.Random(seed)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(5000)
    ]
    pool = [" ".join(rng.choices(words, k=140)) for _ in range(256)]  # ~800 chars each
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            record = {
                "prompt": f"Question {i}: " + pool[i % 251][:400],
                "response_a": pool[(i * 7) % 256] + f" ({i}a)",
                "response_b": pool[(i * 13 + 5) % 256] + f" ({i}b)",
                "model_a": MODELS[i % 6],
                "model_b": MODELS[(i + 1) % 6],
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path.stat().st_size


class Timing(NamedTuple):
    wall: float
    cpu: float  # process CPU time (user + system), steadier than wall time on a busy machine


def _pragmas(conn: sqlite3.Connection, synchronous: str) -> None:
    """The settings ``open_db`` gives a new project, so both sides pay the same for I/O."""
    conn.execute("PRAGMA page_size=16384")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA cache_size=-65536")


def baseline(data: Path, db_path: Path, synchronous: str) -> Timing:
    """Plain sqlite-utils bulk insert of the same records: read, ``json.loads`` each line,
    ``insert_all`` into a new table (no id, no indexes), then a checkpoint.

    ``insert_all`` commits after every chunk of rows (its own behaviour); under
    ``synchronous=FULL`` each commit waits for an fsync, so it also runs with ``NORMAL``
    (no fsync per commit in WAL mode) and the faster of the two is the baseline.
    """
    db = sqlite_utils.Database(db_path)
    _pragmas(db.conn, synchronous)
    started, cpu = time.perf_counter(), time.process_time()
    with data.open("rb") as fh:
        table = db.table("items")
        assert isinstance(table, sqlite_utils.db.Table)
        table.insert_all((json.loads(line) for line in fh), batch_size=1000)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timing = Timing(time.perf_counter() - started, time.process_time() - cpu)
    db.conn.close()
    db_path.unlink()  # keep the disk needed for 1M items down
    return timing


def prefmark_import(data: Path, db_path: Path) -> tuple[Timing, int]:
    db = open_db(db_path)
    started, cpu = time.perf_counter(), time.process_time()
    report = import_files(db, [data])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timing = Timing(time.perf_counter() - started, time.process_time() - cpu)
    db.conn.close()
    return timing, report.items


def queue_latency(db_path: Path, n: int = 200) -> list[float]:
    """Milliseconds per ``next_item`` call walking the human queue from a fresh connection."""
    db = open_db(db_path)
    times = []
    cursor: QueueCursor | None = None
    for _ in range(n):
        started = time.perf_counter()
        found = next_item(db, after=cursor)
        times.append((time.perf_counter() - started) * 1000)
        assert found is not None
        cursor = found[1]
    db.conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="records to import")
    parser.add_argument("--dir", type=Path, help="work directory (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = Path(tmp)
        data = work / "pairs.jsonl"
        t0 = time.perf_counter()
        size = write_records(data, args.items)
        print(
            f"wrote {args.items:,} records, {size / 1e6:,.0f} MB "
            f"({size / args.items:,.0f} B/record) in {time.perf_counter() - t0:.1f} s"
        )
        bases = {sync: baseline(data, work / "baseline.db", sync) for sync in ("FULL", "NORMAL")}
        ours, inserted = prefmark_import(data, work / "project.db")
        assert inserted == args.items, inserted
        lat = queue_latency(work / "project.db")
        n = args.items
        chunk = min(1000, sqlite_utils.db.SQLITE_MAX_VARS // 5)
        print(
            "all: page_size=16384, WAL, 64 MB cache, a checkpoint at the end; prefmark: one "
            f"transaction, synchronous=FULL; sqlite-utils: a commit every {chunk} rows"
        )
        rows = [(f"sqlite-utils insert_all, synchronous={s}", t) for s, t in bases.items()]
        for name, t in [*rows, ("prefmark import_files, synchronous=FULL", ours)]:
            print(
                f"{name:43s}: wall {t.wall:6.1f} s {n / t.wall:9,.0f} items/s | "
                f"CPU {t.cpu:6.1f} s {n / t.cpu:9,.0f} items/s"
            )
        wall_base = min(t.wall for t in bases.values())
        cpu_base = min(t.cpu for t in bases.values())
        print(
            f"ratio (prefmark / faster sqlite-utils time): wall {ours.wall / wall_base:.2f}x, "
            f"CPU {ours.cpu / cpu_base:.2f}x  (target <= 1.5x; >= 50,000 items/s)"
        )
        print(
            f"next_item: first {lat[0]:.2f} ms, median {statistics.median(lat):.3f} ms, "
            f"max {max(lat):.2f} ms over {len(lat)} calls (target < 5 ms)"
        )


if __name__ == "__main__":
    main()
