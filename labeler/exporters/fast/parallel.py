"""Big JSONL exports on several processes, with the same bytes as one process writes.

Building records is Python work that caps one core, so a big export shares its chunks of
items between this process and ``workers - 1`` spawned ones. This process takes chunks
from the front and writes them straight into ``data/{split}.jsonl``; the others take
chunks from the back, append each to a part file of their own and note where it went.
When the two ends meet, this process copies the others' pieces after its own in chunk
order (``os.copy_file_range`` where the system has it, so the bytes need not pass through
Python). Chunks are cut the same way in every case, and records keep their order within a
chunk, so the files are identical to a one-process export of the same project.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from labeler.exporters.engine.folder import NO_SPACE
from labeler.exporters.engine.options import ExportOptions, ExportReport
from labeler.exporters.engine.targets import TARGETS, Target
from labeler.exporters.engine.walk import Batch, ChunkExporter, merge_counts
from labeler.exporters.engine.writer import ExportError, JsonlWriter, SplitFile, remove_parts
from labeler.exporters.formats.spec import BuildSpec
from labeler.gcpause import gc_paused
from labeler.progress import Steps
from labeler.store.items import count_items
from labeler.store.resolved import ChunkRange, cut_ranges, seq_bounds

if TYPE_CHECKING:
    import sqlite_utils

PARALLEL_FROM = 100_000
"""Items from which an export uses more than one process by default: below it, starting a
process costs more than it saves."""


@dataclass(frozen=True)
class Piece:
    """Where one chunk's lines of one split went: a range of a process's part file."""

    chunk: int
    worker: int
    split: str
    offset: int
    length: int
    records: int


def database_file(db: sqlite_utils.Database) -> str | None:
    """The path of the project file (None for an in-memory project)."""
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    return str(path) if path else None


def default_workers(options: ExportOptions, items: int) -> int:
    """``options.workers``, or when that is None (automatic): two processes for a big JSONL
    export where this process may use two cores or more, else one."""
    if options.workers is not None:
        return max(1, options.workers)
    if options.parquet or items < PARALLEL_FROM:
        return 1
    return min(2, usable_cpus())


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def part_path(out_dir: Path, worker: int, split: str) -> Path:
    return out_dir / "data" / f".part{worker}.{split}.jsonl"  # see writer.PART_NAME


class PartWriter:
    """One process's part files, and the index of the chunks in them."""

    def __init__(self, out_dir: Path, worker: int) -> None:
        self.out_dir, self.worker = out_dir, worker
        self.pieces: list[Piece] = []
        self._files: dict[str, BinaryIO] = {}

    def write(self, chunk: int, batch: Batch) -> None:
        for split, lines in batch.items():
            if not lines:
                continue
            fh = self._files.get(split)
            if fh is None:
                path = part_path(self.out_dir, self.worker, split)
                fh = self._files[split] = open(path, "wb", buffering=1 << 20)  # noqa: SIM115
            data = b"".join(lines)
            self.pieces.append(Piece(chunk, self.worker, split, fh.tell(), len(data), len(lines)))
            fh.write(data)

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()


def claim(ends: Any, front: bool) -> int | None:
    """The next unclaimed chunk from the front or the back (None: the ends have met).

    ``ends`` is a shared ``[first unclaimed, one past the last unclaimed]``.
    """
    with ends.get_lock():
        first, stop = ends[0], ends[1]
        if first >= stop:
            return None
        if front:
            ends[0] = first + 1
            return int(first)
        ends[1] = stop - 1
        return int(stop - 1)


def _take_chunks(
    exporter: ChunkExporter,
    conn: Any,
    ranges: list[ChunkRange],
    ends: Any,
    front: bool,
    done: Any,
    write: Callable[[int, Batch], None],
) -> Iterator[None]:
    """Export chunks from one end until the ends meet, yielding after each chunk."""
    while (k := claim(ends, front)) is not None:
        before = exporter.report.items_scanned
        write(k, exporter.export_chunk(conn, ranges[k]))
        with done.get_lock():
            done.value += exporter.report.items_scanned - before
        yield


def _worker(
    db_path: str, out_dir: str, worker: int, ends: Any, done: Any, jobs: Any, results: Any
) -> None:
    """A spawned process: wait for the job, export chunks from the back, report the pieces
    and counts (or the error)."""
    from labeler.db import connect

    job = _wait_for_job(jobs)
    if job is None:  # the export stopped before it began
        return
    options, spec, (first, last) = job
    ranges = cut_ranges(first, last, options.chunk_size)
    try:
        conn = connect(db_path, readonly=True)
        target = TARGETS[options.target]
        report = ExportReport(target.name, "", "jsonl", out_dir)
        exporter = ChunkExporter(options, spec, target, report, jsonl=True)
        writer = PartWriter(Path(out_dir), worker)
        try:
            with gc_paused():
                for _ in _take_chunks(exporter, conn, ranges, ends, False, done, writer.write):
                    _stop_if_orphaned()
        finally:
            writer.close()
            conn.close()
        results.put((worker, writer.pieces, exporter.finish(), None))
    except _Orphaned:
        # Nobody reads the results any more: leave without waiting to hand them over.
        results.cancel_join_thread()
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
        code = exc.errno if isinstance(exc, OSError) else None
        results.put((worker, [], None, (f"{type(exc).__name__}: {exc}", code)))


def _orphaned() -> bool:
    """Whether the process that started this helper has died (its export was killed)."""
    parent = multiprocessing.parent_process()
    return parent is not None and not parent.is_alive()


def _wait_for_job(jobs: Any) -> Any:
    """The job, or None once the export stopped or this helper is orphaned: a killed export
    must not leave its helpers waiting for ever."""
    while True:
        try:
            return jobs.get(timeout=0.5)
        except queue.Empty:
            if _orphaned():
                return None


class _Orphaned(Exception):
    """The process that started this helper has died."""


def _stop_if_orphaned() -> None:
    """Between chunks: stop if the export this process helps was killed."""
    if _orphaned():
        raise _Orphaned


class Helpers:
    """The spawned processes of one export. They start first, so that their start-up
    overlaps this process's setup, and wait for ``send`` to hand them the job."""

    def __init__(self, db_path: str, out_dir: Path, count: int) -> None:
        ctx = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded GUI process
        self.out_dir = out_dir
        self.ends, self.done = ctx.Array("q", [0, 0]), ctx.Value("q", 0)
        self.jobs, self.results = ctx.Queue(), ctx.Queue()
        self.procs = [
            ctx.Process(
                target=_worker,
                args=(db_path, str(out_dir), w, self.ends, self.done, self.jobs, self.results),
                name=f"prefmark-export-{w}",
                daemon=True,
            )
            for w in range(1, count + 1)
        ]
        self._sent = False
        try:
            for proc in self.procs:
                proc.start()
        except BaseException:
            self.close()
            raise

    def send(
        self, options: ExportOptions, spec: BuildSpec, bounds: tuple[int, int], chunks: int
    ) -> None:
        """Hand over the job: the options, the build spec and the first and last seq, from
        which each helper cuts the same ``chunks`` ranges (a few bytes, however big)."""
        with self.ends.get_lock():
            self.ends[0], self.ends[1] = 0, chunks
        for _ in self.procs:
            self.jobs.put((options, spec, bounds))
        self._sent = True

    def close(self) -> None:
        """Stop the processes (a no-op once they are done) and remove their part files."""
        if not self._sent:
            for _ in self.procs:
                self.jobs.put(None)
        for proc in self.procs:
            if proc.pid is None:  # never started
                continue
            proc.join(timeout=5 if not self._sent else 0)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for channel in (self.jobs, self.results):
            channel.cancel_join_thread()  # a job no helper read must not hold up the exit
            channel.close()
        remove_parts(self.out_dir)  # the export's own hidden folder (``folder``)


def start_helpers(
    db: sqlite_utils.Database, out_dir: Path, options: ExportOptions
) -> Helpers | None:
    """The helper processes a big JSONL export of ``db`` uses (None: one process)."""
    path = database_file(db)
    workers = default_workers(options, count_items(db))
    if workers < 2 or path is None or options.parquet:
        return None
    return Helpers(path, out_dir, workers - 1)


def export_parallel(
    db: sqlite_utils.Database,
    out_dir: Path,
    options: ExportOptions,
    spec: BuildSpec,
    target: Target,
    report: ExportReport,
    helpers: Helpers,
) -> Steps[list[SplitFile]]:
    """Export with ``helpers`` and this process, yielding ``(items done, items)`` as the
    chunks finish; returns the written files."""
    bounds = seq_bounds(db)
    ranges = cut_ranges(*bounds, options.chunk_size)
    total = count_items(db)
    (out_dir / "data").mkdir(exist_ok=True)
    writer = JsonlWriter(out_dir)

    def write(_chunk: int, batch: Batch) -> None:
        for split, lines in batch.items():
            writer.write_lines(split, lines)

    try:
        helpers.send(options, spec, bounds, len(ranges))
        exporter = ChunkExporter(options, spec, target, report, jsonl=True)
        with gc_paused():
            for _ in _take_chunks(
                exporter, db.conn, ranges, helpers.ends, True, helpers.done, write
            ):
                yield helpers.done.value, total
        exporter.finish()
        pieces: list[Piece] = []
        for _ in _collect(helpers.procs, helpers.results, report, pieces):
            yield helpers.done.value, total
        yield helpers.done.value, total
        _append_pieces(writer, out_dir, pieces)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


def _collect(
    procs: list[Any], results: Any, report: ExportReport, pieces: list[Piece]
) -> Iterator[None]:
    """Wait for every spawned process's pieces and counts into ``pieces``, yielding while
    waiting; raise if one failed or died."""
    waiting = {proc.name: proc for proc in procs}
    while waiting:
        try:
            worker, got, part, error = results.get(timeout=0.2)
        except queue.Empty:
            yield  # keeps the progress bar moving, and lets a cancel through
            for proc in waiting.values():
                if proc.exitcode not in (None, 0):
                    raise ExportError(
                        f"an export process stopped (exit code {proc.exitcode})"
                    ) from None
            continue
        if error is not None:
            message, code = error
            if code in NO_SPACE:  # a full disk is reported as such, whoever hit it
                raise OSError(code, os.strerror(code))
            raise ExportError(f"an export process failed: {message}")
        merge_counts(report, part)
        pieces += got
        waiting.pop(f"prefmark-export-{worker}").join()


def _append_pieces(writer: JsonlWriter, out_dir: Path, pieces: list[Piece]) -> None:
    """Copy the other processes' pieces after this one's lines, in chunk order."""
    with contextlib.ExitStack() as stack:
        parts: dict[tuple[int, str], BinaryIO] = {}
        for piece in sorted(pieces, key=lambda p: p.chunk):
            key = (piece.worker, piece.split)
            if key not in parts:
                path = part_path(out_dir, piece.worker, piece.split)
                parts[key] = stack.enter_context(open(path, "rb"))
            dst = writer.raw_file(piece.split)
            copy_range(parts[key], dst, piece.offset, piece.length)
            writer.add_count(piece.split, piece.records)


def copy_range(src: BinaryIO, dst: Any, offset: int, length: int) -> None:
    """Append ``length`` bytes of ``src`` from ``offset`` to the unbuffered file ``dst``,
    inside the kernel where the system can (Linux), else through memory."""
    if hasattr(os, "copy_file_range"):
        with contextlib.suppress(OSError):  # not between these file systems: copy below
            while length > 0:
                n = os.copy_file_range(src.fileno(), dst.fileno(), length, offset)
                if n == 0:
                    break
                offset, length = offset + n, length - n
    src.seek(offset)
    while length > 0:
        data = src.read(min(length, 1 << 22))
        if not data:
            raise ExportError("a part file of the export ended early")
        length -= len(data)
        view = memoryview(data)
        while view:
            view = view[dst.write(view) :]
