"""Import files into a project: read, recognise, deduplicate and insert in batches.

All files of one call go in ONE transaction: a bad record stops the import and rolls back
everything it wrote (nothing half-imported, nothing stored before lost), unless ``skip_bad``,
which writes bad records with their reason to a reject file and imports the rest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from labeler.codec import ROW_ID, ROW_N_RESPONSES, ItemRow
from labeler.db import transaction
from labeler.gcpause import gc_paused
from labeler.importers.errors import ImportFailed, Location, RecordError
from labeler.importers.fast import FastShape, fast_shape
from labeler.importers.mapping import FieldMapping
from labeler.importers.readers import ByteCounter, RawRecord, Records, check_file, open_records
from labeler.importers.shapes import (
    Context,
    KtoPart,
    Parsed,
    PendingLabel,
    Recogniser,
    kto_item,
)
from labeler.progress import Steps, run_steps
from labeler.store.items import first_load_journal, insert_item_rows, max_item_seq
from labeler.store.labels import (
    LabelKey,
    insert_label_rows,
    label_row_key,
    label_to_row,
    stored_items,
)
from labeler.types import Item, Label

if TYPE_CHECKING:
    import sqlite_utils

LabelHook = Callable[[Mapping[str, Any], Item], Iterable[Label]]
"""Extra labels from a raw record (e.g. an AI judge's verdict), given the item as stored."""

BATCH_SIZE = 5000


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``summary()`` is the paragraph the CLI prints.

    A record whose item was already stored is ``present`` (the project held it before this
    import) or ``merged`` (an earlier record of this import had the same content). ``labels``
    counts labels added; ``labels_present`` those skipped because the same label was live.
    """

    files: list[Path] = field(default_factory=list)
    records: int = 0
    items: int = 0
    present: int = 0
    merged: int = 0
    labels: int = 0
    labels_present: int = 0
    rejected: int = 0
    max_responses: int = 0
    seconds: float = 0.0
    reject_path: Path | None = None

    @property
    def duplicates(self) -> int:
        """Records that added no item: already present or merged."""
        return self.present + self.merged

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        names = ", ".join(p.name for p in self.files)
        dups = []
        if self.present:
            dups.append(f"{self.present:,} records already present")
        if self.merged:
            dups.append(f"{self.merged:,} duplicate records merged")
        items = f" ({', '.join(dups)})" if dups else ""
        labels = f" ({self.labels_present:,} already present)" if self.labels_present else ""
        text = (
            f"Imported {self.items:,} new items{items} and {self.labels:,} new labels{labels} "
            f"from {self.records:,} records in {len(self.files)} file(s) ({names}) "
            f"in {self.seconds:.1f} s."
        )
        if self.rejected:
            where = f" to {self.reject_path}" if self.reject_path else ""
            text += f" Skipped {self.rejected:,} bad records{where}."
        return text


class _Rejects:
    """The reject file, opened on the first bad record (outside the transaction's fate)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def write(self, loc: Location, error: RecordError, raw: RawRecord) -> None:
        if self.path is None:
            return
        if self._fh is None:
            self._fh = self.path.open("w", encoding="utf-8", errors="backslashreplace")
        data = error.raw if isinstance(raw, RecordError) else raw
        entry = {
            "file": str(loc.path),
            "line": loc.line,
            "record": loc.record,
            "field": error.field,
            "reason": error.reason,
            "data": data,
        }
        try:
            line = json.dumps(entry, ensure_ascii=False, default=str)
        except RecursionError:  # nested too deeply to write back out: the reason says so
            line = json.dumps({**entry, "data": None}, ensure_ascii=False)
        self._fh.write(line + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


class _Importer:
    def __init__(
        self,
        db: sqlite_utils.Database,
        mapping: FieldMapping,
        skip_bad: bool,
        rejects: _Rejects,
        source_name: str | None,
        label_hooks: Sequence[LabelHook],
        batch_size: int,
        image_folders: tuple[Path, ...] = (),
    ) -> None:
        self.conn = db.conn
        self.image_folders = image_folders
        self.mapping = mapping
        self.skip_bad = skip_bad
        self.rejects = rejects
        self.source_name = source_name
        self.hooks = label_hooks
        self.batch_size = batch_size
        self.report = ImportReport()
        # Items with a higher seq were added by this import: tells "already present" from
        # "merged" for a record whose item is stored.
        self.start_seq = max_item_seq(self.conn)
        # The pending batch: store rows, and per row its labels, raw record and item when
        # it has labels or hooks to run (else None).
        self.rows: list[ItemRow] = []
        self.extras: list[tuple[tuple[PendingLabel, ...], RawRecord, Item | None] | None] = []

    def bad(self, loc: Location, error: RecordError, raw: RawRecord) -> None:
        if not self.skip_bad:
            raise ImportFailed(loc, error.field, error.reason)
        self.report.rejected += 1
        self.rejects.write(loc, error, raw)

    def run_file(self, path: Path) -> Generator[int, None, None]:
        """Import one file, yielding the bytes of it read so far after each batch."""
        name = self.source_name or path.name
        recogniser = Recogniser(Context(path.parent, name, self.mapping, self.image_folders))
        records, counter = open_records(path)
        before = self.report.records
        with closing(records):  # close the file now if a bad record stops the import
            yield from self._run_records(records, counter, recogniser, name)
        if self.report.records == before:
            raise ImportFailed(path, None, f"no records in {path.name}")

    def _run_records(
        self,
        records: Records,
        counter: ByteCounter | None,
        recogniser: Recogniser,
        name: str,
    ) -> Generator[int, None, None]:
        group: list[tuple[Location, KtoPart, RawRecord]] = []
        report = self.report
        rows, extras = self.rows, self.extras
        batch_size = self.batch_size
        keep_raw = bool(self.hooks)
        # The shape is recognised once, from the first object; records sharing its field
        # names skip recognition (see ``fast``). Label hooks need items: general path only.
        fast: FastShape | None = None
        decided = keep_raw
        for loc, raw in records:
            report.records += 1
            if fast is not None and type(raw) is dict and raw.keys() == fast.keys:
                try:
                    built = fast.build(raw)
                except (TypeError, ValueError, RecursionError):  # e.g. a lone surrogate: the
                    built = None  # general path words the error (or takes the record)
                if built is not None:
                    if group:
                        self._close_group(group, name)
                    rows.append(built[0])
                    extras.append((built[1], None, None) if built[1] else None)
                    if len(rows) >= batch_size:
                        self.flush()
                        yield counter.position() if counter is not None else 0
                    continue
            if isinstance(raw, RecordError):
                self.bad(loc, raw, raw)
                continue
            if not decided and isinstance(raw, dict):
                fast, decided = fast_shape(raw, recogniser.ctx), True
            try:
                parsed = recogniser.parse(raw)
            except RecordError as exc:
                self.bad(loc, exc, raw)
                continue
            if isinstance(parsed, KtoPart):
                if group and (group[0][1].prompt, group[0][1].images) != (
                    parsed.prompt,
                    parsed.images,
                ):
                    self._close_group(group, name)
                group.append((loc, parsed, raw))
                continue
            if group:
                self._close_group(group, name)
            self._add(parsed, raw if keep_raw else None)
            if len(rows) >= batch_size:
                self.flush()
                yield counter.position() if counter is not None else 0
        if group:
            self._close_group(group, name)
        self.flush()

    def _add(self, parsed: Parsed, raw: RawRecord) -> None:
        self.rows.append(parsed.row)
        labelled = parsed.labels or self.hooks
        self.extras.append((parsed.labels, raw, parsed.item) if labelled else None)

    def _close_group(self, group: list[tuple[Location, KtoPart, RawRecord]], name: str) -> None:
        """Adjacent KTO records sharing a prompt become one item; a lone one cannot."""
        if len(group) == 1:
            loc, _part, raw = group[0]
            self.bad(
                loc,
                RecordError(
                    "completion",
                    "only one completion for this prompt: KTO records that share a prompt must "
                    "be adjacent (sort the file by prompt) to form an item of 2+ responses",
                ),
                raw,
            )
        else:
            parsed = kto_item([part for _, part, _ in group], name)
            self._add(parsed, group[0][2] if self.hooks else None)
        group.clear()

    def flush(self) -> None:
        """Insert the pending rows, and their labels that are not live on the item already."""
        rows, extras = self.rows, self.extras
        if not rows:
            return
        report = self.report
        with_labels = any(e is not None for e in extras)
        # Into a project that was empty, with no labels to check, nothing needs looking up:
        # every stored item was added by this import (the fast path of a first big load).
        stored = None
        if with_labels or self.start_seq:
            stored = stored_items(self.conn, [r[ROW_ID] for r in rows], with_labels=with_labels)
        inserted = insert_item_rows(self.conn, rows)
        report.items += inserted
        if stored is None:
            report.merged += len(rows) - inserted
        else:
            start, seq = self.start_seq, stored.seq
            present = sum(1 for r in rows if seq.get(r[ROW_ID], start + 1) <= start)
            report.present += present
            report.merged += len(rows) - inserted - present
        report.max_responses = max(report.max_responses, max(r[ROW_N_RESPONSES] for r in rows))
        if stored is not None and with_labels:
            new = self._new_labels(stored.labels)
            report.labels += insert_label_rows(self.conn, new)
        rows.clear()
        extras.clear()

    def _new_labels(self, live: set[LabelKey]) -> list[tuple[Any, ...]]:
        """Label rows of the pending records, less those in ``live`` (the batch's items' live
        labels) or repeated within the batch; counts the skipped ones as present."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        labels: list[Label] = []
        for row, extra in zip(self.rows, self.extras, strict=True):
            if extra is None:
                continue
            item_id = row[ROW_ID]
            pending, raw, item = extra
            for p in pending:
                labels.append(Label(item_id, p.value, p.source, p.annotator, created_at=now))
            if self.hooks:
                assert item is not None  # records with hooks always take the general path
                for hook in self.hooks:
                    labels.extend(hook(raw, item))
        new: list[tuple[Any, ...]] = []
        for label in labels:
            label_row = label_to_row(label)
            key = label_row_key(label_row)
            if key in live:
                self.report.labels_present += 1
                continue
            live.add(key)  # the same label later in this batch is skipped too
            new.append(label_row)
        return new


def import_steps(
    db: sqlite_utils.Database,
    paths: Sequence[str | Path],
    *,
    mapping: FieldMapping | None = None,
    skip_bad: bool = False,
    reject_path: str | Path | None = None,
    source_name: str | None = None,
    label_hooks: Sequence[LabelHook] = (),
    batch_size: int = BATCH_SIZE,
    image_folders: Sequence[str | Path] = (),
) -> Steps[ImportReport]:
    """Import every record of ``paths`` into ``db`` in one transaction; see the module doc.

    Yields ``(bytes read, bytes in all files)`` after each batch and returns the report.
    Raises ImportFailed (naming file, line and field) on the first bad record unless
    ``skip_bad``; the project is then exactly as it was before the call, as it is when the
    generator is closed before its end. Images must lie in ``image_folders`` (default: each
    file's own folder).
    """
    files = [Path(p) for p in paths]
    for path in files:
        check_file(path)
    rejects = _Rejects(Path(reject_path) if reject_path is not None else None)
    importer = _Importer(
        db, mapping or FieldMapping(), skip_bad, rejects, source_name, label_hooks, batch_size,
        tuple(Path(f) for f in image_folders),
    )  # fmt: skip
    report = importer.report
    report.files = files
    report.reject_path = rejects.path
    total = sum(p.stat().st_size for p in files)
    started = time.perf_counter()
    done_before = 0
    try:
        with first_load_journal(db.conn), transaction(db.conn), gc_paused():
            for path in files:
                for position in importer.run_file(path):
                    yield done_before + position, total
                done_before += path.stat().st_size
                yield done_before, total
    finally:
        rejects.close()
    report.seconds = time.perf_counter() - started
    return report


def import_files(
    db: sqlite_utils.Database, paths: Sequence[str | Path], **options: Any
) -> ImportReport:
    """``import_steps`` run to its end, for callers that show no progress."""
    return run_steps(import_steps(db, paths, **options))
