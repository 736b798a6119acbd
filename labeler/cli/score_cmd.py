"""``prefmark train`` and ``prefmark score``: the project's reward model, trained and applied."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from labeler.cli.common import open_project_or_fail, run_workflow
from labeler.workflows import model_runs

threads_option = click.option(
    "--threads", type=click.IntRange(1), default=None,
    help="onnxruntime threads (default: every core).",
)  # fmt: skip


@click.command("train")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--heads",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Bootstrap ensemble size; the spread of the heads is the model's uncertainty.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the bootstrap.")
@click.option(
    "--int8/--fp32",
    default=True,
    show_default=True,
    help="Encoder precision: int8 is about twice as fast with the same accuracy (within a "
    "point); scoring then uses the same encoder.",
)
@threads_option
def train_command(project: Path, heads: int, seed: int, int8: bool, threads: int | None) -> None:
    """Train the built-in default reward model on PROJECT's human labels.

    Embeds each labelled response once with the bundled MiniLM encoder (cached in the
    project), then fits a Bradley-Terry head ensemble on the human preferences: pairwise
    labels, rankings (as pairs) and thumbs (up beats down). Model labels are never trained on.
    """
    from labeler.workflows.models import encoder_note

    db = open_project_or_fail(project, create=False)
    if note := encoder_note(int8):
        click.echo(note, err=True)
    job = model_runs.train(db, heads=heads, seed=seed, int8=int8, threads=threads)
    click.echo(run_workflow(job, "embedding and fitting").summary())
    click.echo(f"score with `prefmark score {project}`")


@click.command("score")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model",
    "model",
    default="default",
    show_default=True,
    help="'default' (the project's trained default model) or a folder holding "
    "model.onnx and tokenizer.json (an ONNX sequence-classification reward model).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=64,
    show_default=True,
    help="Items per committed batch (an interruption loses at most one batch).",
)
@click.option(
    "--int8/--fp32",
    default=None,
    help="Encoder precision for the default model (default: the one it was trained with).",
)
@threads_option
def score_command(
    project: Path, model: str, batch_size: int, int8: bool | None, threads: int | None
) -> None:
    """Score every unscored response in PROJECT and write model labels.

    Rewards (and the ensemble's uncertainty) are cached per model version; an interrupted
    run resumes without rescoring what is done. Each item gets a model label: for two
    responses the likelier side with P(A better) = sigmoid(r_a - r_b) as confidence; for more,
    the full order by reward.
    """
    db = open_project_or_fail(project, create=False)
    job = model_runs.score(db, model=model, batch_size=batch_size, int8=int8, threads=threads)
    try:
        click.echo(run_workflow(job, "scoring").summary())
    except KeyboardInterrupt:
        # The model may still be running in native code on a helper thread, which tearing
        # down the interpreter would crash: say what happened and leave at once. Every
        # committed batch is kept; the batch in flight was never written.
        click.echo("Interrupted: the batches already scored are kept.", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
