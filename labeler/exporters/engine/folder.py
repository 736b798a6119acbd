"""The export folder appears whole or not at all, and only prefmark's own exports are replaced.

An export writes everything (data files, card, manifest) into a hidden sibling of the
folder asked for, ``.<name>.prefmark-tmp-<8 hex digits>``, and renames it into place once
complete: an export that is killed or fails leaves the folder as it was, never one that
``load_dataset`` reads but that lacks its card or manifest.

The folder asked for may be absent, empty, or an earlier prefmark export. An earlier export
counts only with proof: its manifest carries an ``export_id`` (a digest of its ``contents``,
every other file of the export with its size in bytes), and the folder holds exactly those
files, as real files (no symbolic links), and nothing else. A ``prefmark-export.json`` on its
own proves nothing. The proven export is renamed aside, the new one renamed in, and then the
old one's files deleted by name. Anything else is refused untouched.

A rerun removes the hidden siblings killed exports left, but only those named exactly so,
holding nothing but files an export writes, and not locked: an export holds a lock on its
sibling while it writes, and the system drops the lock when the process dies. Where there are
no such locks (Windows) or a sibling cannot be locked, it is left alone.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labeler.exporters.engine.writer import MANIFEST, PART_NAME, SPLITS, ExportError

MANIFEST_FORMAT = "prefmark-export/1"
TOP_NAMES = frozenset({"README.md", MANIFEST, "dataset_info.json"})
"""The files an export may write next to ``data``."""
_DATA_NAMES = frozenset(
    f"{split}.{ext}{tail}"
    for split in SPLITS
    for ext in ("jsonl", "parquet")
    for tail in ("", ".partial")
)
NO_SPACE = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def contents_id(contents: dict[str, int]) -> str:
    """The digest that ties a manifest to the exact files (and sizes) it lists."""
    canonical = json.dumps(contents, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{MANIFEST_FORMAT}\n{canonical}".encode()).hexdigest()


def ownership(contents: dict[str, int]) -> dict[str, Any]:
    """The manifest keys that let a later export prove the folder is this export."""
    listed = dict(sorted(contents.items()))
    return {
        "manifest_format": MANIFEST_FORMAT,
        "export_id": contents_id(listed),
        "contents": listed,
    }


def no_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in NO_SPACE


@contextlib.contextmanager
def staged_export(out: Path) -> Iterator[Path]:
    """Yield an empty hidden sibling of ``out`` to export into; move it into place when the
    block ends normally, delete it when the block fails. A full disk becomes an ExportError."""
    dest = Path(os.path.abspath(out))
    if not dest.name:
        raise ExportError(f"{out}: choose a folder to export into, not a file system root")
    _state(dest, out)  # refuse early, before any work
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{out}: cannot create the folder it goes in ({exc.strerror})") from exc
    remove_stale(dest)
    work: Path | None = None
    lock: int | None = None
    try:
        work = _new_sibling(dest, create=True)
        lock = _lock(work)
        yield work
        _publish(work, dest, out)
        work = None
    except OSError as exc:
        if no_space(exc):
            raise ExportError(
                f"{out}: no space left on device while exporting; free some space and export "
                f"again (nothing was written to {out})"
            ) from exc
        raise
    finally:
        if lock is not None:
            os.close(lock)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)  # ours: made by this export just now


def _state(dest: Path, out: Path) -> str:
    """``absent``, ``empty`` or ``export`` (a proven earlier export); else ExportError."""
    try:
        st = os.lstat(dest)
    except (FileNotFoundError, NotADirectoryError):
        return "absent"
    if stat.S_ISLNK(st.st_mode):
        raise ExportError(f"{out}: is a symbolic link; give the folder it points to instead")
    if not stat.S_ISDIR(st.st_mode):
        raise ExportError(f"{out}: exists and is not a folder")
    if st.st_dev != os.lstat(dest.parent).st_dev:
        raise ExportError(f"{out}: is a mount point; export into a new folder inside it")
    with os.scandir(dest) as entries:
        if next(entries, None) is None:
            return "empty"
    if proven_export(dest):
        return "export"
    if os.path.lexists(dest / MANIFEST):
        raise ExportError(
            f"{out}: folder is not empty and not provably a prefmark export (its {MANIFEST} "
            "must list every other file in it, unchanged); remove it or choose another folder"
        )
    raise ExportError(f"{out}: folder is not empty (and holds no prefmark export)")


def export_files(folder: Path) -> dict[str, int] | None:
    """Every file in ``folder`` with its size, if all are files an export writes, in their
    places, and real files (a link or any other name gives None)."""
    found: dict[str, int] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name == "data" and entry.is_dir(follow_symlinks=False):
                    with os.scandir(entry.path) as data:
                        for sub in data:
                            if not (_data_name(sub.name) and sub.is_file(follow_symlinks=False)):
                                return None
                            found[f"data/{sub.name}"] = sub.stat(follow_symlinks=False).st_size
                elif entry.name in TOP_NAMES and entry.is_file(follow_symlinks=False):
                    found[entry.name] = entry.stat(follow_symlinks=False).st_size
                else:
                    return None
    except OSError:
        return None
    return found


def _data_name(name: str) -> bool:
    return name in _DATA_NAMES or PART_NAME.fullmatch(name) is not None


def proven_export(folder: Path) -> bool:
    """Whether ``folder`` is exactly the export its manifest describes (see the module doc)."""
    found = export_files(folder)
    if found is None or MANIFEST not in found or found[MANIFEST] > 1 << 24:
        return False
    try:
        fd = os.open(folder / MANIFEST, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb") as fh:
            manifest = json.loads(fh.read())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("manifest_format") != MANIFEST_FORMAT:
        return False
    contents = manifest.get("contents")
    if not isinstance(contents, dict) or manifest.get("export_id") != contents_id(contents):
        return False
    del found[MANIFEST]
    return found == contents


def remove_export_files(folder: Path) -> bool:
    """Delete ``folder`` if it holds only files an export writes (see ``export_files``),
    file by file; anything else, or anything that appears meanwhile, stays."""
    found = export_files(folder)
    if found is None:
        return False
    with contextlib.suppress(OSError):
        for name in found:
            (folder / name).unlink(missing_ok=True)
        if (folder / "data").is_dir():
            (folder / "data").rmdir()
        folder.rmdir()
        return True
    return False


def _sibling_pattern(dest: Path) -> re.Pattern[str]:
    return re.compile(re.escape(f".{_stem(dest)}.prefmark-tmp-") + "[0-9a-f]{8}")


def _stem(dest: Path) -> str:
    """The folder's name, or a digest of it when it is too long to take a suffix."""
    name = dest.name
    return name if len(os.fsencode(name)) <= 200 else hashlib.sha256(name.encode()).hexdigest()


def _new_sibling(dest: Path, *, create: bool) -> Path:
    """A fresh hidden sibling name of ``dest`` (made as a folder with ``create``; made with
    the usual permissions, as the export folder keeps them)."""
    while True:
        path = dest.parent / f".{_stem(dest)}.prefmark-tmp-{secrets.token_hex(4)}"
        if not create:
            if not os.path.lexists(path):
                return path
            continue
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except PermissionError:
            raise ExportError(f"{dest.parent}: no permission to write here") from None
        return path


def _lock(folder: Path) -> int | None:
    """A descriptor holding an exclusive lock on ``folder`` (None: cannot lock it now or
    here: held by another export, a link, or a system without ``flock``)."""
    if sys.platform == "win32":
        return None
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_stale(dest: Path) -> None:
    """Remove the hidden siblings of ``dest`` that killed exports left (see the module doc)."""
    pattern = _sibling_pattern(dest)
    try:
        names = [n for n in os.listdir(dest.parent) if pattern.fullmatch(n)]
    except OSError:
        return
    for name in names:
        lock = _lock(dest.parent / name)
        if lock is None:
            continue
        try:
            remove_export_files(dest.parent / name)
        finally:
            os.close(lock)


def _publish(work: Path, dest: Path, out: Path) -> None:
    """Move the finished export into place in one rename, if ``dest`` is still free or ours."""
    state = _state(dest, out)
    try:
        if state == "absent":
            os.rename(work, dest)
        elif state == "empty":
            try:
                os.rename(work, dest)  # replaces an empty folder on POSIX systems
            except OSError:
                dest.rmdir()  # elsewhere: only while it is still empty
                os.rename(work, dest)
        else:
            old = _new_sibling(dest, create=False)
            os.rename(dest, old)
            try:
                os.rename(work, dest)
            except BaseException:
                os.rename(old, dest)
                raise
            remove_export_files(old)
    except OSError as exc:
        if no_space(exc):
            raise
        raise ExportError(
            f"{out}: could not move the export into place ({exc.strerror}); "
            f"nothing was written to {out}"
        ) from exc
