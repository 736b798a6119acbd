"""Kill every writing command at random moments and count what a crash costs.

For each command (import, score, route, export, pairwise and listwise labelling) this copies a
prepared project, starts the command as a real process, sends SIGKILL after a random delay,
then checks the project and runs the command again to completion. Per command it prints:

- ok: projects whose ``PRAGMA integrity_check`` is ``ok`` after the kill;
- lost: committed labels missing afterwards (labels stored before the run, and every label a
  labeller process was told was committed);
- half: half-saved work (a decision stored in part, an import or routing run stored in part,
  an export folder that looks finished but is not, a response scored without its item);
- reruns: runs of the same command after the kill that completed.

The target is zero lost and zero half-saved. Not part of the test run (it takes minutes):
``python benchmarks/crash_safety.py [--kills 30] [--seed 0] [--only label-listwise]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labeler.db import open_db  # noqa: E402
from labeler.store import add_items  # noqa: E402
from labeler.store.meta import set_schema  # noqa: E402
from labeler.types import Item, LabelSchema, Response, SchemaMode  # noqa: E402

PY = sys.executable
CLI = [PY, "-m", "labeler.cli"]
WORDS = [
    "the",
    "model",
    "answer",
    "is",
    "clear",
    "short",
    "helpful",
    "wrong",
    "long",
    "polite",
    "safe",
    "vague",
    "exact",
]

LABELLER = """
import sys
from labeler.db import open_db
from labeler.session import LabelingSession
from labeler.types import PairChoice

db = open_db(sys.argv[1], create=False)
listwise = sys.argv[2] == "listwise"
session = LabelingSession(db, "ann")
n = 0
while session.current is not None:
    n += 1
    if n % 7 == 0 and session.can_undo:
        before = db.conn.execute("SELECT max(id) FROM labels").fetchone()[0]
        session.undo()
        after = db.conn.execute("SELECT max(id) FROM labels").fetchone()[0]
        print(*range(before + 1, after + 1), flush=True)
        continue
    k = len(session.current.responses)
    if listwise:
        labels = session.submit_ranking(
            list(range(1, k + 1)), [True] + [None] * (k - 1), [5] + [3] * (k - 1)
        )
    else:
        labels = session.submit_pairwise(PairChoice.A if n % 2 else PairChoice.B)
    print(*(lab.id for lab in labels), flush=True)  # printed only after the commit returned
print("done", flush=True)
"""


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _records(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    with path.open("wb") as fh:
        for i in range(n):
            record = {
                "prompt": f"q{seed}-{i} {_text(rng, 12)}",
                "response_a": _text(rng, rng.randint(5, 60)),
                "response_b": _text(rng, rng.randint(5, 60)),
            }
            fh.write(orjson.dumps(record) + b"\n")
    return path


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def _copy(src: Path, dst: Path) -> Path:
    """A copy made through SQLite (the source is never opened outside it)."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()
    return dst


def prepare(work: Path) -> dict[str, Path]:
    """Base projects: pairwise (labelled, trained), the same scored, and a listwise one."""
    pair = work / "pairwise.db"
    _run([*CLI, "import", "-q", str(pair), str(_records(work / "base.jsonl", 160, 0))])
    # Label a third by hand so there is something to train on.
    db = open_db(pair, create=False)
    from labeler.session import LabelingSession
    from labeler.types import PairChoice

    session = LabelingSession(db, "seed-annotator")
    for n in range(60):
        current = session.current
        assert current is not None
        longer = len(current.responses[0].text) >= len(current.responses[1].text)
        session.submit_pairwise(PairChoice.A if longer == (n % 5 != 0) else PairChoice.B)
    db.conn.close()
    trained = _run([*CLI, "train", str(pair)])
    assert trained.returncode == 0, trained.stderr
    scored = _copy(pair, work / "scored.db")
    done = _run([*CLI, "score", str(scored)])
    assert done.returncode == 0, done.stderr

    listwise = work / "listwise.db"
    db = open_db(listwise)
    set_schema(db, LabelSchema(mode=SchemaMode.LISTWISE))
    rng = random.Random(1)
    add_items(
        db,
        [
            Item(f"rank {i} {_text(rng, 8)}", tuple(Response(_text(rng, 20)) for _ in range(4)))
            for i in range(400)
        ],
    )
    db.conn.close()
    return {"pairwise": pair, "scored": scored, "listwise": listwise}


@dataclass
class Tally:
    runs: int = 0
    ok: int = 0
    lost: int = 0
    half: int = 0
    reruns: int = 0
    notes: Counter[str] = field(default_factory=Counter)


def _label_ids(path: Path) -> set[int]:
    db = open_db(path, create=False, readonly=True)
    try:
        return {r[0] for r in db.conn.execute("SELECT id FROM labels")}
    finally:
        db.conn.close()


def _integrity(path: Path) -> bool:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return bool(conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        conn.close()


def _half_saved(path: Path, command: str, before: dict[str, int], out: Path) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        if command.startswith("label"):
            # One decision = one commit: every event of it shares its time stamp.
            groups = conn.execute(
                "SELECT action, group_concat(kind), count(*) FROM labels "
                "WHERE annotator = 'ann' GROUP BY item_id, created_at, action"
            ).fetchall()
            if command == "label-listwise":
                whole = {"ranking", "binary", "rating"}
                return sum(
                    (set(kinds.split(",")) != whole) if action == "label" else (n != 3)
                    for action, kinds, n in groups
                )
            return 0
        if command == "import":
            items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
            return int(items not in (before["items"], before["items"] + before["import_n"]))
        if command == "route":
            runs = conn.execute("SELECT count(*) FROM routing_runs").fetchone()[0]
            routed = conn.execute(
                "SELECT count(*) FROM items WHERE routed_by IS NOT NULL"
            ).fetchone()[0]
            if runs == before["runs"]:
                return int(routed != before["routed"])
            return int(routed == 0)
        if command == "score":
            # Scores and the model labels they imply are written per batch, together.
            return int(
                conn.execute(
                    "SELECT count(*) FROM labels l WHERE l.source = 'model' AND NOT EXISTS "
                    "(SELECT 1 FROM scores s WHERE s.item_id = l.item_id)"
                ).fetchone()[0]
            )
        if command == "export":
            if not out.exists():
                return 0
            names = {p.name for p in out.iterdir()}
            return int(not {"README.md", "data"} <= names)
        return 0
    finally:
        conn.close()


def _command(name: str, path: Path, work: Path, out: Path) -> list[str]:
    if name == "import":
        return [*CLI, "import", "-q", str(path), str(work / "more.jsonl")]
    if name == "score":
        return [*CLI, "score", str(path), "--batch-size", "16"]
    if name == "route":
        return [*CLI, "route", str(path), "--strategy", "margin", "--budget", "0.3"]
    if name == "export":
        return [*CLI, "export", str(path), "--format", "trl-preference", "--out", str(out)]
    kind = "listwise" if name == "label-listwise" else "pairwise"
    return [PY, "-c", LABELLER, str(path), kind]


BASES = {
    "import": "pairwise",
    "score": "pairwise",
    "route": "scored",
    "export": "scored",
    "label-pairwise": "pairwise",
    "label-listwise": "listwise",
}


def trial(name: str, bases: dict[str, Path], work: Path, rng: random.Random, span: float) -> Tally:
    tally = Tally(runs=1)
    path = _copy(bases[BASES[name]], work / f"{name}.db")
    out = work / f"{name}-export"
    before_ids = _label_ids(path)
    conn = sqlite3.connect(path)
    before = {
        "items": conn.execute("SELECT count(*) FROM items").fetchone()[0],
        "runs": conn.execute("SELECT count(*) FROM routing_runs").fetchone()[0],
        "routed": conn.execute(
            "SELECT count(*) FROM items WHERE routed_by IS NOT NULL"
        ).fetchone()[0],
        "import_n": 20_000,
    }
    conn.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _command(name, path, work, out),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    told: set[int] = set()
    deadline = time.monotonic() + rng.uniform(0.05, span)
    if proc.stdout is not None and name.startswith("label"):
        os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
        if name.startswith("label") and proc.stdout is not None:
            for line in proc.stdout.readlines():
                told.update(int(x) for x in line.split() if x.isdigit())
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    else:
        tally.notes["finished before the kill"] += 1
    proc.wait()
    if name.startswith("label") and proc.stdout is not None:
        for line in proc.stdout.readlines():  # lines written before the kill
            told.update(int(x) for x in line.split() if x.isdigit())
    if not _integrity(path):
        tally.notes["integrity"] += 1
        return tally
    tally.ok = 1
    after = _label_ids(path)
    tally.lost = len((before_ids | told) - after)
    tally.half = _half_saved(path, name, before, out)
    rerun = _run(_command(name, path, work, out), env=env, cwd=ROOT, timeout=600)
    if rerun.returncode == 0 or (name == "route" and "no" in rerun.stderr.lower()):
        tally.reruns = 1
    else:
        tally.notes[rerun.stderr.strip().splitlines()[-1][:80] if rerun.stderr else "?"] += 1
    for leftover in (path, out):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(str(leftover) + suffix).unlink(missing_ok=True)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=sorted(BASES), action="append")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="prefmark-crash-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("PREFMARK_DATA_DIR", str(work / "data"))
        started = time.monotonic()
        bases = prepare(work)
        _records(work / "more.jsonl", 20_000, 7)
        print(f"prepared in {time.monotonic() - started:.0f} s; {args.kills} kills per command")
        # How long each command runs uninterrupted: kills land anywhere inside that span.
        spans: dict[str, float] = {}
        for name in args.only or BASES:
            probe = _copy(bases[BASES[name]], work / "probe.db")
            out = work / "probe-export"
            t = time.monotonic()
            _run(_command(name, probe, work, out), cwd=ROOT, timeout=600,
                 env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
            spans[name] = max(0.3, time.monotonic() - t)
            for suffix in ("", "-wal", "-shm"):
                Path(str(probe) + suffix).unlink(missing_ok=True)
            if out.exists():
                shutil.rmtree(out)
        print(f"{'command':<16}{'span s':>8}{'ok':>6}{'lost':>6}{'half':>6}{'reruns':>8}  notes")
        total = Tally(runs=0)
        for name in args.only or BASES:
            tally = Tally(runs=0)
            for _ in range(args.kills):
                t = trial(name, bases, work, rng, spans[name])
                tally.runs += 1
                tally.ok += t.ok
                tally.lost += t.lost
                tally.half += t.half
                tally.reruns += t.reruns
                tally.notes.update(t.notes)
            total.lost += tally.lost
            total.half += tally.half
            notes = "; ".join(f"{k} x{v}" for k, v in tally.notes.items())
            print(
                f"{name:<16}{spans[name]:>8.1f}{tally.ok:>4}/{tally.runs:<2}{tally.lost:>5}"
                f"{tally.half:>6}{tally.reruns:>5}/{tally.runs:<2}  {notes}",
                flush=True,
            )
        print(f"total: {total.lost} committed labels lost, {total.half} half-saved")


if __name__ == "__main__":
    main()
