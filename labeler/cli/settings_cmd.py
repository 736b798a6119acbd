"""``prefmark settings PROJECT.db``: show the project's settings, or change one.

The conflict policy decides which label counts when people disagree on an item; training,
``stats``, review, routing, the simulation and ``export`` all follow it
(``labeler.resolution``), so it is stored in the project rather than given per command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from labeler.cli.common import open_project_or_fail
from labeler.resolution import ConflictPolicy, policy_lines
from labeler.store.meta import UnknownPolicyError, get_conflict_policy, set_conflict_policy


def settings_lines(db: Any) -> list[str]:
    """The settings as the command prints them."""
    try:
        policy = get_conflict_policy(db)
    except UnknownPolicyError as exc:
        raise click.ClickException(str(exc)) from exc
    return policy_lines(policy)


@click.command("settings")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--conflicts",
    type=click.Choice([p.value for p in ConflictPolicy]),
    default=None,
    help="When people's labels of an item disagree: majority (the most common verdict; a tie "
    "goes to the latest label), latest (the latest label), drop (leave the item out), or "
    "dawid-skene (the verdict most likely right, weighing each annotator and AI source by "
    "its reliability estimated from all their labels). "
    "Training, stats, routing, the simulation and export all follow it; `prefmark export "
    "--conflicts` overrides it for one export.",
)
def settings_command(project: Path, conflicts: str | None) -> None:
    """Show PROJECT's settings, or change them with an option.

    \b
      prefmark settings P.db
      prefmark settings P.db --conflicts drop
    """
    if conflicts is None:
        db = open_project_or_fail(project, create=False, readonly=True)
    else:
        db = open_project_or_fail(project, create=False)
        set_conflict_policy(db, ConflictPolicy(conflicts))
    try:
        click.echo(f"{project}:")
        for line in settings_lines(db):
            click.echo(f"  {line}")
    finally:
        db.conn.close()
