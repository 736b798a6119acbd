"""``prefmark check PROJECT``: is the file healthy, and if not, how to get the work back."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from labeler.backups import (
    BackupError,
    backup_dir,
    check_file,
    good_backups,
    list_backups,
    restore_backup,
)
from labeler.db import ProjectFileError

SHOWN_PROBLEMS = 5


@click.command("check")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--restore",
    "backup",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Replace PROJECT's contents with this backup (a path, or a file name the check "
    "lists). The current state is backed up first, so the restore can be undone. Close the "
    "project in the app first.",
)
def check_command(project: Path, backup: Path | None) -> None:
    """Check PROJECT for damage (SQLite's integrity and foreign-key checks), read-only.

    Exits 0 when it is healthy. When it is damaged, lists the newest backups that pass the
    check and how to restore one, and exits 1.
    """
    if backup is not None:
        _restore(project, backup)
        return
    try:
        result = check_file(project, full=True)
    except ProjectFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.ok:
        click.echo(f"{project}: ok ({result.items:,} items, {result.labels:,} labels)")
        return
    click.echo(f"{project}: damaged; SQLite reports:")
    for line in result.problems[:SHOWN_PROBLEMS]:
        click.echo(f"  {line}")
    if len(result.problems) > SHOWN_PROBLEMS:
        click.echo(f"  … and {len(result.problems) - SHOWN_PROBLEMS} more")
    _print_recovery(project)
    sys.exit(1)


def _print_recovery(project: Path) -> None:
    """The recipe, best option first: a good backup, then SQLite's own salvage."""
    quoted = shlex.quote(str(project))
    click.echo("")
    click.echo("How to recover:")
    good = good_backups(project)
    if good:
        click.echo("  1. Restore a backup. The newest backups that pass the check:")
        for backup in good:
            click.echo(f"       {backup.describe()}")
            click.echo(f"         {backup.path}")
        click.echo("     In the app: Project > Restore from backup…")
        click.echo(f"     From the terminal: prefmark check {quoted} --restore BACKUP")
        click.echo("     The damaged state is backed up first, so a restore can be undone.")
    else:
        click.echo(f"  1. No backup that passes the check was found in {backup_dir(project)}.")
    recovered = shlex.quote(str(project.with_name(f"{project.stem}-recovered{project.suffix}")))
    click.echo("  2. As a last resort, salvage what SQLite can still read into a new file:")
    click.echo(f'       sqlite3 {quoted} ".recover" | sqlite3 {recovered}')
    click.echo("     then check and open that file; the damaged file is left as it is.")


def _find_backup(project: Path, backup: Path) -> Path:
    """A path as given, or the name of one of the project's backups."""
    if backup.is_file():
        return backup
    for listed in list_backups(project):
        if listed.path.name == backup.name:
            return listed.path
    raise click.ClickException(f"{backup}: no such backup (see `prefmark check {project}`)")


def _restore(project: Path, backup: Path) -> None:
    source = _find_backup(project, backup)
    try:
        result = restore_backup(source, project)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{project}: restored from {source.name} ({result.items:,} items, "
        f"{result.labels:,} labels)"
    )
    click.echo(f"The state before the restore is kept as {result.saved}")
