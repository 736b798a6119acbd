"""Two real processes on one project: nothing another program does may lose a committed label.

The app-like process keeps its connection open, labels, and opens and closes a read
connection for every refresh, as the window does; a second process runs ``prefmark stats``,
``prefmark import`` and the ``sqlite3`` shell on the same file and exits. Then the first labels
more and is killed with SIGKILL. Every label it had been told was committed must be in the file.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from labeler.db import MIGRATIONS, open_db
from labeler.store import add_items
from labeler.types import Item, Response

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

APP_LIKE = """
import sys
from labeler.db import open_db
from labeler.store import iter_items, record_label
from labeler.store.routes import queue_counts
from labeler.types import Label, PairChoice, PairwiseValue, Source

path = sys.argv[1]
db = open_db(path, create=False)
items = list(iter_items(db))
i = 0
for line in sys.stdin:  # one command per line: "label N" or "refresh"
    line = line.strip()
    cmd, _, arg = line.partition(" ")
    if cmd == "refresh":
        reader = open_db(path, create=False, readonly=True)
        queue_counts(reader)
        reader.conn.close()
        print("refreshed", flush=True)
        continue
    for _ in range(int(arg)):
        item = items[i % len(items)]
        label = record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "ann"))
        print(label.id, flush=True)  # printed only after the commit returned
        i += 1
    print("done", flush=True)
"""


def _prefmark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labeler.cli", *args], capture_output=True, text=True, timeout=120
    )


def _project(path: Path, n: int = 30) -> None:
    db = open_db(path)
    add_items(db, [Item(f"prompt {i}", (Response("a"), Response("b"))) for i in range(n)])
    db.conn.close()


class _AppLike:
    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", APP_LIKE, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.committed: list[int] = []

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline().strip()
            assert line, "the app-like process died"
            if line in ("done", "refreshed"):
                return
            self.committed.append(int(line))

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def test_other_programs_on_an_open_project_lose_no_label(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    _project(path)
    data = tmp_path / "more.jsonl"
    data.write_text(
        "\n".join(
            orjson.dumps({"prompt": f"new {i}", "response_a": "x", "response_b": "y"}).decode()
            for i in range(20)
        )
    )
    app = _AppLike(path)
    app.send("label 20")
    app.send("refresh")
    assert _prefmark("stats", str(path)).returncode == 0
    app.send("label 20")
    app.send("refresh")
    assert _prefmark("import", str(path), str(data)).returncode == 0
    if shutil.which("sqlite3"):
        shell = subprocess.run(
            ["sqlite3", str(path), "SELECT count(*) FROM labels"], capture_output=True, text=True
        )
        assert shell.returncode == 0
    app.send("refresh")
    app.send("label 30")
    app.kill()

    reopened = open_db(path, create=False)
    assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in reopened.conn.execute("SELECT id FROM labels")}
    assert len(app.committed) == 70
    assert set(app.committed) <= stored
    assert reopened.conn.execute("SELECT count(*) FROM items").fetchone()[0] == 50


BAD_TAIL_RECORDS = 150_000


def test_a_failing_import_never_deletes_the_project_another_import_made(tmp_path: Path) -> None:
    """Two imports into the same new path: the one that fails must not take the other's
    committed project with it."""
    big = tmp_path / "big_bad.jsonl"
    with big.open("wb") as fh:
        for i in range(BAD_TAIL_RECORDS):
            fh.write(orjson.dumps({"prompt": f"p{i}", "response_a": "a", "response_b": "b"}))
            fh.write(b"\n")
        fh.write(b'{"prompt": "broken", \n')
    small = tmp_path / "small.jsonl"
    small.write_text('{"prompt": "kept", "response_a": "a", "response_b": "b"}\n')
    project = tmp_path / "new.db"

    failing = subprocess.Popen(
        [sys.executable, "-m", "labeler.cli", "import", "-q", str(project), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # the failing import has started and is reading its long file
    good = _prefmark("import", "-q", str(project), str(small))
    _out, err = failing.communicate(timeout=300)
    assert failing.returncode == 1
    assert "big_bad.jsonl" in err
    assert good.returncode == 0, good.stderr
    assert project.exists()
    db = open_db(project, create=False)
    prompts = [r[0] for r in db.conn.execute("SELECT prompt FROM items")]
    assert prompts == ['"kept"'] or prompts == ["kept"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".new.db")]


def test_a_failing_import_into_a_new_path_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "response_a": "a", "response_b": "b"}\n{"prompt": \n')
    result = _prefmark("import", str(tmp_path / "p.db"), str(bad))
    assert result.returncode == 1
    assert "bad.jsonl:2" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


def test_two_first_opens_of_an_old_project_migrate_it_once(tmp_path: Path) -> None:
    """The schema version is read under the write lock: a second opener waiting for the
    first one's migration does not run the same migration again."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN IMMEDIATE")
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    errors: list[BaseException] = []
    conn.execute("BEGIN IMMEDIATE")  # a first opener that is migrating right now

    def second_opener() -> None:
        try:
            open_db(path, create=False).conn.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=second_opener)
    thread.start()
    time.sleep(0.5)  # the second opener has read the file and waits for the write lock
    for migration in MIGRATIONS[1:]:
        migration(conn)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    conn.execute("COMMIT")
    thread.join(30)
    assert not errors, errors
    conn.close()
    db = open_db(path, create=False)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
