"""How long-running core work reports progress: as a generator of ``(done, total)`` steps.

Import, export, scoring, training and simulation are all generators that yield ``(done,
total)`` and return their report; nothing in the core takes a progress callback. A front end
drives the generator (the CLI with a progress bar, the app on its worker thread) and cancels by
closing it: the ``GeneratorExit`` unwinds the work where it stands, rolling back its
transaction. ``run_steps`` runs one to its end for callers that do not show progress.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TypeVar

T = TypeVar("T")
Progress = tuple[int, int]
Steps = Generator[Progress, None, T]


def run_steps(steps: Steps[T], on_progress: Callable[[int, int], None] | None = None) -> T:
    """Run ``steps`` to its end, handing each ``(done, total)`` to ``on_progress``."""
    try:
        while True:
            done, total = next(steps)
            if on_progress is not None:
                on_progress(done, total)
    except StopIteration as stop:
        result: T = stop.value
        return result
