"""Exports on several processes write the very bytes (and counts) of a one-process export,
and a cancelled one leaves nothing behind."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from labeler.db import open_db, transaction
from labeler.exporters import ExportError, ExportOptions, export_project, export_steps
from labeler.exporters.fast.parallel import PARALLEL_FROM, claim, default_workers, usable_cpus
from labeler.store import insert_items, insert_labels
from labeler.types import (
    Action,
    Item,
    Label,
    Message,
    PairChoice,
    PairwiseValue,
    RankingValue,
    Response,
    Source,
)


def _mixed_project(path: Path, n: int = 600) -> Any:
    """Fast-path pairs, chat prompts, ties, conflicts, rankings and model labels, interleaved."""
    db = open_db(path)
    items, labels = [], []
    for i in range(n):
        prompt: Any = f"Prompt {i % 97}"
        if i % 11 == 0:
            prompt = (Message("user", f"Chat {i}"),)
        texts = [f"a{i}", f"b{i}"] + ([f"c{i}"] if i % 7 == 0 else [])
        item = Item(prompt, tuple(Response(t, "gen") for t in texts))
        items.append(item)
        if i % 13 == 0:
            continue  # unlabelled
        if len(texts) == 3:
            value: Any = RankingValue((2, 3, 1))
        elif i % 5 == 0:
            value = PairwiseValue(PairChoice.TIE)
        else:
            value = PairwiseValue(PairChoice.A if i % 3 else PairChoice.B, 1 + i % 2)
        labels.append(Label(item.id, value, Source.HUMAN, f"ann{i % 3}"))
        if i % 17 == 0:  # a disagreeing second person: a conflict
            labels.append(Label(item.id, PairwiseValue(PairChoice.B), Source.HUMAN, "zed"))
        if i % 19 == 0:
            labels.append(
                Label(
                    item.id,
                    PairwiseValue(PairChoice.A),
                    Source.MODEL,
                    "rm",
                    model_version="rm-1",
                    confidence=0.5 + (i % 50) / 100,
                    action=Action.LABEL,
                )
            )
    with transaction(db.conn):
        insert_items(db.conn, items)
        insert_labels(db.conn, labels)
    return db


def _data(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "data").iterdir())}


@pytest.mark.parametrize("target", ["trl-preference", "trl-unpaired", "llama-factory"])
def test_several_processes_write_the_bytes_and_counts_of_one(tmp_path: Path, target: str) -> None:
    db = _mixed_project(tmp_path / "p.db")
    options = ExportOptions(target=target, test_size=0.25, seed=5, chunk_size=40, workers=1)
    one = export_project(db, tmp_path / "one", options)
    three = export_project(db, tmp_path / "three", replace(options, workers=3))
    assert _data(tmp_path / "three") == _data(tmp_path / "one")
    data = tmp_path / "three" / "data"
    assert [f.name for f in data.iterdir() if f.name.startswith(".")] == []
    for field in ("items_scanned", "items_labelled", "items_exported", "conflicts"):
        assert getattr(three, field) == getattr(one, field), field
    assert three.dropped == one.dropped
    assert three.by_source == one.by_source
    assert three.files == one.files
    assert one.conflicts > 0
    assert one.dropped


def test_a_cancelled_parallel_export_stops_its_processes_and_leaves_no_files(
    tmp_path: Path,
) -> None:
    db = _mixed_project(tmp_path / "p.db")
    out = tmp_path / "out"
    steps = export_steps(db, out, ExportOptions(chunk_size=20, workers=2))
    for _ in range(3):
        next(steps)
    assert multiprocessing.active_children() != []
    steps.close()  # what Cancel and Ctrl+C do
    assert multiprocessing.active_children() == []
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []  # nor a hidden one
    # The folder is still usable: the next export fills it.
    report = export_project(db, out, ExportOptions(chunk_size=20, workers=2))
    assert report.records > 0


def test_claims_meet_in_the_middle_and_workers_default_by_size() -> None:
    ends = multiprocessing.get_context("spawn").Array("q", [0, 5])
    got = [claim(ends, True), claim(ends, False), claim(ends, True), claim(ends, False)]
    assert got == [0, 4, 1, 3]
    assert claim(ends, False) == 2
    assert claim(ends, True) is None
    assert claim(ends, False) is None
    automatic = ExportOptions(workers=None)  # what the CLI and the app ask for
    assert default_workers(automatic, PARALLEL_FROM - 1) == 1
    assert default_workers(automatic, PARALLEL_FROM) == min(2, usable_cpus())
    assert default_workers(replace(automatic, parquet=True), 10 * PARALLEL_FROM) == 1
    assert default_workers(ExportOptions(), 10 * PARALLEL_FROM) == 1  # the library's default
    assert default_workers(ExportOptions(workers=3), 10) == 3


_KILLED_EXPORT = """
import multiprocessing, os, signal, sys, time
from pathlib import Path
from labeler.db import open_db
from labeler.exporters import ExportError, ExportOptions, export_steps
from labeler.progress import run_steps
from labeler.exporters.fast.parallel import Helpers

def helpers():
    print(*[p.pid for p in multiprocessing.active_children()], flush=True)

def die(*_):
    helpers()
    os.kill(os.getpid(), signal.SIGKILL)

def cancel(*_):
    helpers()
    raise KeyboardInterrupt

if __name__ == "__main__":
    project, out, when = sys.argv[1:]
    options = ExportOptions(chunk_size=1, workers=2)  # many chunks: big results to hand over
    if when == "before the job":
        waiting = Helpers(project, Path(out), 1)  # referenced: it owns the shared state
        time.sleep(2)  # the helper is up, waiting for its job
        die()
    if when == "cancelled":
        try:
            run_steps(export_steps(open_db(project), out, options), cancel)
        except KeyboardInterrupt:
            sys.exit(0)  # and the interpreter must be able to exit
    run_steps(export_steps(open_db(project), out, options), die)
"""


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, waiting to be reaped


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.parametrize("when", ["before the job", "mid-export", "cancelled"])
def test_a_killed_or_cancelled_export_leaves_no_helper_running_and_the_folder_reusable(
    tmp_path: Path, when: str
) -> None:
    # Mid-export, the helper has thousands of chunks' pieces to report: more than a pipe
    # holds, so it must notice the dead parent rather than block handing them over.
    db = _mixed_project(tmp_path / "p.db", n=6000 if when == "mid-export" else 600)
    script = tmp_path / "killed_export.py"
    script.write_text(_KILLED_EXPORT)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "p.db"), str(out), when],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == (0 if when == "cancelled" else -signal.SIGKILL), proc.stderr
    helpers = [int(pid) for pid in proc.stdout.split()]
    assert helpers
    deadline = time.monotonic() + 30
    while not all(_gone(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_gone(pid) for pid in helpers)
    report = export_project(db, out, ExportOptions(chunk_size=40, workers=2))
    assert report.records > 0
    assert [p.name for p in (out / "data").iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_project_folder_name_that_a_uri_would_misread_exports_in_parallel(
    tmp_path: Path,
) -> None:
    odd = tmp_path / "we#ird %41 q?x"
    odd.mkdir()
    db = _mixed_project(odd / "p.db")
    before = sorted(p.name for p in tmp_path.iterdir())
    options = ExportOptions(chunk_size=40, workers=1)
    export_project(db, tmp_path / "one", options)
    export_project(db, tmp_path / "two", replace(options, workers=2))
    assert _data(tmp_path / "two") == _data(tmp_path / "one")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "one", "two"])


def test_a_folder_that_is_not_an_export_is_refused_untouched(tmp_path: Path) -> None:
    db = _mixed_project(tmp_path / "p.db")
    data = tmp_path / "theirs" / "data"
    data.mkdir(parents=True)
    for name in (".partners.jsonl", ".part1.train.jsonl", "train.jsonl.partial"):
        (data / name).write_text("keep me")
    (data.parent / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="not empty"):
        export_project(db, data.parent, ExportOptions(workers=2))
    assert sorted(p.name for p in data.iterdir()) == [
        ".part1.train.jsonl",
        ".partners.jsonl",
        "train.jsonl.partial",
    ]
