"""Export the project's labels in a trainer's format (the folder appears whole or not at all)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils

    from labeler.exporters import ExportOptions, ExportReport


def export(
    db: sqlite_utils.Database, out_dir: Path, options: ExportOptions
) -> Workflow[ExportReport]:
    """Write ``options.target`` records to ``out_dir``; progress counts items walked."""
    from labeler.exporters import ExportError, export_steps

    yield 0, 0
    try:
        return (yield from export_steps(db, out_dir, options))
    except ExportError as exc:
        raise WorkflowError(str(exc)) from exc
