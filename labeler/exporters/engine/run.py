"""Export a project: walk the store in chunks, select and resolve labels, build, write.

Memory stays bounded by one chunk of items per process (plus one Parquet row group);
records come out in import order (a shuffled target's in its seeded order, which holds a
split file in memory: ``shuffle``), so the same project and options always give the same
bytes, on one process or several.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labeler import __version__
from labeler.exporters.engine.card import ROUTING_KEYS, CardInfo, render_card
from labeler.exporters.engine.folder import ownership, staged_export
from labeler.exporters.engine.options import ExportOptions, ExportReport, Variant
from labeler.exporters.engine.shuffle import shuffle_file
from labeler.exporters.engine.targets import TARGETS, Target, TargetKind
from labeler.exporters.engine.walk import ChunkExporter
from labeler.exporters.engine.writer import (
    MANIFEST,
    ExportError,
    JsonlWriter,
    ParquetWriter,
    SplitFile,
    SplitWriter,
)
from labeler.exporters.fast.parallel import Helpers, export_parallel, start_helpers
from labeler.exporters.formats.spec import BuildSpec
from labeler.gcpause import gc_paused
from labeler.progress import Steps, run_steps
from labeler.routing.report import routing_summary
from labeler.store.items import any_chat_items, any_images, count_items
from labeler.store.meta import get_meta, get_schema
from labeler.store.resolved import chunk_ranges

if TYPE_CHECKING:
    import sqlite_utils


def export_steps(
    db: sqlite_utils.Database, out_dir: str | Path, options: ExportOptions
) -> Steps[ExportReport]:
    """Write the project's labels to ``out_dir`` as ``options.target`` asks; see the module doc.

    Yields ``(items scanned, items)`` after each chunk and returns the report; closing the
    generator leaves no folder behind.

    The folder appears complete in one rename, or not at all (``folder``). Raises ExportError
    for an unknown target, an impossible option, a folder that is not ours to replace, a full
    disk or an empty result.
    """
    out = Path(out_dir)
    options = options.for_project(db)  # the project's conflict policy unless one was asked for
    target = TARGETS.get(options.target)
    if target is None:
        raise ExportError(f"unknown format {options.target!r}; one of {', '.join(TARGETS)}")
    if options.parquet and target.jsonl_only:
        raise ExportError(f"{target.name} is written as JSONL only, not Parquet")
    if not 0 <= options.test_size < 1:
        raise ExportError("the test share must be at least 0 and below 1")
    if options.kto_require_support and target.kind is not TargetKind.UNPAIRED:
        raise ExportError("requiring support applies to trl-unpaired only")
    if options.margin and "margin" not in target.column_docs:
        raise ExportError(
            f"a reward margin column applies to trl-preference and openrlhf, not {target.name}"
        )
    with staged_export(out) as work:
        helpers = start_helpers(db, work, options)  # None for a one-process export
        try:
            return (yield from _export(db, out, work, options, target, helpers))
        finally:
            if helpers is not None:
                helpers.close()  # before the folder moves: their part files go first


def export_project(
    db: sqlite_utils.Database, out_dir: str | Path, options: ExportOptions
) -> ExportReport:
    """``export_steps`` run to its end, for callers that show no progress."""
    return run_steps(export_steps(db, out_dir, options))


def _export(
    db: sqlite_utils.Database,
    out: Path,
    work: Path,
    options: ExportOptions,
    target: Target,
    helpers: Helpers | None,
) -> Steps[ExportReport]:
    conversational = options.variant is Variant.CONVERSATIONAL or (
        options.variant is Variant.AUTO and any_chat_items(db)
    )
    spec = target.spec_for(
        BuildSpec(
            conversational=conversational,
            bare=options.bare,
            images=any_images(db),
            keep_ties=options.keep_ties,
            pair_rule=options.pairs,
            unranked_last=get_schema(db).top_k is not None,
            image_base=str(out.resolve()),
            margin=options.margin,
        )
    )
    report = ExportReport(
        target.name,
        "conversational" if conversational else "standard",
        "parquet" if options.parquet else "jsonl",
        str(out),
    )
    started = time.perf_counter()
    if helpers is not None:
        report.files = yield from export_parallel(db, work, options, spec, target, report, helpers)
    else:
        report.files = yield from _export_here(db, work, options, spec, target, report)
    if not report.files:
        why = "; ".join(f"{n:,} {reason}" for reason, n in sorted(report.dropped.items()))
        raise ExportError(
            "nothing to export: no labelled item passed the filters" + (f" ({why})" if why else "")
        )
    if target.shuffled:
        report.files = [shuffle_file(work, f, options.seed) for f in report.files]
    report.seconds = time.perf_counter() - started
    info = _card_info(db, out, options)
    files = {f.split: f.path for f in report.files}
    extra = target.extra_files(info.name, files, spec) if target.extra_files else {}
    extra["README.md"] = render_card(target, spec, options, report, info)
    contents = {f.path: f.bytes for f in report.files}
    for name, text in extra.items():
        data = text.encode("utf-8")
        (work / name).write_bytes(data)
        contents[name] = len(data)
    (work / MANIFEST).write_bytes(_manifest(report, info, contents).encode("utf-8"))
    return report


def _export_here(
    db: sqlite_utils.Database,
    out: Path,
    options: ExportOptions,
    spec: BuildSpec,
    target: Target,
    report: ExportReport,
) -> Steps[list[SplitFile]]:
    """The one-process export (``parallel`` writes the same bytes with helpers)."""
    total = count_items(db)
    columns = target.columns(spec)
    writer: SplitWriter = ParquetWriter(out, columns) if options.parquet else JsonlWriter(out)
    exporter = ChunkExporter(options, spec, target, report, jsonl=not options.parquet)
    try:
        with gc_paused():
            for chunk in chunk_ranges(db, options.chunk_size):
                for split, pending in exporter.export_chunk(db.conn, chunk).items():
                    if isinstance(writer, JsonlWriter):
                        writer.write_lines(split, pending)
                    else:
                        writer.write(split, pending)
                yield report.items_scanned, total
        exporter.finish()
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def _card_info(db: sqlite_utils.Database, out: Path, options: ExportOptions) -> CardInfo:
    routing: dict[str, Any] = {}
    summary = routing_summary(db)
    run = summary["last_run"]
    if run is not None:
        routing.update(strategy=run["strategy"], budget=run["budget"])
        if run["params"].get("ai"):
            routing["ai_source"] = run["params"]["ai"]
    quality = summary["quality"]
    if quality is not None:  # from people's reviews of a random audit of model labels
        routing["estimated_accuracy"] = round(quality["ai_accuracy"], 4)
        routing["estimated_accuracy_ci"] = [round(x, 4) for x in quality["ai_interval"]]
        routing["audit_size"] = summary["audited"]
        routing["finished_accuracy"] = round(quality["hybrid_accuracy"], 4)
        routing["finished_accuracy_ci"] = [round(x, 4) for x in quality["hybrid_interval"]]
    for key in ROUTING_KEYS:
        value = get_meta(db, key)
        if value is not None:
            routing[key.removeprefix("routing.")] = value
    name = options.name or get_meta(db, "name") or out.resolve().name
    return CardInfo(
        name=name,
        license=options.license or get_meta(db, "license") or "unknown",
        version=__version__,
        command=options.command or options.command_line("PROJECT.db", str(out)),
        routing=routing,
    )


def _manifest(report: ExportReport, info: CardInfo, contents: dict[str, int]) -> str:
    data = {
        "prefmark_version": info.version,
        "target": report.target,
        "variant": report.variant,
        "format": report.file_format,
        "command": info.command,
        "files": [f.__dict__ for f in report.files],
        "items": {
            "scanned": report.items_scanned,
            "labelled": report.items_labelled,
            "exported": report.items_exported,
            "conflicts": report.conflicts,
            "normalised": report.normalised,
        },
        "dropped": dict(sorted(report.dropped.items())),
        "by_source": {k: dict(sorted(v.items())) for k, v in sorted(report.by_source.items())},
        "license": info.license,
        "routing": info.routing,
        **ownership(contents),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
