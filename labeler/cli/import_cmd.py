"""``prefmark import PROJECT.db FILE...``: stream data files into a project (created if new)."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from labeler.cli.common import open_project_or_fail
from labeler.db import ProjectFileError
from labeler.importers import ImportFailed, ImportReport, import_files, parse_map_options
from labeler.new_project import ProjectAppearedError, building_new_project
from labeler.store.meta import get_meta, set_schema
from labeler.types import LabelSchema, SchemaMode

if TYPE_CHECKING:
    import sqlite_utils

SHOW_PROGRESS_AFTER = 1.0  # seconds: quick imports print only their summary


class _LazyBar:
    """A click progress bar that appears only once an import has run for a second."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._started = time.monotonic()
        self._bar: Any = None
        self._shown = 0

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._started < SHOW_PROGRESS_AFTER:
                return
            self._bar = click.progressbar(
                length=max(total, 1), label="Importing", file=sys.stderr, show_eta=True
            )
            self._bar.__enter__()
        self._bar.update(max(done - self._shown, 0))
        self._shown = max(done, self._shown)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


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
    help="Fields holding pairwise verdicts by named human annotators (1 = first response, "
    "2 = second, 0 = tie), e.g. PandaLM's annotator1,annotator2,annotator3. Each becomes a "
    "human label by that annotator.",
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
    for path in files:
        if not path.is_file():
            raise click.ClickException(f"{path}: no such file")
    if skip_bad and rejects is None:
        rejects = project.with_name(project.name + ".rejects.jsonl")

    def run(db: sqlite_utils.Database) -> ImportReport:
        bar = _LazyBar(not quiet)
        try:
            report = import_files(
                db,
                files,
                mapping=mapping,
                skip_bad=skip_bad,
                reject_path=rejects,
                progress=bar,
                source_name=source_name,
            )
        except ImportFailed as exc:
            raise click.ClickException(f"{exc} (nothing was imported)") from None
        finally:
            bar.close()
        _apply_schema(db, report, schema, top_k, aspects)
        return report

    if not project.exists():
        try:
            with building_new_project(project) as db:
                report = run(db)
            click.echo(report.summary())
            return
        except ProjectFileError as exc:
            raise click.ClickException(str(exc)) from None
        except ProjectAppearedError:
            pass  # another program made the project meanwhile: add to it below
    db = open_project_or_fail(project)
    try:
        report = run(db)
    finally:
        db.conn.close()
    click.echo(report.summary())


def _apply_schema(
    db: sqlite_utils.Database,
    report: ImportReport,
    schema: str | None,
    top_k: int | None,
    aspects: str | None,
) -> None:
    if schema is not None:
        chosen = LabelSchema(mode=SchemaMode(schema), top_k=top_k)
        if aspects:
            chosen = replace(chosen, aspects=tuple(a.strip() for a in aspects.split(",")))
        set_schema(db, chosen)
    elif get_meta(db, "label_schema") is None:  # a new project: pick from what came in
        mode = SchemaMode.LISTWISE if report.max_responses > 2 else SchemaMode.PAIRWISE
        set_schema(db, LabelSchema(mode=mode))
