"""Create a project file that does not exist yet, without ever taking over someone else's.

A new project is built in a private sibling file that only this process knows (created with
``O_EXCL`` under a random name) and moved into place with a no-clobber link once it is
complete. So a failed import leaves nothing behind, and it can never delete a project that
another program created at the same path meanwhile: that file was never ours.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from labeler.db import SIDE_FILES, claim_new_file, open_db

if TYPE_CHECKING:
    import sqlite_utils


class ProjectAppearedError(FileExistsError):
    """Another program created a project at the path while this one was building it."""


def _private_sibling(path: Path) -> Path:
    for _ in range(100):
        candidate = path.with_name(f".{path.name}.new-{secrets.token_hex(6)}")
        if claim_new_file(candidate):
            return candidate
    raise FileExistsError(f"{path}: could not create a temporary file beside it")


def _discard(private: Path) -> None:
    """Remove the private file and SQLite's side files of it: all made by this process."""
    for suffix in ("", *SIDE_FILES):
        private.with_name(private.name + suffix).unlink(missing_ok=True)


def _move_into_place(private: Path, path: Path) -> None:
    try:
        os.link(private, path)  # fails if anything exists at path: never clobbers
    except FileExistsError:
        raise ProjectAppearedError(f"{path}: created by another program meanwhile") from None
    except OSError:  # a file system without hard links (FAT, some network drives)
        if os.name != "nt" and path.exists():
            raise ProjectAppearedError(f"{path}: created by another program meanwhile") from None
        os.rename(private, path)  # refuses an existing target on Windows
        return
    private.unlink()


@contextmanager
def building_new_project(path: Path) -> Iterator[sqlite_utils.Database]:
    """Yield an open, empty project that appears at ``path`` only if the block succeeds.

    Raises ``ProjectAppearedError`` (with nothing changed at ``path``) when another program
    created ``path`` first; the caller can then add to that project instead.
    """
    private = _private_sibling(path)
    try:
        db = open_db(private)
        try:
            yield db
        finally:
            db.conn.close()  # the last connection: SQLite folds the WAL into the file
        _move_into_place(private, path)
    finally:
        _discard(private)
