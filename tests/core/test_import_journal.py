"""The first import into an empty project writes through a rollback journal (each page
once): it stays all-or-nothing, even when the process is killed, and the project is back in
WAL mode afterwards; with the project open elsewhere, or already filled, WAL is kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labeler.importers import import_files
from labeler.store import count_items, open_db
from labeler.store.items import first_load_journal

IMPORTER = """
import sys
from labeler.importers import import_files
from labeler.store import open_db
db = open_db(sys.argv[1])
db.conn.execute("PRAGMA cache_size=50")  # spill pages into the database file early
def progress(done, total):
    print(done, db.conn.execute("PRAGMA journal_mode").fetchone()[0], flush=True)
from labeler.progress import run_steps
from labeler.importers import import_steps
run_steps(import_steps(db, [sys.argv[2]], batch_size=500), progress)
print("finished", flush=True)
"""


def _records(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = {"prompt": f"q{i} " + "x" * 300, "response_a": f"a{i}", "response_b": f"b{i}"}
            fh.write(json.dumps(rec) + "\n")
    return path


def _mode(path: Path) -> str:
    db = open_db(path)
    try:
        return str(db.conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        db.conn.close()


def test_first_import_uses_the_journal_and_returns_to_wal(tmp_path: Path) -> None:
    data = _records(tmp_path / "d.jsonl", 300)
    db = open_db(tmp_path / "p.db")
    with first_load_journal(db.conn) as switched:
        assert switched
        assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert import_files(db, [data]).items == 300
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with first_load_journal(db.conn) as switched:  # not empty any more
        assert not switched
    db.conn.close()


def test_project_open_elsewhere_keeps_wal(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    other = open_db(tmp_path / "p.db")
    with first_load_journal(db.conn) as switched:
        assert not switched
    assert import_files(db, [_records(tmp_path / "d.jsonl", 50)]).items == 50
    assert other.conn.execute("SELECT count(*) FROM items").fetchone()[0] == 50
    db.conn.close()
    other.conn.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_first_import_leaves_an_empty_clean_project(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    open_db(path).conn.close()
    data = _records(tmp_path / "d.jsonl", 20_000)
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(path), str(data)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    seen: list[str] = []
    while len(seen) < 3 and time.monotonic() < deadline:  # a few batches in
        line = proc.stdout.readline()
        if line:
            seen.append(line.split()[-1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert seen == ["delete"] * 3, seen
    db = open_db(path)
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert count_items(db) == 0
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert import_files(db, [data]).items == 20_000
    db.conn.close()
    assert _mode(path) == "wal"
