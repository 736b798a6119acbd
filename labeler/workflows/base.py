"""What every workflow shares: its type and its error.

A workflow is a generator of ``(done, total)`` progress steps that returns a typed report
(``labeler.progress``); the core work it composes reports progress the same way, so a workflow
only ``yield from``s it and the app needs no extra thread to watch a core call.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

from labeler.progress import Progress, run_steps

T = TypeVar("T")
Workflow = Generator[Progress, None, T]
drive = run_steps
__all__ = ["Progress", "Workflow", "WorkflowError", "drive"]


class WorkflowError(Exception):
    """A workflow failed for a reason a person can act on; ``detail`` adds the offending line."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
