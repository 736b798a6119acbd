"""One chunk of an export: select and resolve each item's label, build its records, split.

``ChunkExporter`` holds what every chunk shares (the selection, the builders, the split)
and the running counts; ``export_chunk`` turns one range of items into the lines (JSONL) or
records (Parquet) of each split. The one-process and the parallel drivers both use it, so
an item gives the same bytes whichever process exported it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from labeler.exporters.engine.decode import decode_value, to_example
from labeler.exporters.engine.options import ExportOptions, ExportReport
from labeler.exporters.engine.policies import (
    SourceFilter,
    candidates,
    filtered_reason,
    item_passes,
    label_passes,
    resolve,
    splitter,
)
from labeler.exporters.engine.targets import Target
from labeler.exporters.engine.writer import encode_record
from labeler.exporters.formats.messages import is_normal
from labeler.exporters.formats.spec import BuildSpec
from labeler.exporters.formats.unpair import supported
from labeler.resolution import ConflictPolicy, Weigh, choice_code, combined
from labeler.store.annotators import project_weigher
from labeler.store.resolved import (
    COLUMN,
    LABEL_PART,
    ChunkRange,
    ExportRow,
    LabelRow,
    export_groups,
    export_row,
    items_in,
    raw_row,
)

_new = tuple.__new__
# The raw row's columns the hot loop reads, by name (positions fixed once, here; the loop
# binds them to locals).
_PROMPT, _ROUTE = COLUMN["prompt"], COLUMN["route"]
_LABEL_SOURCE, _LABEL = COLUMN["label_source"], LABEL_PART

Batch = dict[str, list[Any]]
"""Per split, the chunk's encoded lines (JSONL) or records (Parquet), in item order."""


class ChunkExporter:
    """Exports chunks of items under one set of options; counts land in ``report``."""

    def __init__(
        self,
        options: ExportOptions,
        spec: BuildSpec,
        target: Target,
        report: ExportReport,
        *,
        jsonl: bool,
    ) -> None:
        self.options, self.spec, self.target, self.report = options, spec, target, report
        self.jsonl = jsonl
        self.sel = options.selection()
        self.strict = options.kto_require_support
        # JSONL gets encoded lines (so the pre-encoded fast path can mix in); Parquet, dicts.
        self.fast = None
        if jsonl and target.fast_lines is not None and not self.strict:
            self.fast = target.fast_lines(spec, encode_record)
        self.split_of = splitter(options.test_size, options.seed)
        self.tally: dict[tuple[str, str], int] = {}  # (split, label source) -> records
        sel = self.sel
        self.filters = bool(sel.routes or sel.tags or sel.annotators)
        self.check_labels = sel.source is not SourceFilter.ALL or sel.min_confidence is not None
        # The default selection's check, inlined: model labels only on items routed to it.
        self.finished_only = sel.source is SourceFilter.FINISHED and sel.min_confidence is None
        self.filtered = filtered_reason(sel)
        # Under ``dawid-skene`` every item is weighed (its people's labels get the posterior
        # as their confidence), so none takes the one-label shortcut.
        self.weighs = options.conflicts is ConflictPolicy.DAWID_SKENE
        self.weigh: Weigh | None = None

    def export_chunk(self, conn: sqlite3.Connection, chunk: ChunkRange) -> Batch:
        """The lines (or records) of each split for the items of ``chunk``, in item order.

        The common case (one live label, no item or annotator filter, a line the fast path
        builds) stays on the query's raw rows; everything else becomes an ``ExportRow`` and
        goes through the policies and the target's builder.
        """
        report, sel, fast, add = self.report, self.sel, self.fast, self._add
        check_labels, finished_only = self.check_labels, self.finished_only
        unfiltered = not self.filters
        at_prompt, at_route, at_source, label_part = _PROMPT, _ROUTE, _LABEL_SOURCE, _LABEL
        out: Batch = {"train": [], "test": []}
        labelled = 0
        if self.weighs and self.weigh is None:
            # Fitted from the whole project, so every chunk and helper process weighs alike.
            self.weigh = project_weigher(sqlite_utils.Database(conn))
        shortcut = unfiltered and not self.weighs
        for group in export_groups(conn, chunk):
            labelled += 1
            if fast is not None and shortcut and len(group) == 1:
                r = group[0]  # the item's columns, then its one label's
                if check_labels and (
                    (r[at_source] == "model" and r[at_route] != "model")
                    if finished_only
                    else not label_passes(_new(LabelRow, r[label_part]), sel, r[at_route])
                ):
                    report.drop(self.filtered)
                    continue
                line = fast(r)
                if line is not None:
                    add(out, r[at_prompt], r[at_source], [line])
                    continue
                row = export_row(group)
                self._build(row, row.labels[0], row.labels, out)
                continue
            self._resolve_and_build(export_row(group), out)
        report.items_scanned += items_in(conn, chunk)
        report.items_labelled += labelled
        return out

    def _resolve_and_build(self, row: ExportRow, out: Batch) -> None:
        """Filters, conflict resolution and the label filters, then ``_build``."""
        report, sel = self.report, self.sel
        if (sel.routes or sel.tags) and not item_passes(row, sel):
            report.drop("items outside the route/tag filters")
            return
        labels = candidates(row.labels, sel)
        if not labels:
            report.drop("items without a chosen label")
            return
        decision = resolve(labels, self.options.conflicts, row.ai_source, self.weigh)
        label, conflict = decision
        if label is not None and self.weigh is not None and label.source != "model":
            label = with_posterior(label, labels, self.weigh)
        if conflict:
            report.conflicts += 1
        if label is None:
            report.drop("conflicts dropped" if conflict else "items without a chosen label")
            return
        if self.check_labels and not label_passes(label, sel, row.route):
            report.drop(self.filtered)
            return
        voters = tuple(
            combined(labels, decision, self.options.conflicts or ConflictPolicy.MAJORITY)
        )
        if len(voters) > 1:  # the record lists them all: the general path
            self._build(row, label, labels, out, voters)
            return
        line = self.fast(raw_row(row, label)) if self.fast is not None else None
        if line is not None:
            self._add(out, row.prompt, label.source, [line])
            return
        self._build(row, label, labels, out)

    def _build(
        self,
        row: ExportRow,
        label: LabelRow,
        labels: Sequence[LabelRow],
        out: Batch,
        voters: tuple[str, ...] = (),
    ) -> None:
        """The target's records of ``label`` (the general path)."""
        support = None
        if self.strict:
            others = [decode_value(x.kind, x.value) for x in labels if x is not label]
            support = supported(others, unranked_last=self.spec.unranked_last)
        example = to_example(row, label, support, voters)
        skipped = self.target.skipped(example, self.spec) if self.target.skipped else 0
        if skipped:
            self.report.drop(self.target.skipped_reason, skipped)
        records: list[Any] = self.target.build(example, self.spec)
        if not records:
            self.report.drop("items giving no record (ties, both bad, no order)")
            return
        if isinstance(example.prompt, list) and not is_normal(example.prompt):
            self.report.normalised += 1
        encoded = list(map(encode_record, records)) if self.jsonl else records
        self._add(out, row.prompt, label.source, encoded)

    def _add(self, out: Batch, prompt: str, source: str, records: list[Any]) -> None:
        """One exported item's records, into the split of its (stored) prompt."""
        split = self.split_of(prompt)
        out[split] += records
        key = (split, source)
        self.tally[key] = self.tally.get(key, 0) + len(records)
        self.report.items_exported += 1

    def finish(self) -> ExportReport:
        """Fold the per-source tally into the report and return it."""
        merge_by_source(self.report, self.tally)
        self.tally = {}
        return self.report


def with_posterior(label: LabelRow, labels: Sequence[LabelRow], weigh: Weigh) -> LabelRow:
    """A person's label with the model's posterior that its verdict is right as its
    confidence (model labels keep their own confidence, which ``--min-confidence`` reads)."""
    posterior = weigh(labels)
    if not posterior:
        return label
    p = posterior.get(choice_code(label.kind, label.value))
    return label if p is None else label._replace(confidence=round(p, 4))


def merge_by_source(report: ExportReport, tally: dict[tuple[str, str], int]) -> None:
    for (split, source), n in sorted(tally.items()):
        counts = report.by_source.setdefault(split, {})
        counts[source] = counts.get(source, 0) + n


def merge_counts(into: ExportReport, part: ExportReport) -> None:
    """Add one process's counts of a parallel export to the whole export's report."""
    into.items_scanned += part.items_scanned
    into.items_labelled += part.items_labelled
    into.items_exported += part.items_exported
    into.conflicts += part.conflicts
    into.normalised += part.normalised
    for reason, n in part.dropped.items():
        into.dropped[reason] = into.dropped.get(reason, 0) + n
    merge_by_source(into, {(s, src): n for s, c in part.by_source.items() for src, n in c.items()})
