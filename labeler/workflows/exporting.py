"""Export the project's labels in a trainer's format (the folder appears whole or not at all)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from labeler.workflows.base import ProgressFn, Workflow, WorkflowError, run_with_progress

if TYPE_CHECKING:
    import sqlite_utils

    from labeler.exporters import ExportOptions, ExportReport


def export(
    db: sqlite_utils.Database, out_dir: Path, options: ExportOptions
) -> Workflow[ExportReport]:
    """Write ``options.target`` records to ``out_dir``; progress counts items walked."""
    from labeler.exporters import ExportError, export_project

    def work(progress: ProgressFn) -> ExportReport:
        return export_project(db, out_dir, options, progress)

    yield 0, 0
    try:
        return (yield from run_with_progress(work, "export"))
    except ExportError as exc:
        raise WorkflowError(str(exc)) from exc
