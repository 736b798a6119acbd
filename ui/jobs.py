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
import itertools
import queue
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from functools import partial
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


def _open(db_path: str | Path, *, readonly: bool = False) -> sqlite_utils.Database:
    try:
        return open_db(db_path, create=False, readonly=readonly)
    except ProjectFileError as exc:
        raise JobError(str(exc)) from exc


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
            # Skip progress that is already stale, but only what is queued now: a fast
            # producer must not keep this loop from ever yielding.
            for _ in range(updates.qsize()):
                if latest is None:
                    break
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
    from labeler.importers import ImportFailed, Location

    if isinstance(exc, ImportFailed):
        loc = exc.location
        path = loc.path if isinstance(loc, Location) else Path(loc)
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
    from labeler.importers import import_files

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
    from labeler.exporters import export_project

    def work(progress: ProgressFn) -> Any:
        db = _open(db_path, readonly=True)  # an export never writes to the project
        try:
            return export_project(db, Path(out_dir), options, progress)
        finally:
            db.close()

    try:
        return (yield from run_with_progress(work, "export"))
    except (JobError, JobCancelled):
        raise
    except Exception as exc:  # ExportError, OSError, ...: all reach the user in words
        raise JobError(f"Export failed: {exc}") from exc


# ---- numbers for the panels ---------------------------------------------------------------


def agreement_job(db_path: str | Path, chunk_size: int = 5000) -> JobGen[Any]:
    """Position bias, agreement and time per item; progress counts label events."""
    from labeler.agreement import AgreementAccumulator

    db = _open(db_path, readonly=True)
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
    """Counts, labelling rate, last routing run and the audit estimate, on one connection."""
    from labeler.routing import routing_summary

    summary = routing_summary(db)
    run = summary.get("last_run") or {}
    quality = summary.get("quality") or {}
    budget = run.get("budget")
    accuracy = quality.get("hybrid_accuracy")
    if accuracy is not None and accuracy != accuracy:  # NaN: nothing to estimate from
        accuracy = None
    interval = quality.get("hybrid_interval")
    return RoutingSnapshot(
        counts=route_counts(db),
        strategy=run.get("strategy"),
        # a budget above 1 was a count of items; the panel shows fractions
        budget=float(budget) if budget is not None and budget <= 1 else None,
        accuracy=accuracy,
        accuracy_interval=(float(interval[0]), float(interval[1])) if interval else None,
        audited=summary.get("audited") or None,
        more_audits=quality.get("more_audits"),
        labels_per_hour=labelling_rate(db),
    )


def routing_snapshot_job(db_path: str | Path) -> JobGen[RoutingSnapshot]:
    db = _open(db_path, readonly=True)
    try:
        yield 0, 1
        return routing_snapshot(db)
    finally:
        db.close()


# ---- model and routing jobs ---------------------------------------------------------------


def score_job(
    db_path: str | Path,
    model: str = "default",
    batch_size: int = 64,
    *,
    int8: bool = False,
    threads: int | None = None,
) -> JobGen[int]:
    """Score every unscored item (writes rewards and model labels per batch); returns a count.

    ``model`` is ``default`` (the project's trained default model) or an ONNX model folder.
    Cancelling keeps the batches already committed; a later run resumes.
    """
    from labeler.cli.model_adapters import runtime_options, scorer_for
    from labeler.scoring import score_project

    options = runtime_options(threads)
    db = _open(db_path)
    try:
        yield 0, 0  # loading the model takes seconds: show a busy bar meanwhile
        try:
            scorer = scorer_for(db, model, options, int8=int8)
        except (LookupError, ValueError) as exc:
            raise JobError(str(exc)) from exc
        return (yield from score_project(db, scorer, batch_size=batch_size))
    finally:
        db.close()


def retrain_job(
    db_path: str | Path,
    heads: int = 8,
    seed: int = 0,
    *,
    int8: bool = False,
    threads: int | None = None,
) -> JobGen[str]:
    """Train the default model's head on the project's human labels; returns its version."""
    from labeler.cli import model_adapters as adapters
    from labeler.training import NotEnoughLabelsError, train_head

    options = adapters.runtime_options(threads)
    db = _open(db_path)
    try:
        yield 0, 0
        featurizer = adapters.DefaultFeaturizer(options, int8=int8)
        trainer = adapters.default_trainer(heads, seed, options)
        try:
            head = yield from train_head(db, featurizer, trainer)
        except NotEnoughLabelsError as exc:
            raise JobError(str(exc)) from exc
        return str(adapters.save_head(db, featurizer, head))
    finally:
        db.close()


def route_job(
    db_path: str | Path,
    strategy: str,
    budget: float,
    *,
    seed: int = 0,
    audit: float = 0.0,
    ai_source: str | None = None,
) -> JobGen[dict[str, Any]]:
    """Route every unlabelled item under the budget (fraction, or a count above 1)."""
    import numpy as np

    from labeler.cli.route_cmd import default_head_trainer
    from labeler.routing import make_strategy
    from labeler.routing.project import RoutingSetupError, apply_decision, project_input

    head = default_head_trainer()
    db = _open(db_path)
    try:
        yield 0, 2
        try:
            inp = project_input(db, ai_source)
        except RoutingSetupError as exc:
            raise JobError(str(exc)) from exc
        yield 1, 2
        rng = np.random.default_rng(seed)
        amount: float | int = int(budget) if budget > 1 else budget
        decision = make_strategy(strategy, head).decide(inp.inp, amount, rng)
        summary: dict[str, Any] = apply_decision(
            db, inp, decision, budget=budget, seed=seed, audit=audit, rng=rng
        )
        return summary
    finally:
        db.close()


def simulation_job(
    db_path: str | Path,
    out_dir: str | Path,
    *,
    seeds: int = 3,
    ai_source: str | None = None,
    human: str | None = None,
) -> JobGen[tuple[Path, Path, str | None]]:
    """Replay every strategy on the human-labelled items, with progress per seed and strategy.

    Returns the CSV and PNG paths and, when the AI was trained on this project's own human
    labels (so the curves are optimistic), the warning to show.
    """
    from labeler.cli.route_cmd import default_head_trainer, optimism_warning, simulation_setup
    from labeler.routing import STRATEGY_NAMES, make_strategy
    from labeler.routing.simulate import plot, simulate, summarise, write_csv

    head = default_head_trainer()
    out = Path(out_dir)
    db = _open(db_path)
    try:
        yield 0, 0
        try:
            setup = simulation_setup(db, ai_source, human)
        except Exception as exc:  # click.ClickException / RoutingSetupError: a sentence
            raise JobError(getattr(exc, "message", None) or str(exc)) from exc
        factories = {name: partial(make_strategy, name, head) for name in STRATEGY_NAMES}
        total = seeds * len(factories)

        def run(progress: ProgressFn) -> Any:
            done = [0]

            def step(_seed: int, _strategy: str) -> None:
                done[0] += 1
                progress(done[0], total)

            return simulate(factories, setup.task, head, list(range(seeds)), progress=step)

        rows = yield from run_with_progress(run, "simulation")
        out.mkdir(parents=True, exist_ok=True)
        csv_path, png_path = out / "routing_simulation.csv", out / "routing_simulation.png"
        write_csv(rows, csv_path)
        plot(summarise(rows), png_path, f"{Path(db_path).name}: routing simulation")
        warning = optimism_warning(setup) if setup.trained_on_project else None
        return csv_path, png_path, warning
    finally:
        db.close()
