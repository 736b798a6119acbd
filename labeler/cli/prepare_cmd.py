"""``prefmark prepare``: get the default model ready on this machine, once, at install time."""

from __future__ import annotations

import time

import click


@click.command("prepare")
@click.option(
    "--fp32", is_flag=True, help="Prepare the fp32 encoder too (what `train --fp32` uses)."
)
def prepare_command(fp32: bool) -> None:
    """Build the default model's encoder graph for this machine from the weights prefmark
    carries (no network), so the first demo, train or score starts at once. Commands do this
    themselves on first use when it was not done; running it again does nothing."""
    from labeler.workflows.models import prepare_default_model

    for int8 in (True, False) if fp32 else (True,):
        start = time.monotonic()
        path, built = prepare_default_model(int8=int8)
        took = f"built in {time.monotonic() - start:.1f} s" if built else "already built"
        click.echo(f"default model encoder ({'int8' if int8 else 'fp32'}): {took}, {path}")
