"""Rolling backups of a project, its integrity check, and restoring a backup into it.

A project file is read and written only through SQLite (its backup API), never with plain
file I/O: on POSIX, closing any descriptor of a file drops every SQLite lock this process
holds on it, which would let another connection corrupt it. Backup files are ours and are
handled as ordinary files.

Policy (like Anki's): the app makes one backup a day, when a project is opened; the newest
backup of each of the last ``KEEP_DAYS`` days that have one and the ``KEEP_RECENT`` newest
are kept. Each project's backups live in ``<data folder>/backups/<stem>-<path hash>/``.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from labeler.about import data_dir
from labeler.db import APPLICATION_ID, SIDE_FILES, ProjectFileError

KEEP_DAYS = 7
KEEP_RECENT = 3
BEFORE_RESTORE = "before-restore"
BUSY_TIMEOUT_S = 5.0
STALE_PARTIAL_S = 3600.0
MAX_PROBLEMS = 20
_STAMP = "%Y%m%dT%H%M%S"
_NOTES = {"": "", BEFORE_RESTORE: "state before a restore"}


class BackupError(Exception):
    """A backup could not be written, or a restore could not be done; says why in a sentence."""


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    taken_at: datetime  # UTC
    reason: str = ""  # "" for a rolling backup, BEFORE_RESTORE for the state before a restore
    items: int | None = None
    labels: int | None = None
    problem: str | None = None  # why its counts could not be read

    @property
    def note(self) -> str:
        return self.problem or _NOTES.get(self.reason, self.reason)

    def describe(self) -> str:
        """One line for a list: local time, counts and what is special about it."""
        when = self.taken_at.astimezone().strftime("%Y-%m-%d %H:%M")
        counts = f"{self.items:,} items, {self.labels:,} labels" if self.items is not None else ""
        return "  ".join(part for part in (when, counts, self.note) if part)


@dataclass(frozen=True, slots=True)
class CheckResult:
    problems: list[str] = field(default_factory=list)
    items: int | None = None
    labels: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class RestoreResult:
    project: Path
    backup: Path
    saved: Path  # the project's state just before the restore, so the restore can be undone
    items: int
    labels: int


# ---- where backups live ---------------------------------------------------------------------
def backup_dir(project: str | Path, base: Path | None = None) -> Path:
    """The project's own backups folder; the path hash keeps two ``project.db`` files apart."""
    resolved = Path(project).resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:10]
    return (base or data_dir() / "backups") / f"{resolved.stem}-{digest}"


def _pattern(stem: str) -> re.Pattern[str]:
    """Exactly the names ``backup_project`` writes; nothing else in the folder is touched."""
    return re.compile(
        rf"{re.escape(stem)}-(?P<ts>\d{{8}}T\d{{6}})\.(?P<ms>\d{{3}})Z"
        rf"(?:-(?P<reason>{BEFORE_RESTORE}))?\.db"
    )


def _name(stem: str, when: datetime, reason: str) -> str:
    suffix = f"-{reason}" if reason else ""
    return f"{stem}-{when.strftime(_STAMP)}.{when.microsecond // 1000:03d}Z{suffix}.db"


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _scan(folder: Path, stem: str) -> list[Backup]:
    """The backups in ``folder``, newest first, without opening them."""
    if not folder.is_dir():
        return []
    pattern, found = _pattern(stem), []
    for entry in folder.iterdir():
        match = pattern.fullmatch(entry.name)
        if match and entry.is_file():
            stamp = datetime.strptime(match["ts"], _STAMP).replace(tzinfo=UTC)
            taken = stamp + timedelta(milliseconds=int(match["ms"]))
            found.append(Backup(entry, taken, match["reason"] or ""))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


# ---- reading files through SQLite -----------------------------------------------------------
def _open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection that works on damaged or older files too (for checks)."""
    if not path.is_file():
        raise ProjectFileError(f"{path}: no such project file")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)


def _project_path(conn: sqlite3.Connection) -> Path:
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    raise BackupError("only a project file can be backed up, not an in-memory database")


def _quick_problems(conn: sqlite3.Connection) -> list[str]:
    try:
        return _problem_lines(conn.execute(f"PRAGMA quick_check({MAX_PROBLEMS})"))
    except sqlite3.DatabaseError as exc:
        return [str(exc)]


def _problem_lines(rows: Iterable[tuple[str]]) -> list[str]:
    """An integrity check's report, one problem a line (SQLite may pack several in a row)."""
    lines = (line.strip() for row in rows for line in str(row[0]).splitlines())
    return [line for line in lines if line and line != "ok" and not line.startswith("***")]


def _counts(conn: sqlite3.Connection) -> tuple[int, int]:
    items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    labels = conn.execute("SELECT count(*) FROM labels").fetchone()[0]
    return int(items), int(labels)


def check_file(path: str | Path, *, full: bool = True) -> CheckResult:
    """SQLite's integrity (or quick) check and the foreign-key check, read-only.

    Raises ``ProjectFileError`` for a missing file, a file that is not an SQLite database and
    a database that is not a prefmark project; damage inside a project is a result, not an
    exception, so the caller can say how to recover.
    """
    path = Path(path)
    conn = _open_readonly(path)
    try:
        try:
            app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
                raise ProjectFileError(
                    f"{path}: not a prefmark project (not an SQLite file)"
                ) from exc
            return CheckResult([str(exc)])
        _require_project(path, app_id, tables)
        check = "integrity_check" if full else "quick_check"
        try:
            problems = _problem_lines(conn.execute(f"PRAGMA {check}({MAX_PROBLEMS})"))
            problems += [
                f"{table} row {rowid} refers to a missing row in {parent}"
                for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check")
            ][:MAX_PROBLEMS]
            items, labels = _counts(conn)
        except sqlite3.DatabaseError as exc:
            return CheckResult([str(exc)])
        return CheckResult(problems, items, labels)
    finally:
        conn.close()


def _require_project(path: Path, app_id: int, tables: set[str]) -> None:
    """The same rule ``labeler.db`` opens projects by: prefmark's stamp, or (from before the
    stamp) its tables."""
    if app_id == APPLICATION_ID:
        return
    if app_id == 0 and not tables:
        raise ProjectFileError(f"{path}: not a prefmark project (an empty file)")
    if app_id != 0 or not {"meta", "items", "labels"} <= tables:
        raise ProjectFileError(f"{path}: not a prefmark project (another program's database)")


# ---- writing backups ------------------------------------------------------------------------
def backup_project(
    source: sqlite3.Connection | str | Path,
    *,
    folder: Path | None = None,
    now: datetime | None = None,
    reason: str = "",
    verify: bool = True,
    prune_old: bool = True,
    keep_days: int = KEEP_DAYS,
    keep_recent: int = KEEP_RECENT,
) -> Path:
    """Snapshot a project (a path, or an open connection to it) into its backups folder.

    The backup API copies one consistent snapshot even while another connection writes (WAL
    readers never wait). It goes to a hidden temporary name and is renamed only once it is
    complete and, with ``verify``, has passed ``quick_check``: a half-written file never looks
    like a backup. Then, with ``prune_old``, backups outside the policy are deleted.
    """
    if isinstance(source, sqlite3.Connection):
        conn: sqlite3.Connection | None = source
        project = _project_path(source)
    else:
        conn, project = None, Path(source)
    folder = folder or backup_dir(project)
    folder.mkdir(parents=True, exist_ok=True)
    stem = project.resolve().stem
    when = _utc(now)
    while (folder / _name(stem, when, reason)).exists():
        when += timedelta(milliseconds=1)
    final = folder / _name(stem, when, reason)
    partial = folder / f".{final.name}.partial"
    _remove_stale_partials(folder, stem)
    src = conn if conn is not None else _open_readonly(project)
    dst = sqlite3.connect(partial, timeout=BUSY_TIMEOUT_S)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        problems = _quick_problems(dst) if verify else []
        if problems:
            raise BackupError(f"{project} is damaged, so no backup was kept: {problems[0]}")
        dst.close()
        os.replace(partial, final)
    except BaseException:
        dst.close()
        for leftover in (partial, *(Path(f"{partial}{s}") for s in SIDE_FILES)):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        if conn is None:
            src.close()
    if prune_old:
        prune(project, folder=folder, keep_days=keep_days, keep_recent=keep_recent)
    return final


def _remove_stale_partials(folder: Path, stem: str) -> None:
    """Temporary files an interrupted backup left (old enough not to be one still running)."""
    pattern = re.compile(rf"\.{_pattern(stem).pattern}\.partial(?:-journal|-wal|-shm)?")
    cutoff = time.time() - STALE_PARTIAL_S
    for entry in folder.iterdir():
        if pattern.fullmatch(entry.name) and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)


def prune(
    project: str | Path,
    *,
    folder: Path | None = None,
    keep_days: int = KEEP_DAYS,
    keep_recent: int = KEEP_RECENT,
) -> list[Path]:
    """Delete backups outside the policy; returns what was deleted.

    Kept: the ``keep_recent`` newest, and the newest of each of the ``keep_days`` most recent
    (UTC) days that have a backup, so a week of daily history survives a busy afternoon.
    """
    project = Path(project)
    backups = _scan(folder or backup_dir(project), project.resolve().stem)
    keep = {b.path for b in backups[:keep_recent]}
    days: set[date] = set()
    for backup in backups:  # newest first: the first one seen of a day is that day's newest
        day = backup.taken_at.date()
        if day not in days and len(days) < keep_days:
            days.add(day)
            keep.add(backup.path)
    removed = [b.path for b in backups if b.path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def backup_due(project: str | Path, *, now: datetime | None = None) -> bool:
    """True unless the project already has a backup from today (UTC)."""
    backups = _scan(backup_dir(project), Path(project).resolve().stem)
    return not backups or backups[0].taken_at.date() != _utc(now).date()


def backup_if_due(project: str | Path, *, now: datetime | None = None) -> Path | None:
    """The app's backup on opening a project: at most one a day."""
    if not backup_due(project, now=now):
        return None
    return backup_project(project, now=now)


def list_backups(project: str | Path, *, folder: Path | None = None) -> list[Backup]:
    """The project's backups, newest first, with item and label counts read from each."""
    project = Path(project)
    listed = []
    for backup in _scan(folder or backup_dir(project), project.resolve().stem):
        try:
            conn = _open_readonly(backup.path)
            try:
                items, labels = _counts(conn)
            finally:
                conn.close()
        except (sqlite3.Error, ProjectFileError) as exc:
            listed.append(Backup(backup.path, backup.taken_at, backup.reason, problem=str(exc)))
            continue
        listed.append(Backup(backup.path, backup.taken_at, backup.reason, items, labels))
    return listed


def good_backups(project: str | Path, limit: int = 3) -> list[Backup]:
    """The newest backups that pass the integrity check (what to restore after damage)."""
    good: list[Backup] = []
    for backup in list_backups(project):
        try:
            if backup.problem is None and check_file(backup.path, full=True).ok:
                good.append(backup)
        except ProjectFileError:
            continue
        if len(good) == limit:
            break
    return good


# ---- restoring ------------------------------------------------------------------------------
def _refuse_when_busy(status: int, _remaining: int, _total: int) -> None:
    """Backup-API progress callback: Python's loop would retry a locked project forever."""
    if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        raise sqlite3.OperationalError("database is locked")


def restore_backup(
    backup: str | Path, project: str | Path, *, folder: Path | None = None
) -> RestoreResult:
    """Replace the project's contents with a backup, through SQLite and its locks.

    The backup must pass the check; the project's current state is backed up first (even
    when damaged), so a restore can be undone by restoring that. Refuses, with a sentence,
    while another program is writing to the project.
    """
    backup, project = Path(backup), Path(project)
    try:
        result = check_file(backup, full=True)
    except ProjectFileError as exc:
        raise BackupError(f"cannot restore from {backup.name}: {exc}") from exc
    if not result.ok:
        raise BackupError(f"{backup.name} is damaged and cannot be restored: {result.problems[0]}")
    if not project.is_file():
        raise BackupError(f"{project}: no such project file to restore into")
    try:
        # not pruned yet: that could delete the very backup about to be restored
        saved = backup_project(
            project, folder=folder, reason=BEFORE_RESTORE, verify=False, prune_old=False
        )
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"{project.name} is too damaged to restore into ({exc}). Copy the backup "
            f"{backup} to a new name and open the copy instead."
        ) from exc
    src = _open_readonly(backup)
    dst = sqlite3.connect(project, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        src.backup(dst, progress=_refuse_when_busy)
        items, labels = _counts(dst)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BackupError(
                f"{project.name} is in use by another program that is writing to it. Close "
                "it there (or wait for its work to finish), then restore again."
            ) from exc
        raise BackupError(f"could not restore {project.name}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"could not restore {project.name}: {exc}") from exc
    finally:
        dst.close()
        src.close()
    prune(project, folder=folder)
    return RestoreResult(project, backup, saved, items, labels)
