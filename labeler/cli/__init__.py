"""``prefmark``: the headless front end. One module per command; the project file comes first."""

from __future__ import annotations

import importlib

import click

# command name -> "module:function"; modules are imported lazily so `prefmark --help` stays fast
# and commands that need a model load it only when they run.
COMMANDS: dict[str, str] = {
    "import": "labeler.cli.import_cmd:import_command",
    "stats": "labeler.cli.stats_cmd:stats_command",
    "demo": "labeler.cli.demo_cmd:demo_command",
    "gui": "labeler.cli.gui_cmd:gui_command",
    "score": "labeler.cli.score_cmd:score_command",
    "train": "labeler.cli.score_cmd:train_command",
    "route": "labeler.cli.route_cmd:route_command",
    "export": "labeler.cli.export_cmd:export_command",
    "check": "labeler.cli.check_cmd:check_command",
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


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """The version, the licences of what ships inside, and where files live."""
    if not value or ctx.resilient_parsing:
        return
    from labeler.about import about_lines

    click.echo("\n".join(about_lines()))
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
