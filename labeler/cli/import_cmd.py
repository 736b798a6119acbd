"""``prefmark import PROJECT.db FILE...``: stream data files into a project (created if new)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from labeler.cli.common import run_workflow
from labeler.importers import parse_map_options
from labeler.types import LabelSchema, SchemaMode
from labeler.workflows.importing import ImportOptions, import_data

SHOW_PROGRESS_AFTER = 1.0  # seconds: quick imports print only their summary


@click.command("import")
@click.argument("project", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="TARGET=FIELD",
    help="Read FIELD as TARGET, e.g. --map prompt=question --map responses=ans_a,ans_b. "
    "Targets: prompt, instruction, input, messages, responses, models, response_a, response_b, "
    "model_a, model_b, chosen, rejected, completion, label, scores, ranks, images, winner.",
)
@click.option(
    "--annotator-fields",
    default="",
    metavar="F1,F2,...",
    help="Fields holding pairwise verdicts by named human annotators (1 or a = first "
    "response, 2 or b = second, 0 or tie = tie), e.g. PandaLM's annotator1,annotator2,"
    "annotator3. Each becomes a human label by that annotator.",
)
@click.option(
    "--scores-are-labels",
    is_flag=True,
    help="Treat per-response scores as the file's labels (imported as a ranking). By default "
    "scores are kept as item metadata, since they usually come from an AI judge.",
)
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Skip bad records (writing them to the reject file) instead of stopping the import. "
    "Without it one bad record rolls back the whole import.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --skip-bad writes bad records with their reason (JSONL). "
    "Default: PROJECT.rejects.jsonl beside the project.",
)
@click.option(
    "--source-name",
    help="Name recorded as each item's source and as the annotator of the file's own labels "
    "(default: the file name).",
)
@click.option(
    "--schema",
    type=click.Choice([m.value for m in SchemaMode]),
    help="Set the project's label schema. A new project without it gets listwise when any "
    "item has more than two responses, pairwise otherwise.",
)
@click.option(
    "--top-k",
    type=click.IntRange(1),
    default=None,
    help="With --schema listwise: annotators rank only the best K responses (default: all).",
)
@click.option(
    "--aspects",
    default=None,
    metavar="A,B,...",
    help="With --schema multi_aspect: the aspects rated beside 'overall' (default: "
    "helpfulness,truthfulness,harmlessness).",
)
@click.option(
    "--images-from",
    "image_folders",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder images may come from (repeatable). By default an image must lie in the "
    "folder of the file naming it; any other path is refused.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def import_command(
    project: Path,
    files: tuple[Path, ...],
    maps: tuple[str, ...],
    annotator_fields: str,
    scores_are_labels: bool,
    skip_bad: bool,
    rejects: Path | None,
    source_name: str | None,
    schema: str | None,
    top_k: int | None,
    aspects: str | None,
    image_folders: tuple[Path, ...],
    quiet: bool,
) -> None:
    """Import JSONL, JSON, CSV or Parquet FILES (gzip ok) into PROJECT.db.

    Common shapes are recognised without options: prompt + responses, prompt +
    response_a/response_b, DPO chosen/rejected (kept as imported labels), KTO
    completion/label, chat messages, Anthropic HH transcripts and ranked lists. Items are
    deduplicated by content, so importing a file twice adds nothing.
    """
    try:
        mapping = parse_map_options(
            maps,
            [f.strip() for f in annotator_fields.split(",") if f.strip()],
            scores_are_labels,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    chosen = None
    if schema is not None:
        chosen = LabelSchema(mode=SchemaMode(schema), top_k=top_k)
        if aspects:
            chosen = replace(chosen, aspects=tuple(a.strip() for a in aspects.split(",")))
    options = ImportOptions(
        files=files, mapping=mapping, skip_bad=skip_bad, rejects=rejects,
        source_name=source_name, schema=chosen, image_folders=image_folders,
    )  # fmt: skip
    job = import_data(project, options)
    report = run_workflow(job, "Importing", show=not quiet, after_s=SHOW_PROGRESS_AFTER)
    click.echo(report.summary())
