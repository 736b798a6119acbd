"""Helpers shared by the CLI commands: opening a project with a one-line error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from labeler.db import ProjectFileError, open_db

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
