"""A process killed with SIGKILL while writing labels loses no committed label."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labeler.store import add_items, open_db
from labeler.types import Item, Response

WRITER = """
import sys
from labeler.store import open_db, record_label, iter_items
from labeler.types import Label, PairwiseValue, PairChoice, Source
db = open_db(sys.argv[1])
items = list(iter_items(db))
i = 0
while True:
    item = items[i % len(items)]
    label = record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "ann"))
    print(label.id, flush=True)   # printed only after the commit returned
    i += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_write_keeps_every_committed_label(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    db = open_db(path)
    add_items(db, [Item(f"p{i}", (Response("a"), Response("b"))) for i in range(20)])
    db.conn.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    committed: list[int] = []
    deadline = time.monotonic() + 60
    while len(committed) < 200 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            committed.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(committed) >= 200
    reopened = open_db(path)
    assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in reopened.conn.execute("SELECT id FROM labels")}
    assert set(committed) <= stored
