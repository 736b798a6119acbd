"""The app's hold on an open project: long-lived connections, and writes that are never lost
silently.

The window keeps one connection on the GUI thread for labels and one read-only connection for
the counts worker, for as long as the project is open, rather than reconnecting per refresh.
A decision that cannot be saved stays on screen: while another program holds the write lock it
is retried for a bounded time with a visible notice, and any other failure is said in one
sentence. No keypress is dropped without the person being told.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from labeler import db as project_db
from labeler.db_errors import Problem, classify, describe_error
from labeler.store.routes import queue_counts
from ui.workers import JobRunner, one_shot

if TYPE_CHECKING:
    import sqlite_utils

T = TypeVar("T")
GUI_BUSY_TIMEOUT_MS = 800  # the longest the window may freeze waiting for another writer
RETRY_EVERY_MS = 1000
RETRY_FOR_S = 60


class SharedReader:
    """One read-only connection for background reads, opened once, used by one job at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite_utils.Database | None = None
        self._lock = threading.Lock()

    def run(self, read: Callable[[sqlite_utils.Database], T]) -> T:
        with self._lock:
            if self._db is None:
                self._db = project_db.open_db(self.path, create=False, readonly=True)
            return read(self._db)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.conn.close()
                self._db = None


def open_for_gui(path: Path, create: bool) -> sqlite_utils.Database:
    """The GUI thread's connection: waits for another writer only briefly per attempt."""
    db = project_db.open_db(path, create=create)
    db.conn.execute(f"PRAGMA busy_timeout={GUI_BUSY_TIMEOUT_MS}")
    return db


def install_busy_policy() -> None:
    """Worker threads wait (bounded) for another program's write; the GUI thread never does
    beyond one short wait: ``GuardedWrites`` retries its decisions on a timer instead."""

    def policy(waited: float) -> bool:
        return threading.current_thread() is not threading.main_thread() and waited < 120

    project_db.on_busy(policy)


class GuardedWrites(QObject):
    """Runs the GUI's writes; a busy project is retried on a timer, other failures reported."""

    message = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self._pending: tuple[Callable[[], Any], Callable[[Any], None]] | None = None
        self._tries = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RETRY_EVERY_MS)
        self._timer.timeout.connect(self._retry)

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def cancel(self) -> None:
        self._timer.stop()
        self._pending = None

    def attempt(self, write: Callable[[], T], then: Callable[[T], None]) -> bool:
        """Run ``write`` and hand its result to ``then``; False if it was not (yet) saved."""
        if self._pending is not None:
            self.message.emit("Still saving your previous decision: wait a moment")
            return False
        self._tries = 0
        return self._run(write, then)

    def _run(self, write: Callable[[], Any], then: Callable[[Any], None]) -> bool:
        try:
            result = write()
        except (sqlite3.Error, OSError) as exc:
            problem = classify(exc)
            if problem is None:
                raise
            if problem is Problem.BUSY and self._tries * RETRY_EVERY_MS < RETRY_FOR_S * 1000:
                self._pending = (write, then)
                self._tries += 1
                self.message.emit(
                    "Another program is writing to this project: your decision will be saved "
                    "as soon as it finishes (retrying)"
                )
                self._timer.start()
                return False
            self._pending = None
            text = describe_error(exc, self.path or "project")
            if problem is Problem.DAMAGED:
                text += "; Project > Restore from backup… brings back an earlier copy"
            self.failed.emit(f"Not saved. {text}")
            return False
        self._pending = None
        then(result)
        return True

    def _retry(self) -> None:
        if self._pending is not None:
            write, then = self._pending
            if self._run(write, then):
                self.message.emit("Saved")


class CountsRefresher(QObject):
    """Queue counts (a big query at a million items) on a worker, debounced, one at a time,
    on the project's shared read connection."""

    counted = Signal(object)
    failed = Signal(object)

    def __init__(self, jobs: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self._reader: SharedReader | None = None
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._start)

    def refresh(self, reader: SharedReader | None) -> None:
        self._reader = reader
        self._timer.start()

    def _start(self) -> None:
        reader = self._reader
        if reader is None:
            return
        if "counts" in self.jobs.running_names():
            self._pending = True
            return
        job = one_shot(lambda: reader.run(queue_counts))
        self.jobs.start("counts", job, self._done, self.failed.emit, quiet=True)

    def _done(self, counts: object) -> None:
        self.counted.emit(counts)
        if self._pending:
            self._pending = False
            self._timer.start()
