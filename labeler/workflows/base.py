"""What every workflow shares: its type, its error, and how a callback-style core call is run
as a generator."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar

T = TypeVar("T")
Progress = tuple[int, int]
Workflow = Generator[Progress, None, T]
ProgressFn = Callable[[int, int], None]


class WorkflowError(Exception):
    """A workflow failed for a reason a person can act on; ``detail`` adds the offending line."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class Cancelled(Exception):
    """Raised inside a core call from its progress callback once the workflow was closed."""


def drive(job: Workflow[T], on_progress: ProgressFn | None = None) -> T:
    """Run a workflow to its end, handing each progress report to ``on_progress``."""
    try:
        while True:
            done, total = next(job)
            if on_progress is not None:
                on_progress(done, total)
    except StopIteration as stop:
        result: T = stop.value
        return result


def run_with_progress(fn: Callable[[ProgressFn], T], name: str = "job") -> Workflow[T]:
    """Run ``fn(progress)`` on a helper thread and yield what it reports, latest first.

    For core calls that report through a callback (import, export, simulation). Closing the
    generator (cancel) makes the next ``progress`` call raise ``Cancelled`` inside ``fn`` and
    waits for ``fn`` to unwind, so its connection and transaction are gone before this ends.
    """
    updates: queue.Queue[Progress | None] = queue.Queue()
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if cancel.is_set():
            raise Cancelled
        updates.put((done, total))

    def target() -> None:
        try:
            outcome["value"] = fn(progress)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread below
            outcome["error"] = exc
        finally:
            updates.put(None)

    thread = threading.Thread(target=target, name=f"prefmark-{name}", daemon=True)
    thread.start()
    try:
        finished = False
        while not finished:
            latest = updates.get()
            # Skip progress that is already stale, but only what is queued now: a fast
            # producer must not keep this loop from ever yielding.
            for _ in range(updates.qsize()):
                if latest is None:
                    break
                nxt = updates.get()
                if nxt is None:
                    finished = True
                    break
                latest = nxt
            if latest is None:
                break
            yield latest
    finally:
        cancel.set()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["value"]
    return result
