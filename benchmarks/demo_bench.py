"""The demo as a new user meets it: ``prefmark demo`` end to end, and ``prefmark gui --demo``
opening the scored demo, each timed as a fresh process in a fresh data folder.

Shipped path: ``prefmark prepare`` builds the encoder graph once at install time (the desktop
bundle carries it already built), then ``prefmark demo`` runs. Baseline, measured in this run:
the ``--baseline`` git revision's code (default: the code before the model speed-up), whose
first ``prefmark demo`` builds the graph itself, then a second run with it cached. Targets on
2 idle cores: the demo under 20 s including any one-time work on the user's machine, and the
app showing the scored demo under 5 s on its second opening.

The app's second opening is timed with the desktop entry point's smoke timer: from the start
of the process to the window shown on the open demo (the event loop then quits), after the
first opening's background job (train and score the demo) has run to its end; printed beside
the first opening, which creates the demo.

    python benchmarks/demo_bench.py [--baseline REV] [--no-baseline] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "a05055c"  # int8 one sequence at a time on one session, graph built on first use
DRIVE_DEMO_MODEL = (
    "from labeler.db import open_db\n"
    "from labeler.progress import run_steps\n"
    "from labeler.workflows.model_runs import train_and_score\n"
    "from ui.app import _demo_path\n"
    "db = open_db(_demo_path())\n"
    "print(run_steps(train_and_score(db, interactive=True)).summary())\n"
)


def timed(
    args: list[str], code_root: Path, data_dir: Path, until: str | None = None, **env: str
) -> tuple[float, str]:
    """Seconds of one fresh ``python ARGS`` process on ``code_root``'s code (until it prints a
    line starting with ``until``, when given), and its stdout."""
    full_env = {
        **os.environ,
        "PYTHONPATH": str(code_root),
        "PREFMARK_DATA_DIR": str(data_dir),
        "QT_QPA_PLATFORM": "offscreen",
        **env,
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args], env=full_env, cwd=code_root, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    lines = []
    elapsed = None
    for line in proc.stdout:
        lines.append(line)
        if elapsed is None and until is not None and line.startswith(until):
            elapsed = time.perf_counter() - start
    _, err = proc.communicate()
    elapsed = elapsed or time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err[-2000:]}")
    return elapsed, "".join(lines)


def checkout(rev: str, dest: Path) -> Path:
    """The tree of ``rev`` (its files only), from this clone's git history."""
    dest.mkdir(parents=True)
    archive = dest / "tree.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), rev], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(dest / "tree", filter="data")
    return dest / "tree"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the baseline")
    parser.add_argument("--no-baseline", action="store_true", help="time the shipped path only")
    parser.add_argument("--repeats", type=int, default=2, help="demo runs of each, best kept")
    args = parser.parse_args()
    cli = ["-m", "labeler.cli"]
    print(f"load average at start: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        data, old_data = scratch / "data", scratch / "old-data"
        t_prepare, _ = timed([*cli, "prepare"], ROOT, data)
        old = None if args.no_baseline else checkout(args.baseline, scratch / "baseline")
        t_old_first = None
        if old is not None:  # its first demo on a new machine builds the graph itself
            t_old_first, _ = timed([*cli, "demo", "--out", str(scratch / "o")], old, old_data)
        # Alternate the two, best of --repeats each: a shared machine's load comes and goes.
        t_demo, t_old = [], []
        for run in range(args.repeats):
            t, out = timed([*cli, "demo", "--out", str(scratch / f"n{run}")], ROOT, data)
            t_demo.append(t)
            if old is not None:
                t_old.append(
                    timed([*cli, "demo", "--out", str(scratch / f"o{run}")], old, old_data)[0]
                )
        print(f"shipped   prepare (install time) {t_prepare:5.1f} s   demo {min(t_demo):5.1f} s")
        print("          " + next(line for line in out.splitlines() if line.startswith("4.")))
        if t_old_first is not None:
            print(
                f"baseline  ({args.baseline}) first demo {t_old_first:5.1f} s (builds the graph), "
                f"again {min(t_old):5.1f} s"
            )
            print(
                f"ratio: first demo on a new machine x{t_old_first / min(t_demo):.2f} "
                f"(target < 20 s: {min(t_demo):.1f} s), with the graph built on both "
                f"x{min(t_old) / min(t_demo):.2f}"
            )

        entry = ["packaging/entry.py", "gui", "--demo"]
        smoke = {"PREFMARK_SMOKE_QUIT_MS": "1"}
        gui_data = scratch / "gui-data"
        t_first, shown = timed(entry, ROOT, gui_data, "smoke: window", **smoke)
        _, summary = timed(["-c", DRIVE_DEMO_MODEL], ROOT, gui_data)
        t_second, shown = timed(entry, ROOT, gui_data, "smoke: window", **smoke)
        if "smoke: window" not in shown:
            raise SystemExit(f"the app showed no window: {shown!r}")
        print(
            f"gui --demo: window on the scored demo in {t_second:4.1f} s at the second opening "
            f"(target < 5 s), x{t_first / t_second:.2f} against the first opening, which creates "
            f"the demo ({t_first:4.1f} s); the model job between: {summary.strip()}"
        )
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
