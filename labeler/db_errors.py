"""What went wrong with a project file, in one sentence a person can act on.

SQLite reports a locked, full, read-only or damaged file as a bare ``sqlite3.Error``; every
front end turns it into the same sentence here, naming the file and what to do, and adds its
own way to check or restore (a menu in the app, a command on the terminal).
"""

from __future__ import annotations

import errno
import sqlite3
from enum import StrEnum
from pathlib import Path


class Problem(StrEnum):
    BUSY = "busy"
    FULL = "full"
    READONLY = "readonly"
    DAMAGED = "damaged"
    IO = "io"


_MARKERS: tuple[tuple[Problem, tuple[str, ...]], ...] = (
    (Problem.BUSY, ("database is locked", "database table is locked", "database schema is")),
    (Problem.FULL, ("database or disk is full", "no space left")),
    (Problem.READONLY, ("readonly database", "read-only", "unable to open database file")),
    (Problem.DAMAGED, ("malformed", "not a database", "file is encrypted", "corrupt")),
    (Problem.IO, ("disk i/o error",)),
)

_ADVICE = {
    Problem.BUSY: "another program is writing to this project and did not finish in time; "
    "try again when it is done",
    Problem.FULL: "the disk is full; free some space and try again "
    "(everything saved before this step is kept)",
    Problem.READONLY: "the project file or its folder is read-only; make both writable, or "
    "copy the project to a folder you can write to",
    Problem.DAMAGED: "the project file is damaged",
    Problem.IO: "the disk reported an error while reading or writing the project; "
    "check the disk, then try again",
}


def classify(exc: BaseException) -> Problem | None:
    """The kind of problem behind an SQLite (or OS) error, or None for a plain bug."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return Problem.FULL
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return Problem.READONLY
    if not isinstance(exc, sqlite3.Error):
        return None
    text = str(exc).lower()
    for problem, markers in _MARKERS:
        if any(m in text for m in markers):
            return problem
    return None


def describe_error(exc: BaseException, path: str | Path) -> str:
    """One sentence: the file, what is wrong, what to do."""
    problem = classify(exc)
    if problem is None:
        return f"{path}: {exc}"
    return f"{path}: {_ADVICE[problem]}"
