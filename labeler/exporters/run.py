"""Export a project: walk the store in chunks, select and resolve labels, build, write.

Memory stays bounded by one chunk of items (plus one Parquet row group); records come out
in import order, so the same project and options always give the same bytes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from labeler import __version__
from labeler.exporters.card import ROUTING_KEYS, CardInfo, render_card
from labeler.exporters.example import decode_value, to_example
from labeler.exporters.options import ExportOptions, ExportReport, Variant
from labeler.exporters.policies import (
    SourceFilter,
    candidates,
    item_passes,
    label_passes,
    resolve,
    splitter,
)
from labeler.exporters.spec import BuildSpec
from labeler.exporters.targets import TARGETS, Target, TargetKind
from labeler.exporters.unpair import supported
from labeler.exporters.writer import (
    MANIFEST,
    ExportError,
    JsonlWriter,
    ParquetWriter,
    SplitWriter,
    encode_record,
    prepare_folder,
)
from labeler.gcpause import gc_paused
from labeler.routing.report import routing_summary
from labeler.store import export_queries as q
from labeler.store.export_queries import LabelRow
from labeler.store.meta import get_meta, get_schema

Progress = Callable[[int, int], None]
"""Called with (items scanned, total items) after each chunk."""


def export_project(
    db: sqlite_utils.Database,
    out_dir: str | Path,
    options: ExportOptions,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the project's labels to ``out_dir`` as ``options.target`` asks; see the module doc.

    Raises ExportError for an unknown target, an impossible option or an empty result.
    """
    out = Path(out_dir)
    target = TARGETS.get(options.target)
    if target is None:
        raise ExportError(f"unknown format {options.target!r}; one of {', '.join(TARGETS)}")
    if options.parquet and target.jsonl_only:
        raise ExportError(f"{target.name} is JSONL only; leave out --parquet")
    if not 0 <= options.test_size < 1:
        raise ExportError("--test-size must be at least 0 and below 1")
    if options.kto_require_support and target.kind is not TargetKind.UNPAIRED:
        raise ExportError("--kto-require-support applies to trl-unpaired only")
    conversational = options.variant is Variant.CONVERSATIONAL or (
        options.variant is Variant.AUTO and q.any_chat_items(db)
    )
    spec = target.spec_for(
        BuildSpec(
            conversational=conversational,
            bare=options.bare,
            images=q.any_images(db),
            keep_ties=options.keep_ties,
            pair_rule=options.pairs,
            unranked_last=get_schema(db).top_k is not None,
        )
    )
    columns = target.columns(spec)
    prepare_folder(out)
    writer: SplitWriter = ParquetWriter(out, columns) if options.parquet else JsonlWriter(out)
    report = ExportReport(
        target.name, "conversational" if conversational else "standard", writer.extension, str(out)
    )
    started = time.perf_counter()
    try:
        with gc_paused():
            _walk(db, options, spec, target, writer, report, progress)
        report.files = writer.close()
    except BaseException:
        writer.abort()
        raise
    if not report.files:
        raise ExportError("nothing to export: no labelled item passed the filters")
    report.seconds = time.perf_counter() - started
    info = _card_info(db, out, options)
    files = {f.split: f.path for f in report.files}
    extra = target.extra_files(info.name, files, spec) if target.extra_files else {}
    for name, text in extra.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
    (out / "README.md").write_text(
        render_card(target, spec, options, report, info), encoding="utf-8", newline="\n"
    )
    (out / MANIFEST).write_text(_manifest(report, options, info), encoding="utf-8", newline="\n")
    return report


def _walk(
    db: sqlite_utils.Database,
    options: ExportOptions,
    spec: BuildSpec,
    target: Target,
    writer: SplitWriter,
    report: ExportReport,
    progress: Progress | None,
) -> None:
    sel = options.selection()
    total = q.count_items(db)
    strict = options.kto_require_support
    policy = options.conflicts
    build = target.build
    # JSONL gets encoded lines (so the pre-encoded fast path can mix in); Parquet gets dicts.
    jsonl = isinstance(writer, JsonlWriter)
    fast = None
    if jsonl and target.fast_lines is not None and not strict:
        fast = target.fast_lines(spec, encode_record)
    out: dict[str, list[Any]] = {"train": [], "test": []}
    tally: dict[tuple[str, str], int] = {}  # (split, label source) -> records
    filter_items = bool(sel.routes or sel.tags)
    by_annotator = bool(sel.annotators)
    check_labels = sel.source is not SourceFilter.ALL or sel.min_confidence is not None
    split_of = splitter(options.test_size, options.seed)
    done = exported = labelled = 0
    for scanned, rows in q.iter_export_chunks(db, options.chunk_size):
        done += scanned
        for row in rows:
            labelled += 1
            if filter_items and not item_passes(row, sel):
                report.drop("items outside the route/tag filters")
                continue
            labels = candidates(row.labels, sel) if by_annotator else row.labels
            label: LabelRow | None
            if len(labels) == 1:  # the common case, without a call
                label, conflict = labels[0], False
            else:
                label, conflict = (
                    resolve(labels, policy, row.ai_source) if labels else (None, False)
                )
                if conflict:
                    report.conflicts += 1
            if label is None:
                report.drop("conflicts dropped" if conflict else "items without a chosen label")
                continue
            if check_labels and not label_passes(label, sel, row.route):
                report.drop("labels outside the source/confidence filters")
                continue
            if fast is not None:
                line = fast(row, label)
                if line is not None:
                    split = split_of(row.prompt)
                    out[split].append(line)
                    key = (split, label.source)
                    tally[key] = tally.get(key, 0) + 1
                    exported += 1
                    continue
            support = None
            if strict:
                others = [decode_value(x.kind, x.value) for x in labels if x is not label]
                support = supported(others, unranked_last=spec.unranked_last)
            records: list[Any] = build(to_example(row, label, support), spec)
            if not records:
                report.drop("items giving no record (ties, both bad, no order)")
                continue
            split = split_of(row.prompt)
            out[split] += list(map(encode_record, records)) if jsonl else records
            key = (split, label.source)
            tally[key] = tally.get(key, 0) + len(records)
            exported += 1
        for split, pending in out.items():
            if jsonl:
                writer.write_lines(split, pending)  # type: ignore[attr-defined]
            else:
                writer.write(split, pending)
            pending.clear()
        report.items_scanned = done
        if progress is not None:
            progress(done, total)
    report.items_labelled += labelled
    report.items_exported += exported
    for (split, source), n in sorted(tally.items()):
        counts = report.by_source.setdefault(split, {})
        counts[source] = counts.get(source, 0) + n


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


def _manifest(report: ExportReport, options: ExportOptions, info: CardInfo) -> str:
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
        },
        "dropped": dict(sorted(report.dropped.items())),
        "by_source": {k: dict(sorted(v.items())) for k, v in sorted(report.by_source.items())},
        "license": info.license,
        "routing": info.routing,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
