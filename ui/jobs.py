"""The GUI's background jobs: generators yielding ``(done, total)`` and returning a result.

Each job opens its OWN connection to the project (sqlite3 connections belong to the thread that
made them; WAL lets a job read while the GUI writes labels) and closes it when done, cancelled
or failed. Run them with ``ui.workers.GeneratorWorker``/``JobRunner``, e.g.
``runner.start("import", partial(import_job, path, files, mapping, skip_bad))``; cancelling
closes the generator, which stops the core call at its next progress report (an import or
export then rolls back / leaves no partial folder, as the core promises).

Core functions that report progress through a callback (``import_files``, ``export_project``)
run on a helper thread here, so the generator can yield between their batches.
"""

from __future__ import annotations

import gzip
import importlib
import itertools
import queue
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from labeler.db import ProjectFileError, open_db
from labeler.store.agreement_queries import count_labels, iter_label_facts, labelling_rate
from labeler.store.progress_queries import route_counts
from ui.panels.routing_panel import RoutingSnapshot

T = TypeVar("T")
JobGen = Generator[tuple[int, int], None, T]
ProgressFn = Callable[[int, int], None]
LINE_PREVIEW_CHARS = 300


class JobError(Exception):
    """A job failed for a reason a person can act on; ``detail`` adds the offending line."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class JobCancelled(Exception):
    """Raised inside a core call from its progress callback after the user cancelled."""


def _open(db_path: str | Path) -> sqlite_utils.Database:
    try:
        return open_db(db_path, create=False)
    except ProjectFileError as exc:
        raise JobError(str(exc)) from exc


def _core(module: str, name: str, what: str) -> Any:
    """A core function that another part of the product provides, or a clear JobError."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise JobError(f"{what} is not available in this version of prefmark ({module}.{name}).")\
            from exc  # fmt: skip


def run_with_progress(fn: Callable[[ProgressFn], T], name: str = "job") -> JobGen[T]:
    """Run ``fn(progress)`` on a helper thread and yield what it reports, latest first.

    Closing the generator (cancel) makes the next ``progress`` call raise ``JobCancelled``
    inside ``fn`` and waits for ``fn`` to unwind, so its connection and transaction are gone
    before the job ends.
    """
    updates: queue.Queue[tuple[int, int] | None] = queue.Queue()
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if cancel.is_set():
            raise JobCancelled
        updates.put((done, total))

    def target() -> None:
        try:
            outcome["value"] = fn(progress)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the job's thread below
            outcome["error"] = exc
        finally:
            updates.put(None)

    thread = threading.Thread(target=target, name=f"prefmark-{name}", daemon=True)
    thread.start()
    try:
        finished = False
        while not finished:
            latest = updates.get()
            while latest is not None and not updates.empty():  # skip stale progress
                nxt = updates.get()
                if nxt is None:
                    finished = True
                    break
                latest = nxt
            if latest is None:
                break
            yield latest
    finally:
        cancel.set()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# ---- import -------------------------------------------------------------------------------


def read_line(path: Path, line_no: int, limit: int = LINE_PREVIEW_CHARS) -> str | None:
    """The text of one physical line of a (possibly gzipped) file, shortened for display."""
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as fh:
            raw = next(itertools.islice(fh, line_no - 1, line_no), None)
    except OSError:
        return None
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    return text if len(text) <= limit else text[:limit] + f" … ({len(text):,} characters)"


def explain_import_error(exc: Exception) -> JobError:
    """An importer failure in words, with the failing line when the file has lines."""
    from labeler.importers import ImportFailed

    if isinstance(exc, ImportFailed):
        loc = exc.location
        path = getattr(loc, "path", loc)
        line = getattr(loc, "line", None)
        record = getattr(loc, "record", None)
        where = f"line {line}" if line else f"record {record}" if record else "the file"
        field = f", field “{exc.field}”" if exc.field else ""
        message = f"{Path(path).name}, {where}{field}: {exc.reason}"
        detail = read_line(Path(path), line) if line else None
        return JobError(message, detail)
    if isinstance(exc, OSError):
        return JobError(f"Cannot read {getattr(exc, 'filename', None) or 'the file'}: "
                        f"{exc.strerror or exc}")  # fmt: skip
    return JobError(str(exc))


@dataclass(frozen=True, slots=True)
class Preview:
    """The first records of a file, the field names they use, or why they cannot be read."""

    path: Path
    records: list[dict[str, Any]]
    fields: list[str]
    error: JobError | None = None


def preview_records(path: Path, limit: int = 20) -> Preview:
    """Read at most ``limit`` records (cheap even for a huge file: readers stream)."""
    from labeler.importers import ImportFailed, RecordError
    from labeler.importers.readers import open_records

    records: list[dict[str, Any]] = []
    fields: dict[str, None] = {}
    try:
        stream, _counter = open_records(path)
        try:
            for loc, raw in itertools.islice(stream, limit):
                if isinstance(raw, RecordError):
                    raise ImportFailed(loc, raw.field, raw.reason)
                if not isinstance(raw, dict):
                    raise ImportFailed(loc, None, f"a record must be an object, not {raw!r:.40}")
                records.append(raw)
                fields.update(dict.fromkeys(raw))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
    except (ImportFailed, OSError, ValueError) as exc:
        return Preview(path, records, list(fields), explain_import_error(exc))
    return Preview(path, records, list(fields))


def import_job(
    db_path: str | Path,
    paths: Sequence[str | Path],
    mapping: Any = None,
    skip_bad: bool = False,
    reject_path: str | Path | None = None,
) -> JobGen[Any]:
    """Import files into the project (one transaction); returns the importer's report.

    With ``skip_bad`` the bad records go to ``PROJECT.rejects.jsonl`` unless told otherwise,
    as the CLI does.
    """
    import_files = _core("labeler.importers", "import_files", "Importing")
    project = Path(db_path)
    if skip_bad and reject_path is None:
        reject_path = project.with_name(project.name + ".rejects.jsonl")

    def work(progress: ProgressFn) -> Any:
        db = _open(project)
        try:
            files = [Path(p) for p in paths]
            return import_files(
                db, files, mapping=mapping, skip_bad=skip_bad, reject_path=reject_path,
                progress=progress,
            )  # fmt: skip
        finally:
            db.close()

    try:
        return (yield from run_with_progress(work, "import"))
    except (JobError, JobCancelled):
        raise
    except Exception as exc:  # every failure reaches the user in words
        raise explain_import_error(exc) from exc


# ---- export -------------------------------------------------------------------------------


def export_job(db_path: str | Path, out_dir: str | Path, options: Any) -> JobGen[Any]:
    """Export the project's labels into ``out_dir``; returns the exporter's report."""
    export_project = _core("labeler.exporters", "export_project", "Exporting")

    def work(progress: ProgressFn) -> Any:
        db = _open(db_path)
        try:
            return export_project(db, Path(out_dir), options, progress)
        finally:
            db.close()

    try:
        return (yield from run_with_progress(work, "export"))
    except (JobError, JobCancelled):
        raise
    except (OSError, ValueError) as exc:
        raise JobError(f"Export failed: {exc}") from exc


# ---- numbers for the panels ---------------------------------------------------------------


def agreement_job(db_path: str | Path, chunk_size: int = 5000) -> JobGen[Any]:
    """Position bias, agreement and time per item; progress counts label events."""
    from labeler.agreement import AgreementAccumulator

    db = _open(db_path)
    try:
        total = count_labels(db)
        acc = AgreementAccumulator()
        done = 0
        yield 0, total
        facts = iter_label_facts(db, chunk_size)
        for _item, group in itertools.groupby(facts, key=lambda f: f.item_id):
            batch = list(group)
            acc.add_item(batch)
            before, done = done, done + len(batch)
            if done // chunk_size != before // chunk_size:
                yield done, total
        return acc.report()
    finally:
        db.close()


def routing_snapshot(db: sqlite_utils.Database) -> RoutingSnapshot:
    """Counts, labelling rate, last routing run and accuracy estimate, from one connection."""
    counts = route_counts(db)
    strategy = budget = accuracy = None
    interval: tuple[float, float] | None = None
    audited: int | None = None
    summary_fn = _optional("labeler.routing", "routing_summary")
    summary: Mapping[str, Any] | Any = summary_fn(db) if summary_fn is not None else None
    if summary is not None:
        get = summary.get if isinstance(summary, Mapping) else lambda k: getattr(summary, k, None)
        strategy, budget = get("strategy"), get("budget")
        quality = get("quality") or get("estimate")
        if quality is not None:
            accuracy = getattr(quality, "hybrid_accuracy", None)
            interval = getattr(quality, "hybrid_interval", None)
            audited = getattr(quality, "audited", None)
    if strategy is None:
        latest = _optional("labeler.store.export_queries", "latest_routing_run")
        run = latest(db) if latest is not None else None
        if run:
            strategy, budget = run.get("strategy"), run.get("budget")
    if accuracy is not None and accuracy != accuracy:  # NaN: nothing audited yet
        accuracy, interval = None, None
    return RoutingSnapshot(
        counts=counts,
        strategy=strategy,
        budget=float(budget) if budget is not None and budget <= 1 else None,
        accuracy=accuracy,
        accuracy_interval=tuple(interval) if interval is not None else None,  # type: ignore[arg-type]
        audited=audited,
        labels_per_hour=labelling_rate(db),
    )


def routing_snapshot_job(db_path: str | Path) -> JobGen[RoutingSnapshot]:
    db = _open(db_path)
    try:
        yield 0, 1
        return routing_snapshot(db)
    finally:
        db.close()


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
