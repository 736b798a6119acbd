"""``prefmark``: the headless front end. One module per command; the project file comes first."""

from __future__ import annotations

import importlib
import sqlite3
import sys
import warnings
from typing import Any

import click

from labeler.db_errors import Problem, classify, describe_error
from labeler.logs import log_failure

BUSY_WAIT_S = 60.0

# command name -> "module:function"; modules are imported lazily so `prefmark --help` stays fast
# and commands that need a model load it only when they run.
COMMANDS: dict[str, str] = {
    "import": "labeler.cli.import_cmd:import_command",
    "stats": "labeler.cli.stats_cmd:stats_command",
    "demo": "labeler.cli.demo_cmd:demo_command",
    "prepare": "labeler.cli.prepare_cmd:prepare_command",
    "gui": "labeler.cli.gui_cmd:gui_command",
    "score": "labeler.cli.score_cmd:score_command",
    "train": "labeler.cli.score_cmd:train_command",
    "route": "labeler.cli.route_cmd:route_command",
    "export": "labeler.cli.export_cmd:export_command",
    "check": "labeler.cli.check_cmd:check_command",
    "settings": "labeler.cli.settings_cmd:settings_command",
    "assign": "labeler.cli.team_cmd:assign_command",
    "merge": "labeler.cli.team_cmd:merge_command",
    "gold": "labeler.cli.team_cmd:gold_command",
}


class LazyGroup(click.Group):
    """Lists every command but imports a command's module only when it is used or shown."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run a command; a locked, full, read-only or damaged project ends in one sentence."""
        from labeler import db

        project = _project_argument(self, ctx)
        db.on_busy(_BusyNotice(project))
        try:
            return super().invoke(ctx)
        except (sqlite3.Error, OSError) as exc:
            problem = classify(exc)
            if problem is None:
                log_failure(f"prefmark {ctx.invoked_subcommand}", exc)
                raise
            where = getattr(exc, "filename", None) or project or "project"
            message = describe_error(exc, where)
            if problem is Problem.DAMAGED and project:
                message += f"; run `prefmark check {project}` to see what can be recovered"
            raise click.ClickException(message) from None
        finally:
            db.on_busy(None)


def _project_argument(group: click.Group, ctx: click.Context) -> str | None:
    """The PROJECT argument of the command about to run, parsed leniently (no errors)."""
    with warnings.catch_warnings():  # click 8.2 renamed the attribute; both spell it so
        warnings.simplefilter("ignore", DeprecationWarning)
        rest = [*ctx.protected_args, *ctx.args]
    if not rest:
        return None
    name, command, args = group.resolve_command(ctx, rest)
    if command is None or name is None:
        return None
    with command.make_context(name, list(args), parent=ctx, resilient_parsing=True) as sub:
        project = sub.params.get("project")
    return None if project is None else str(project)


class _BusyNotice:
    """While another program holds the project's write lock: say so once, wait up to a bound."""

    def __init__(self, project: str | None) -> None:
        self.project = project or "the project"
        self.told = False

    def __call__(self, waited: float) -> bool:
        if waited >= BUSY_WAIT_S:
            return False
        if not self.told:
            self.told = True
            click.echo(
                f"{self.project}: another program is writing to this project; "
                f"waiting for it (up to {BUSY_WAIT_S:.0f} s)...",
                file=sys.stderr,
            )
        return True


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """The version, the licences of what ships inside, and where files live."""
    if not value or ctx.resilient_parsing:
        return
    from labeler.about import about_lines
    from labeler.workflows.models import runtime_summary

    click.echo("\n".join([*about_lines(), f"runtime  {runtime_summary()}"]))
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, the licences of the bundled model and data, and where the "
    "model cache and demo project live; then exit.",
)
def main() -> None:
    """Build LLM preference datasets: import, label, score, route and export.

    Every command takes the project file (one SQLite file) first, e.g.
    `prefmark import project.db data.jsonl`.
    """
