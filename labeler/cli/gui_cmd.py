"""``prefmark gui [PROJECT.db] [--demo]``: open the desktop app."""

from __future__ import annotations

import importlib
from pathlib import Path

import click


@click.command("gui")
@click.argument("project", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Open the bundled demo project (created on first use).")
def gui_command(project: Path | None, demo: bool) -> None:
    """Open PROJECT (or the start screen, or the bundled demo with --demo) in the desktop app."""
    if project is not None and demo:
        raise click.UsageError("give either a PROJECT or --demo, not both")
    try:
        app = importlib.import_module("ui.app")
    except ImportError as exc:  # PySide6 missing or no display libraries
        raise click.ClickException(f"the desktop app cannot start: {exc}") from exc
    try:
        code = app.run_gui(project, demo=demo)
    except app.QtCannotStart as exc:  # a system library Qt needs is missing
        raise click.ClickException(str(exc)) from exc
    raise SystemExit(code)
