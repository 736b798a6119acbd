"""The app's background jobs: the workflows of ``labeler.workflows`` on a project connection.

Each job opens its OWN connection to the project (sqlite3 connections belong to the thread that
made them; WAL lets a job read while the GUI writes labels), runs the same workflow the CLI
runs, and closes the connection when done, cancelled or failed. Run them with
``ui.workers.GeneratorWorker``/``JobRunner``; cancelling closes the generator, which stops the
workflow at its next progress report (an import or export then rolls back / leaves no partial
folder, as the core promises). Besides, the panels' own read-only numbers are computed here.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from labeler.db import ProjectFileError, open_db
from labeler.store.browse import pair_count, routable_items
from labeler.store.labels import count_labels, iter_label_facts, labelling_time
from labeler.store.routes import route_counts
from labeler.workflows import WorkflowError
from labeler.workflows.importing import ImportOptions, explain_import_error
from ui.panels.routing_panel import RoutingSnapshot

T = TypeVar("T")
JobGen = Generator[tuple[int, int], None, T]
JobError = WorkflowError  # a job fails as its workflow does: one sentence, maybe a line
__all__ = ["JobError"]


@contextmanager
def _project(db_path: str | Path, *, readonly: bool = False) -> Iterator[sqlite_utils.Database]:
    try:
        db = open_db(db_path, create=False, readonly=readonly)
    except ProjectFileError as exc:
        raise JobError(str(exc)) from exc
    try:
        yield db
    finally:
        db.conn.close()


# ---- import -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    """The first records of a file, the field names they use, or why they cannot be read;
    ``complete`` when they are all the file holds."""

    path: Path
    records: list[dict[str, Any]]
    fields: list[str]
    error: JobError | None = None
    complete: bool = False


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
    return Preview(path, records, list(fields), complete=len(records) < limit)


def import_job(db_path: str | Path, what: ImportOptions | Sequence[str | Path]) -> JobGen[Any]:
    """Import files (``what``: the files with default options, or ``ImportOptions``) into the
    project in one transaction; returns the importer's report."""
    from labeler.workflows.importing import import_data

    if not isinstance(what, ImportOptions):
        what = ImportOptions(files=tuple(Path(p) for p in what))
    return (yield from import_data(Path(db_path), what))


def export_job(db_path: str | Path, out_dir: str | Path, options: Any) -> JobGen[Any]:
    """Export the project's labels into ``out_dir``; returns the exporter's report."""
    from labeler.workflows.exporting import export

    with _project(db_path, readonly=True) as db:  # an export never writes to the project
        return (yield from export(db, Path(out_dir), options))


def merge_job(db_path: str | Path, others: Sequence[Path]) -> JobGen[Any]:
    """Merge other projects' label events into this one; see ``workflows.team.merge``."""
    from labeler.workflows.team import merge

    return (yield from merge(Path(db_path), list(others)))


# ---- numbers for the panels ---------------------------------------------------------------


def agreement_job(db_path: str | Path, chunk_size: int = 5000) -> JobGen[Any]:
    """Position bias, agreement and time per item; progress counts label events."""
    from labeler.agreement import AgreementAccumulator

    with _project(db_path, readonly=True) as db:
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


def team_job(db_path: str | Path) -> JobGen[Any]:
    """Agreement between annotators, their estimated accuracy and the label-error finder."""
    from labeler.team import team_report

    with _project(db_path, readonly=True) as db:
        yield 0, 1
        report = team_report(db)
        yield 1, 1
        return report


def routing_snapshot(
    db: sqlite_utils.Database, previous: RoutingSnapshot | None = None, pace: bool = False
) -> RoutingSnapshot:
    """Counts, labelling rate, last routing run and the audit estimate, on one connection;
    with ``pace``, also what a budget in hours buys (it reads every unlabelled item's length).

    Counting the two-response items reads every item, so it is done again only when the number
    of items changed since ``previous``.
    """
    from labeler.agreement import rate_per_hour
    from labeler.hours_budget import hours_preview
    from labeler.routing import routing_summary

    summary = routing_summary(db)
    run = summary.get("last_run") or {}
    quality = summary.get("quality") or {}
    budget = run.get("budget")
    accuracy, interval = _estimate(quality, "hybrid")
    ai_accuracy, ai_interval = _estimate(quality, "ai")
    counts = route_counts(db)
    pairs = None
    if previous is not None and previous.counts is not None:
        pairs = previous.pairs if previous.counts.total == counts.total else None
    pairs = pair_count(db) if pairs is None else pairs
    timed, timed_ms = labelling_time(db)
    run_summary = run.get("summary") or {}
    planned = run_summary.get("planned_hours")
    target = run_summary.get("target_accuracy")
    known = previous.hours.lengths if previous is not None and previous.hours else None
    return RoutingSnapshot(
        counts=counts,
        strategy=run.get("strategy"),
        # a budget above 1 was a count of items; the panel shows fractions
        budget=float(budget) if budget is not None and budget <= 1 else None,
        accuracy=accuracy,
        accuracy_interval=interval,
        ai_accuracy=ai_accuracy,
        ai_interval=ai_interval,
        audited=summary.get("audited") or None,
        more_audits=quality.get("more_audits"),
        labels_per_hour=rate_per_hour(timed, timed_ms),
        timed_labels=timed,
        routable=routable_items(db, pairs),
        pairs=pairs,
        planned_hours=None if planned is None else float(planned),
        routed_human=run_summary.get("human"),
        target=None if target is None else (target, run_summary["target_confidence"]),
        hours=hours_preview(db, known) if pace else None,
    )


def _estimate(quality: dict[str, Any], of: str) -> tuple[float | None, tuple[float, float] | None]:
    """An estimate of ``routing_summary`` ("ai" or "hybrid") and its interval; None when
    there is nothing to estimate from (NaN)."""
    value = quality.get(f"{of}_accuracy")
    if value is None or value != value:
        return None, None
    low, high = quality[f"{of}_interval"]
    return float(value), (float(low), float(high))


def routing_snapshot_job(db_path: str | Path) -> JobGen[RoutingSnapshot]:
    with _project(db_path, readonly=True) as db:
        yield 0, 1
        return routing_snapshot(db)


# ---- model and routing jobs: the workflows, on the job's own connection ----------------------


def score_job(db_path: str | Path, model: str = "default", **options: Any) -> JobGen[Any]:
    """Score every unscored item; see ``labeler.workflows.model_runs.score``."""
    from labeler.workflows.model_runs import score

    options.setdefault("interactive", True)  # a core stays free for the window
    with _project(db_path) as db:
        return (yield from score(db, model=model, **options))


def retrain_job(db_path: str | Path, **options: Any) -> JobGen[Any]:
    """Train the default model with its k-fold check; see ``model_runs.train``."""
    from labeler.workflows.model_runs import train

    options.setdefault("interactive", True)  # a core stays free for the window
    with _project(db_path) as db:
        return (yield from train(db, **options))


def route_job(db_path: str | Path, strategy: str, budget: float, **options: Any) -> JobGen[Any]:
    """Route every unlabelled item under the budget; see ``labeler.workflows.routing.route``."""
    from labeler.workflows.routing import route

    with _project(db_path) as db:
        return (yield from route(db, strategy=strategy, budget=budget, **options))


def judge_job(db_path: str | Path, options: Any) -> JobGen[Any]:
    """Store an AI judge's verdicts as model labels; see ``workflows.routing.import_judge``."""
    from labeler.workflows.routing import import_judge

    with _project(db_path) as db:
        return (yield from import_judge(db, options))


def simulation_job(db_path: str | Path, out_dir: str | Path, **options: Any) -> JobGen[Any]:
    """Replay every strategy on the labelled items; see ``workflows.simulation.simulate``."""
    from labeler.workflows.simulation import simulate

    title = f"{Path(db_path).name}: routing simulation"
    with _project(db_path) as db:
        return (yield from simulate(db, Path(out_dir), title=title, **options))
