"""Background jobs: a core generator run on a pool thread, reporting progress to the GUI.

Jobs are plain generators yielding ``(done, total)`` and returning a result, so the CLI, tests
and the GUI drive the same code. The GUI's SQLite connection never leaves the GUI thread: a job
that needs the project opens its own connection (WAL lets it read while the GUI writes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from labeler.db_errors import classify, describe_error
from labeler.logs import log_failure

Job = Callable[[], Iterator[tuple[int, int]]]


class WorkerSignals(QObject):
    """Created on the GUI thread, so connected slots run there."""

    progress = Signal(int, int)
    result = Signal(object)
    error = Signal(object)
    cancelled = Signal()
    finished = Signal()


class ProjectProblem(Exception):
    """A job met a locked, full, read-only or damaged project: said in one sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def in_words(exc: Exception, project: Path | None) -> Exception:
    """An SQLite failure (raised, or the cause of a job's error) as one sentence naming the
    project and what to do; anything else as it is."""
    for cause in (exc, exc.__cause__):
        if isinstance(cause, sqlite3.Error) and classify(cause) is not None:
            return ProjectProblem(describe_error(cause, project or "the project"))
    return exc


class GeneratorWorker(QRunnable):
    def __init__(self, job: Job, project: Path | None = None, name: str = "job") -> None:
        super().__init__()
        self.signals = WorkerSignals()
        self.project = project
        self.name = name
        self._job = job
        self._cancelled = False
        self.setAutoDelete(False)

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        self._cancelled = True  # cooperative: checked between the job's steps

    def run(self) -> None:
        try:
            gen = self._job()
            while not self._cancelled:
                self.signals.progress.emit(*next(gen))
            gen.close()  # type: ignore[attr-defined]
            self.signals.cancelled.emit()
        except StopIteration as stop:
            self.signals.result.emit(stop.value)
        except Exception as exc:  # noqa: BLE001 - delivered to the GUI, never swallowed
            log_failure(f"background job {self.name!r}", exc)
            self.signals.error.emit(in_words(exc, self.project))
        finally:
            self.signals.finished.emit()


def one_shot(fn: Callable[[], Any]) -> Job:
    """A job from a plain function: one step, its return value the result."""

    def job() -> Generator[tuple[int, int], None, Any]:
        yield 0, 1
        return fn()

    return job


class JobRunner(QObject):
    """Starts jobs, keeps each worker alive until it finishes, and cancels them on close."""

    started = Signal(str)
    progressed = Signal(str, int, int)
    ended = Signal(str)
    cancelled = Signal(str)

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self.project: Path | None = None  # named in the one-sentence errors of its jobs
        self._running: dict[GeneratorWorker, str] = {}
        self._shown: set[GeneratorWorker] = set()  # the jobs that are not quiet

    @property
    def busy(self) -> bool:
        return bool(self._running)

    @property
    def shown_busy(self) -> bool:
        """A job the person started (not a quiet refresh) is running."""
        return bool(self._shown)

    def start(
        self,
        name: str,
        job: Job,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        quiet: bool = False,
        on_finished: Callable[[], None] | None = None,
    ) -> GeneratorWorker:
        """Run ``job``; ``quiet`` jobs (quick refreshes) stay out of the status bar.
        ``on_finished`` runs however it ends; it is connected before the job starts, since a
        quick job can finish before a connection made afterwards."""
        worker = GeneratorWorker(job, self.project, name)
        self._running[worker] = name
        if not quiet:
            self._shown.add(worker)
            worker.signals.progress.connect(lambda d, t: self.progressed.emit(name, d, t))
            worker.signals.cancelled.connect(lambda: self.cancelled.emit(name))
            self.started.emit(name)
        if on_result is not None:
            worker.signals.result.connect(on_result)
        if on_error is not None:
            worker.signals.error.connect(on_error)
        worker.signals.finished.connect(lambda: self._finish(worker, quiet))
        if on_finished is not None:
            worker.signals.finished.connect(on_finished)
        self.pool.start(worker)
        return worker

    def _finish(self, worker: GeneratorWorker, quiet: bool) -> None:
        name = self._running.pop(worker, "")
        self._shown.discard(worker)
        if not quiet:
            self.ended.emit(name)

    def running_names(self) -> list[str]:
        return list(self._running.values())

    def cancel(self, name: str | None = None) -> None:
        """Cancel the running jobs shown in the status bar (or one by name)."""
        for worker, job_name in list(self._running.items()):
            if name is None or job_name == name:
                worker.cancel()

    def cancel_all(self) -> None:
        for worker in list(self._running):
            worker.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        self.cancel_all()
        self.pool.waitForDone(timeout_ms)
