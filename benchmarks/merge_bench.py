"""Merge N label events from one project into another; compare with a plain INSERT ... SELECT.

Builds an annotator's project (``--events`` label events by three annotators: one label per
item, a tenth of the items labelled twice, with relabels and undos, so that supersede chains
are mapped) and a team project holding the same items, then times, in this run:

1. ``prefmark merge`` (``labeler.workflows.team.merge``: every row checked, each event's
   identity matched, supersedes mapped, item status refreshed, one transaction);
2. the baseline: ``ATTACH`` and one ``INSERT INTO labels SELECT ... FROM other.labels`` into
   a copy of the same team project (no checks, no identity, no mapping).

Then merges the same file again (must add nothing). Prints events/s and the ratio.

    python benchmarks/merge_bench.py --events 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path


def _events(n_items: int, rng: random.Random) -> list[tuple[object, ...]]:
    """A team's log: one label per item by one of three annotators; a tenth of the items
    also labelled by a second annotator, 3% relabelled and 1% undone by their annotator."""
    rows: list[tuple[object, ...]] = []
    names = ("alice", "bob", "carol")
    for seq in range(1, n_items + 1):
        at = f"2026-01-{1 + seq % 28:02d}T{seq % 24:02d}:{seq % 60:02d}:00.{seq % 1000:03d}+00:00"
        who = names[seq % 3]
        rows.append((seq, who, "label", rng.choice("ab"), None, at))
        luck = rng.random()
        if luck < 0.10:
            rows.append((seq, names[(seq + 1) % 3], "label", rng.choice("ab"), None, at))
        if luck < 0.03:
            rows.append((seq, who, "label", rng.choice("ab"), len(rows) - 1, at))
        if luck < 0.01:
            rows.append((seq, who, "retract", None, len(rows), at))
    return rows


def build(annotator_file: Path, team_file: Path, events: int, seed: int = 0) -> None:
    """The annotator's project with ``events`` label events, and the team's with its items."""
    from labeler.codec import item_row
    from labeler.db import open_db, transaction
    from labeler.store.items import insert_item_rows

    rng = random.Random(seed)
    n_items = round(events / 1.14) + 10
    log = _events(n_items, rng)[:events]
    rows = [
        item_row(f"prompt {i} {rng.random()}", [f"left {i}", f"right {i}"], ["m1", "m2"])
        for i in range(log[-1][0])
    ]
    values = {c: json.dumps({"choice": c, "strength": None}) for c in "ab"}
    labels = [
        (n, rows[seq - 1][0], None if c is None else "pairwise", None if c is None else values[c],
         "human", who, action, sup, at, seq)
        for n, (seq, who, action, c, sup, at) in enumerate(log, 1)
    ]  # fmt: skip
    for path in (annotator_file, team_file):
        db = open_db(path)
        db.conn.execute("PRAGMA synchronous=OFF")  # a throwaway file
        with transaction(db.conn):
            insert_item_rows(db.conn, rows)
            if path == annotator_file:
                db.conn.executemany(
                    "INSERT INTO labels (id, item_id, kind, value, source, annotator, action, "
                    "supersedes, created_at, item_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    labels,
                )
        db.conn.close()


def _copy(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def baseline(team_file: Path, other: Path) -> tuple[float, float, int]:
    conn = sqlite3.connect(team_file, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA cache_size=-65536")  # as prefmark opens a project
    conn.execute("ATTACH DATABASE ? AS src", (f"{other.resolve().as_uri()}?mode=ro",))
    started, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    n = conn.execute(
        "INSERT INTO main.labels (item_id, kind, value, source, annotator, action, "
        "model_version, confidence, shown_order, time_ms, rationale, supersedes, created_at, "
        "item_seq) SELECT item_id, kind, value, source, annotator, action, model_version, "
        "confidence, shown_order, time_ms, rationale, supersedes, created_at, item_seq "
        "FROM src.labels"
    ).rowcount
    conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return elapsed, cpu, n


def main() -> None:
    from labeler.workflows import drive
    from labeler.workflows.team import merge

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="merge-bench-") as tmp:
        folder = Path(tmp)
        other, team, plain = folder / "a.db", folder / "team.db", folder / "plain.db"
        started = time.perf_counter()
        build(other, team, args.events)
        _copy(team, plain)
        print(f"built {args.events:,} events in {time.perf_counter() - started:.1f} s")

        base_s, base_cpu, base_n = baseline(plain, other)
        started, cpu = time.perf_counter(), time.process_time()
        report = drive(merge(team, [other]))
        merge_s, merge_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        again = drive(merge(team, [other]))
        again_s = time.perf_counter() - started

    assert report.new_labels == args.events == base_n, (report.new_labels, base_n)
    assert again.new_labels == 0
    print(f"baseline INSERT ... SELECT: {base_n:,} events in {base_s:.2f} s "
          f"(CPU {base_cpu:.2f} s, {base_n / base_s:,.0f}/s)")  # fmt: skip
    print(f"prefmark merge:             {report.new_labels:,} events in {merge_s:.2f} s "
          f"(CPU {merge_cpu:.2f} s, {report.new_labels / merge_s:,.0f}/s), "
          f"{merge_s / base_s:.1f}x the baseline's time")  # fmt: skip
    print(f"new items {report.new_items:,}, items in conflict {report.conflicts:,}")
    print(f"merging the same file again: 0 new events in {again_s:.2f} s")
    print(f"under 30 s: {'yes' if merge_s < 30 else 'NO'} "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")  # fmt: skip


if __name__ == "__main__":
    main()
