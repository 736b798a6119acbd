"""Teams without a server: split a project between annotators, and merge their work back.

``assign`` writes one project file per annotator (their items, the project's settings, and
gold items mixed in at a chosen rate); ``merge`` brings other projects' label events into
this one. Both are generators like every workflow, run by the CLI and the app alike.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from labeler.db import ProjectFileError, connect, open_db
from labeler.new_project import ProjectAppearedError, building_new_project
from labeler.store.adjudication import adjudicated_count, conflict_count
from labeler.store.assign import fill_annotator_project, unlabelled_items
from labeler.store.gold import gold_answers
from labeler.store.merge import (
    MergeCounts,
    MergeRefusedError,
    attached,
    check_source,
    merge_source,
)
from labeler.store.meta import get_schema
from labeler.types import LabelSchema
from labeler.workflows.base import Workflow, WorkflowError

_NAME = re.compile(r"^[^\W][\w.-]*$")


@dataclass(frozen=True, slots=True)
class Assignment:
    """One annotator's share: their new project file and what it holds."""

    annotator: str
    path: Path
    items: int
    shared: int
    gold: int


def split_items(
    ids: Sequence[str], annotators: Sequence[str], overlap: float, seed: int
) -> tuple[dict[str, list[str]], set[str]]:
    """Each annotator's items, and the shared ones (a share ``overlap`` of ``ids``, each given
    to two annotators in rotating pairs); the rest go to whoever has fewest. Seeded."""
    rng = random.Random(seed)
    order = list(ids)
    rng.shuffle(order)
    k = len(annotators)
    n_shared = round(overlap * len(order)) if k > 1 else 0
    shares: dict[str, list[str]] = {a: [] for a in annotators}
    for i, item_id in enumerate(order[:n_shared]):
        first = i % k
        second = (first + 1 + (i // k) % (k - 1)) % k
        shares[annotators[first]].append(item_id)
        shares[annotators[second]].append(item_id)
    for item_id in order[n_shared:]:
        shares[min(annotators, key=lambda a: len(shares[a]))].append(item_id)
    for share in shares.values():
        rng.shuffle(share)
    return shares, set(order[:n_shared])


def _with_gold(share: list[str], gold: Sequence[str], rate: float, rng: random.Random) -> int:
    """Mix gold items into ``share`` at random places so they are ``rate`` of it."""
    if rate <= 0 or not gold:
        return 0
    n = min(len(gold), round(rate * len(share) / (1 - rate)))
    for item_id in rng.sample(list(gold), n):
        share.insert(rng.randint(0, len(share)), item_id)
    return n


def assign(
    project: Path,
    annotators: Sequence[str],
    overlap: float,
    *,
    seed: int = 0,
    gold_rate: float = 0.0,
    out_dir: Path | None = None,
) -> Workflow[list[Assignment]]:
    """Write ``<project>.<annotator>.db`` for each annotator beside the project (or in
    ``out_dir``); a file already there is never replaced."""
    names = [a.strip() for a in annotators]
    bad = [a for a in names if not _NAME.match(a)]
    if bad or len(set(names)) != len(names) or not names:
        raise WorkflowError(
            f"annotators: give distinct names of letters, digits, '.', '-' or '_' "
            f"(got {', '.join(repr(a) for a in bad or names)})"
        )
    if not 0 <= overlap <= 1 or not 0 <= gold_rate < 1:
        raise WorkflowError("overlap must be within 0..1 and the gold rate within 0..1 (not 1)")
    folder = out_dir or project.parent
    targets = {a: folder / f"{project.stem}.{a}.db" for a in names}
    taken = [str(p) for p in targets.values() if p.exists()]
    if taken:
        raise WorkflowError(f"{taken[0]}: exists already; move it away or choose another folder")
    try:
        db = open_db(project, create=False, readonly=True)
    except ProjectFileError as exc:
        raise WorkflowError(str(exc)) from None
    try:
        gold = sorted(gold_answers(db))
        shares, shared = split_items(unlabelled_items(db, gold), names, overlap, seed)
    finally:
        db.conn.close()
    rng = random.Random(seed + 1)
    made: list[Assignment] = []
    for n, annotator in enumerate(names):
        yield n, len(names)
        share = shares[annotator]
        n_shared = sum(item_id in shared for item_id in share)
        n_gold = _with_gold(share, gold, gold_rate, rng)
        try:
            with building_new_project(targets[annotator]) as new:
                fill_annotator_project(new.conn, project, annotator, share)
        except ProjectAppearedError as exc:
            raise WorkflowError(str(exc)) from None
        made.append(Assignment(annotator, targets[annotator], len(share), n_shared, n_gold))
    yield len(names), len(names)
    return made


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What a merge brought in from each file, and the project's conflicts after it."""

    merged: list[tuple[Path, MergeCounts]]
    conflicts: int
    adjudicated: int

    @property
    def new_items(self) -> int:
        return sum(c.new_items for _p, c in self.merged)

    @property
    def new_labels(self) -> int:
        return sum(c.new_labels for _p, c in self.merged)

    def lines(self) -> list[str]:
        """The report as the command prints it and the app shows it."""
        out = [
            f"{path.name}: {c.new_items:,} new items, {c.new_labels:,} new label events "
            f"({c.known_labels:,} already here)"
            for path, c in self.merged
        ]
        out.append(
            f"Items whose people disagree: {self.conflicts:,} "
            f"(adjudicated so far: {self.adjudicated:,})"
        )
        return out


def _refuse_unreadable(other: Path, target: Path) -> None:
    """One line for a file that is missing, the project itself, or no readable project."""
    if not other.is_file():
        raise MergeRefusedError(f"{other}: no such project file")
    if os.path.samefile(other, target):
        raise MergeRefusedError(f"{other}: is this project itself")
    try:
        connect(other, create=False, readonly=True).close()
    except ProjectFileError as exc:
        raise MergeRefusedError(str(exc)) from None


def _checked(
    conn: sqlite3.Connection, other: Path, project: Path, schema: LabelSchema, *, merge: bool
) -> MergeCounts | None:
    """Check ``other`` (one line if refused) and, with ``merge``, merge it."""
    try:
        _refuse_unreadable(other, project)
        with attached(conn, other):
            if merge:
                return merge_source(conn, other, schema)
            check_source(conn, other, schema)
            return None
    except MergeRefusedError as exc:
        raise WorkflowError(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise WorkflowError(f"{other}: not a readable prefmark project ({exc})") from None


def merge(project: Path, others: Sequence[Path]) -> Workflow[MergeReport]:
    """Merge each of ``others`` into ``project``; a refused file stops the merge with one
    line before anything is written (every file is checked first)."""
    try:
        db = open_db(project, create=False)
    except ProjectFileError as exc:
        raise WorkflowError(str(exc)) from None
    merged: list[tuple[Path, MergeCounts]] = []
    try:
        schema = get_schema(db)
        if len(others) > 1:  # every file is checked before any is merged
            for other in others:
                _checked(db.conn, other, project, schema, merge=False)
        for n, other in enumerate(others):
            yield n, len(others)
            counts = _checked(db.conn, other, project, schema, merge=True)
            assert counts is not None
            merged.append((other, counts))
        yield len(others), len(others)
        return MergeReport(merged, conflict_count(db), adjudicated_count(db))
    finally:
        db.conn.close()
