"""Faults a user meets: foreign files, read-only commands, a locked, full, read-only or damaged
project. Each ends in one sentence naming the file and what to do, and changes nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from labeler.db import open_db
from labeler.store import add_items, record_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source


def _prefmark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labeler.cli", *args], capture_output=True, text=True, timeout=180
    )


def _one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _digest(*paths: Path) -> list[str | None]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths]


def _project(path: Path, n: int = 10) -> None:
    db = open_db(path)
    add_items(db, [Item(f"p{i}", (Response("a"), Response("b"))) for i in range(n)])
    db.conn.close()


def _records(path: Path, n: int, size: int = 200) -> Path:
    with path.open("wb") as fh:
        for i in range(n):
            record = {"prompt": f"p{i} " + "x" * size, "response_a": "a", "response_b": "b"}
            fh.write(orjson.dumps(record) + b"\n")
    return path


def test_a_foreign_sqlite_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = _digest(other)
    for command in ("stats", "export"):
        args = [command, str(other)] + (
            ["--out", str(tmp_path / "o")] if command == "export" else []
        )
        line = _one_sentence(_prefmark(*args))
        assert "other.sqlite: not a prefmark project" in line
    line = _one_sentence(_prefmark("import", str(other), str(_records(tmp_path / "d.jsonl", 2))))
    assert "not a prefmark project" in line
    assert _digest(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl", "other.sqlite"]
    conn = sqlite3.connect(other)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]


def test_an_empty_file_or_a_text_file_is_not_a_project(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert "empty.db: not a prefmark project" in _one_sentence(_prefmark("stats", str(empty)))
    assert empty.stat().st_size == 0
    text = tmp_path / "notes.db"
    text.write_text("just some notes\n" * 100)
    assert "not an SQLite file" in _one_sentence(_prefmark("stats", str(text)))
    assert text.read_text() == "just some notes\n" * 100


def test_read_only_commands_never_write_to_the_project(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    _project(path)
    db = open_db(path)
    for item_id in [r[0] for r in db.conn.execute("SELECT id FROM items")]:
        record_label(db, Label(item_id, PairwiseValue(PairChoice.A), Source.HUMAN, "ann"))
    db.conn.close()
    # An older project (schema 2, before files were stamped) is read as it is, not upgraded.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    before = _digest(path)
    assert _prefmark("stats", str(path)).returncode == 0
    result = _prefmark("export", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert _digest(path) == before
    assert not list(tmp_path.glob("p.db.v*.bak"))


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Path, threading.Event]]:
    """A project whose write lock another connection holds until the event is set."""
    path = tmp_path / "p.db"
    _project(path)
    release = threading.Event()
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(120)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(10)
    yield path, release
    release.set()
    thread.join()


def test_a_locked_project_is_waited_for_and_the_wait_announced(
    holder: tuple[Path, threading.Event], tmp_path: Path
) -> None:
    path, release = holder
    data = _records(tmp_path / "d.jsonl", 5)
    proc = subprocess.Popen(
        [sys.executable, "-m", "labeler.cli", "import", str(path), str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    said = proc.stderr.readline()  # the command says why it waits while the lock is held
    release.set()
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, said + err
    assert "another program is writing to this project; waiting" in said
    assert open_db(path).conn.execute("SELECT count(*) FROM items").fetchone()[0] == 15


def test_a_project_locked_for_too_long_is_one_sentence(
    holder: tuple[Path, threading.Event], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import labeler.cli as cli

    path, _release = holder
    monkeypatch.setattr(cli, "BUSY_WAIT_S", 0.1)
    data = _records(tmp_path / "d.jsonl", 3)
    result = CliRunner().invoke(cli.main, ["import", str(path), str(data)])
    assert result.exit_code == 1, result.exception
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {path}: another program is writing to this project and did not finish in "
        "time; try again when it is done"
    )


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)])
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    _mount_tmpfs(where, "600k")
    yield where
    subprocess.run(["umount", "-l", str(where)])


def test_a_full_disk_is_one_sentence_and_keeps_what_was_stored(
    small_disk: Path, tmp_path: Path
) -> None:
    path = small_disk / "p.db"
    _project(path, 5)
    line = _one_sentence(_prefmark("import", str(path), str(_records(tmp_path / "d.jsonl", 4000))))
    assert line == (
        f"Error: {path}: the disk is full; free some space and try again "
        "(everything saved before this step is kept)"
    )
    db = open_db(path, create=False, readonly=True)
    assert db.conn.execute("SELECT count(*) FROM items").fetchone()[0] == 5


def test_a_read_only_project_is_one_sentence(small_disk: Path, tmp_path: Path) -> None:
    path = small_disk / "p.db"
    _project(path, 5)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    line = _one_sentence(_prefmark("import", str(path), str(_records(tmp_path / "d.jsonl", 3))))
    assert f"{path}: the project file or its folder is read-only" in line
    stats = _prefmark("stats", str(path))
    assert stats.returncode == 0, stats.stderr
    assert "5" in stats.stdout


def test_a_damaged_project_is_one_sentence_that_says_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    _project(path, 400)
    size = path.stat().st_size
    with path.open("r+b") as fh:  # no connection has this file open
        fh.seek(size // 2)
        fh.write(os.urandom(size // 3))
    result = _prefmark("stats", str(path))
    line = _one_sentence(result)
    assert f"{path}: the project file is damaged" in line
    assert f"prefmark check {path}" in line
