"""Key press -> next item painted, on a project of 100,000 items (or --items).

Prints p50/p95 over 500 items for the GUI (targets: p95 < 25 ms; the window opens on the
project in < 1.5 s) and, measured in the same run, the raw store baseline (``next_item`` +
``record_label`` without any GUI), with the ratio between them. Then the record browser: every
item listed and its first page painted, against the bare ``SELECT seq FROM items``.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_latency.py [--items 100000]

The project is built once with ``add_items`` in chunks and cached in /tmp.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from labeler.db import open_db
from labeler.store import add_items, next_item, record_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source

SAMPLES = 500
CHUNK = 50_000
ANSWER = (
    "Here is a short answer with **markdown**, a list:\n\n- one\n- two\n\n"
    "```python\nprint('hello')\n```\n"
)


def build_project(path: Path, n: int) -> Path:
    if path.exists():
        return path
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    db = open_db(tmp)
    started = time.perf_counter()
    for start in range(0, n, CHUNK):
        items = [
            Item(
                f"Prompt {i}: explain item {i} in two sentences.",
                (Response(f"{ANSWER} A{i}"), Response(f"{ANSWER} B{i} (longer)")),
            )
            for i in range(start, min(n, start + CHUNK))
        ]
        add_items(db, items)
    db.conn.close()
    tmp.rename(path)
    print(f"built {n:,} items in {time.perf_counter() - started:.1f} s -> {path}")
    return path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def baseline(path: Path) -> list[float]:
    """The store alone: fetch the next item and write one label, as the GUI does per key."""
    db = open_db(path)
    times = []
    for _ in range(SAMPLES):
        t0 = time.perf_counter()
        found = next_item(db)
        assert found is not None
        item, _cursor = found
        record_label(
            db,
            Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "bench-baseline",
                  shown_order=(0, 1), time_ms=1),
        )  # fmt: skip
        times.append((time.perf_counter() - t0) * 1000)
    db.conn.close()
    return times


def gui(path: Path, settings_dir: Path) -> tuple[float, list[float], float]:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from ui.app import create_window

    settings = QSettings(str(settings_dir / "bench.ini"), QSettings.Format.IniFormat)
    settings.setValue("annotator", "bench-gui")
    t0 = time.perf_counter()
    window = create_window(settings, theme="light")
    window.resize(1280, 800)
    window.show()
    assert window.open_project(path)
    window.repaint()
    app.processEvents()
    open_s = time.perf_counter() - t0
    window.activateWindow()
    app.processEvents()
    pair = window.page.pair
    times = []
    for _ in range(SAMPLES):
        before = pair.item_id
        t0 = time.perf_counter()
        QTest.keyClick(window, Qt.Key.Key_A)
        pair.repaint()  # synchronous paint of the next item
        times.append((time.perf_counter() - t0) * 1000)
        assert pair.item_id != before, "the key press did not advance"
        app.processEvents()  # counts refresh etc. happen between presses, as in real use
    browse_ms = browser_open_ms(window, app)
    # Close as the app does: no job may still run on a pool thread when Python exits.
    window.close()
    window.jobs.shutdown()
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(30_000)
    window.deleteLater()
    app.processEvents()
    return open_s, times, browse_ms


def browser_open_ms(window, app) -> float:  # type: ignore[no-untyped-def]
    """Open the record browser on every item and paint its first page."""
    from PySide6.QtCore import QThreadPool

    from ui.browser.wiring import open_browser

    t0 = time.perf_counter()
    browser = open_browser(window, "all")
    assert browser is not None
    while browser.model.loading:
        QThreadPool.globalInstance().waitForDone(5)
        app.processEvents()
    browser.table.repaint()
    elapsed = (time.perf_counter() - t0) * 1000
    assert browser.model.rowCount() > 0
    browser.close()
    return elapsed


def bare_list_ms(path: Path) -> float:
    db = open_db(path, readonly=True)
    t0 = time.perf_counter()
    db.conn.execute("SELECT seq FROM items").fetchall()
    elapsed = (time.perf_counter() - t0) * 1000
    db.conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    path = build_project(Path(f"/tmp/prefmark-bench-{args.items}.db"), args.items)
    base = baseline(path)
    open_s, keys, browse_ms = gui(path, Path("/tmp"))
    bare_ms = bare_list_ms(path)
    b50, b95 = statistics.median(base), percentile(base, 0.95)
    g50, g95 = statistics.median(keys), percentile(keys, 0.95)
    print(f"project: {args.items:,} items, {SAMPLES} samples each")
    print(f"window open on project: {open_s * 1000:.0f} ms (target < 1500 ms)")
    print(f"baseline store next_item + record_label: p50 {b50:.2f} ms, p95 {b95:.2f} ms")
    print(f"GUI key press -> next item painted:      p50 {g50:.2f} ms, p95 {g95:.2f} ms "
          f"(target p95 < 25 ms)")  # fmt: skip
    print(f"ratio GUI / baseline: p50 {g50 / b50:.2f}x, p95 {g95 / b95:.2f}x")
    print(f"record browser, all items listed + first page painted: {browse_ms:.0f} ms; "
          f"bare SELECT seq FROM items: {bare_ms:.0f} ms; "
          f"ratio {browse_ms / bare_ms:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
