"""An export folder appears whole or not at all; only a provable earlier export is replaced.

Killed exports (real processes, SIGKILL), folders that merely look like exports, symbolic
links, the leftovers of killed exports, and a real full file system (a tiny tmpfs).
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.exporters import ExportError, ExportOptions, export_project
from labeler.store import insert_items, insert_labels
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source

OPTIONS = ExportOptions(chunk_size=20, test_size=0.2, seed=1)


def _project(path: Path, n: int = 200, size: int = 20) -> Any:
    """``n`` labelled pairs, one response of each ``size`` random characters (which no
    compression shrinks much)."""
    db = open_db(path)
    items = [
        Item(
            f"Prompt {i}",
            (Response(random.Random(i).randbytes(size // 2).hex(), "m"), Response(f"b{i}", "m")),
        )
        for i in range(n)
    ]
    labels = [
        Label(it.id, PairwiseValue(PairChoice.A if i % 3 else PairChoice.B), Source.HUMAN, "ann")
        for i, it in enumerate(items)
    ]
    with transaction(db.conn):
        insert_items(db.conn, items)
        insert_labels(db.conn, labels)
    return db


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Any]:
    db = _project(tmp_path / "p.db")
    yield db
    db.conn.close()


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder``: file bytes, or where a link points (links not followed)."""
    out: dict[str, bytes | str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = f"-> {os.readlink(path)}"
            elif path.is_file():
                out[rel] = path.read_bytes()
    return out


def _hidden_siblings(folder: Path) -> list[str]:
    return [p.name for p in folder.parent.iterdir() if ".prefmark-tmp-" in p.name]


# ---- killed exports -------------------------------------------------------------------------

_KILLED = """
import multiprocessing, os, signal, sys
import labeler.exporters.engine.run as run
from labeler.db import open_db
from labeler.exporters import ExportOptions, export_steps
from labeler.progress import run_steps

project, out, when, workers = sys.argv[1:]
calls = []

def die(*_):
    print(*[p.pid for p in multiprocessing.active_children()], flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

def progress(done, total):
    calls.append(done)
    if when == "while writing data" and len(calls) == (3 if workers == "1" else 1):
        die()

if when == "before the card":  # the split files are complete; card and manifest are not
    run.render_card = die
options = ExportOptions(chunk_size=20, test_size=0.2, seed=1, workers=int(workers))
run_steps(export_steps(open_db(project, create=False), out, options), progress)
"""


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


@pytest.mark.parametrize("earlier", [False, True], ids=["new folder", "over an export"])
@pytest.mark.parametrize(
    ("when", "workers"),
    [("while writing data", 1), ("before the card", 1), ("while writing data", 2)],
)
def test_a_killed_export_leaves_the_folder_as_it_was_and_a_rerun_succeeds(
    project: Any, tmp_path: Path, when: str, workers: int, earlier: bool
) -> None:
    out = tmp_path / "out"
    if earlier:
        export_project(project, out, replace(OPTIONS, seed=9))
    before = _tree(out) if earlier else None
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED, str(tmp_path / "p.db"), str(out), when, str(workers)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if earlier:
        assert _tree(out) == before  # the earlier export, byte for byte
    else:
        assert not os.path.lexists(out)  # nothing that load_dataset would take for a data set
    helpers = [int(pid) for pid in proc.stdout.split()]
    deadline = time.monotonic() + 30
    while not all(map(_gone, helpers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    report = export_project(project, out, OPTIONS)  # the rerun is not refused
    manifest = json.loads((out / "prefmark-export.json").read_text())
    assert manifest["files"] == [f.__dict__ for f in report.files]
    assert _hidden_siblings(out) == []  # and it cleared what the killed export left


def test_leftovers_are_removed_only_when_they_hold_nothing_but_export_files(
    project: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    stale = tmp_path / ".out.prefmark-tmp-0123abcd"
    (stale / "data").mkdir(parents=True)
    (stale / "data" / "train.jsonl.partial").write_text("{}\n")
    (stale / "data" / ".part1.test.jsonl").write_text("{}\n")
    (stale / "README.md").write_text("card")
    someone = tmp_path / ".out.prefmark-tmp-4567cdef"  # the name, but a file of someone's
    (someone / "data").mkdir(parents=True)
    (someone / "data" / "notes.txt").write_text("keep me")
    near = tmp_path / ".out.prefmark-tmp-0123abcdX"  # not exactly the name
    near.mkdir()
    other = tmp_path / ".other.prefmark-tmp-89abcdef"  # another folder's
    other.mkdir()
    busy = tmp_path / ".out.prefmark-tmp-fedcba98"  # an export still running (it holds a lock)
    (busy / "data").mkdir(parents=True)
    (busy / "data" / "train.jsonl.partial").write_text("{}\n")
    fd = os.open(busy, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        export_project(project, out, OPTIONS)
    finally:
        os.close(fd)
    assert not stale.exists()
    assert (someone / "data" / "notes.txt").read_text() == "keep me"
    assert near.is_dir()
    assert other.is_dir()
    assert (busy / "data" / "train.jsonl.partial").exists()


# ---- what is ours to replace ---------------------------------------------------------------


def _tamper(out: Path, how: str) -> None:
    manifest = out / "prefmark-export.json"
    if how == "an empty manifest":
        shutil.rmtree(out)
        out.mkdir()
        manifest.write_text("{}")
        (out / "dataset_info.json").write_text('{"mine": {"file_name": "mine.json"}}')
    elif how == "an extra file":
        (out / "notes.txt").write_text("mine")
    elif how == "an edited card":
        with (out / "README.md").open("a") as fh:
            fh.write("My notes on this data set.\n")
    elif how == "a manifest without its id":
        data = json.loads(manifest.read_text())
        data.pop("export_id", None)
        manifest.write_text(json.dumps(data))
    elif how == "a listing changed by hand":
        data = json.loads(manifest.read_text())
        data.setdefault("contents", {})["data/extra.jsonl"] = 3
        manifest.write_text(json.dumps(data))
    elif how == "a subfolder":
        (out / "data" / "mine").mkdir()
        (out / "data" / "mine" / "train.jsonl").write_text("mine")


@pytest.mark.parametrize(
    "how",
    [
        "an empty manifest",
        "an extra file",
        "an edited card",
        "a manifest without its id",
        "a listing changed by hand",
        "a subfolder",
    ],
)
def test_a_folder_that_only_looks_like_an_export_is_refused_untouched(
    project: Any, tmp_path: Path, how: str
) -> None:
    out = tmp_path / "out"
    export_project(project, out, OPTIONS)
    _tamper(out, how)
    before = _tree(out)
    with pytest.raises(ExportError, match="not empty"):
        export_project(project, out, replace(OPTIONS, seed=2))
    assert _tree(out) == before
    assert _hidden_siblings(out) == []


@pytest.mark.parametrize("link", ["data", "a data file", "the folder"])
def test_symbolic_links_are_never_followed(project: Any, tmp_path: Path, link: str) -> None:
    out = tmp_path / "out"
    export_project(project, out, OPTIONS)
    elsewhere = tmp_path / "elsewhere"
    if link == "data":  # the same files, sizes and all, behind a link
        shutil.copytree(out / "data", elsewhere)
        shutil.rmtree(out / "data")
        (out / "data").symlink_to(elsewhere)
    elif link == "a data file":
        elsewhere.mkdir()
        shutil.copy(out / "data" / "train.jsonl", elsewhere / "train.jsonl")
        (out / "data" / "train.jsonl").unlink()
        (out / "data" / "train.jsonl").symlink_to(elsewhere / "train.jsonl")
    else:
        out.rename(elsewhere)
        out.symlink_to(elsewhere)
    before, linked = _tree(out), _tree(elsewhere)
    with pytest.raises(ExportError, match=r"not empty|symbolic link"):
        export_project(project, out, replace(OPTIONS, seed=2))
    assert _tree(out) == before
    assert _tree(elsewhere) == linked
    assert _hidden_siblings(out) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (ExportOptions(target="llama-factory"), ExportOptions()),
        (ExportOptions(), ExportOptions(parquet=True)),
        (ExportOptions(), ExportOptions(test_size=0)),
    ],
)
def test_an_earlier_export_is_replaced_whole(
    project: Any, tmp_path: Path, first: ExportOptions, second: ExportOptions
) -> None:
    if second.parquet:
        pytest.importorskip("pyarrow")
    out = tmp_path / "out"
    export_project(project, out, first)
    export_project(project, tmp_path / "fresh", second)
    export_project(project, out, second)
    fresh, got = _tree(tmp_path / "fresh"), _tree(out)  # the cards name their folders
    assert sorted(got) == sorted(fresh)
    assert {k: v for k, v in got.items() if k.startswith("data/")} == {
        k: v for k, v in fresh.items() if k.startswith("data/")
    }
    assert _hidden_siblings(out) == []
    empty = tmp_path / "empty"  # an empty folder takes an export too
    empty.mkdir()
    export_project(project, empty, second)
    assert (empty / "prefmark-export.json").is_file()
    assert _hidden_siblings(empty) == []


# ---- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (tmpfs); needs root."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "tiny"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.parametrize("how", ["one process", "two processes", "parquet"])
def test_a_full_disk_is_reported_in_one_sentence_and_leaves_nothing(
    tmp_path: Path, tiny_disk: Path, how: str
) -> None:
    if how == "parquet":
        pytest.importorskip("pyarrow")
    db = _project(tmp_path / "big.db", n=400, size=600)  # about 300 KB of records
    db.conn.close()
    out = tiny_disk / "out"
    args = ["export", str(tmp_path / "big.db"), "--out", str(out), "--test-size", "0.3"]
    args += {"one process": [], "two processes": ["--workers", "2"], "parquet": ["--parquet"]}[how]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError)  # no traceback
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [
        f"Error: {out}: no space left on device while exporting; free some space and export "
        f"again (nothing was written to {out})"
    ]
    assert list(tiny_disk.iterdir()) == []  # no folder, hidden or not, and the space is free


def test_a_full_disk_leaves_an_earlier_export_as_it_was(tmp_path: Path, tiny_disk: Path) -> None:
    db = _project(tmp_path / "p.db", n=40)
    out = tiny_disk / "out"
    export_project(db, out, OPTIONS)
    before = _tree(out)
    db.conn.close()
    db = _project(tmp_path / "big.db", n=400, size=600)
    with pytest.raises(ExportError, match=r"no space left on device .*nothing was written"):
        export_project(db, out, replace(OPTIONS, workers=2))
    db.conn.close()
    assert _tree(out) == before
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["out"]
