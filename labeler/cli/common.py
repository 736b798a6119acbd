"""Helpers shared by the CLI commands: opening a project with a one-line error, and driving a
workflow under a progress bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from labeler.db import ProjectFileError, open_db
from labeler.workflows import Workflow, WorkflowError

T = TypeVar("T")

if TYPE_CHECKING:
    import sqlite_utils


def open_project_or_fail(
    path: Path, *, create: bool = True, readonly: bool = False
) -> sqlite_utils.Database:
    """Open PROJECT or exit with a one-line reason (click prints it to stderr, exit 1).

    Commands that only read (``stats``, ``export``) open read-only: they never write to the
    file, so they never convert a foreign file or upgrade a project behind the user's back.
    """
    try:
        return open_db(path, create=create, readonly=readonly)
    except ProjectFileError as exc:
        raise click.ClickException(str(exc)) from exc


def progress_bar(length: int, label: str, **kwargs: Any) -> Any:
    """A progress bar on stderr, shown only on a terminal (a pipe or log gets no bar lines)."""
    return click.progressbar(
        length=length, label=label, file=sys.stderr, hidden=not sys.stderr.isatty(), **kwargs
    )


def run_workflow(
    job: Workflow[T],
    label: str,
    *,
    show: bool = True,
    after_s: float = 0.0,
    steps: bool = False,
    describe: Callable[[int, int], str] | None = None,
) -> T:
    """Drive a workflow to its report under a progress bar on stderr (shown on a terminal,
    once it has run ``after_s`` seconds; with ``steps``, one line per step instead, followed
    by ``describe(done, total)`` when given); its error becomes one line and exit status 1."""
    started = time.monotonic()
    bar: Any = None
    shown = 0
    try:
        while True:
            done, total = next(job)
            if steps:  # one line per step instead of a bar
                if total and done:
                    more = f": {describe(done, total)}" if describe else ""
                    click.echo(f"{label} ({done}/{total}){more}", err=True)
                continue
            if not show or time.monotonic() - started < after_s:
                continue
            if bar is None:
                bar = progress_bar(max(total, 1), label, show_pos=True)
                bar.__enter__()
            bar.length = max(total, 1)
            bar.update(max(done - shown, 0))
            shown = max(done, shown)
    except StopIteration as stop:
        result: T = stop.value
        return result
    except WorkflowError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
