"""Import data files into a project (created if new), with the label schema it should use."""

from __future__ import annotations

import gzip
import itertools
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labeler.workflows.base import Workflow, WorkflowError

if TYPE_CHECKING:
    import sqlite_utils

    from labeler.importers import FieldMapping, ImportReport
    from labeler.types import LabelSchema

LINE_PREVIEW_CHARS = 300


@dataclass(frozen=True)
class ImportOptions:
    """What ``prefmark import`` and the app's import dialog both offer.

    ``schema``: the project's label schema; None keeps the project's, or for a project that has
    none picks listwise when any item has more than two responses, pairwise otherwise.
    ``rejects``: where ``skip_bad`` writes bad records (default: beside the project).
    ``image_folders``: where images may come from (default: each file's own folder).
    """

    files: tuple[Path, ...]
    mapping: FieldMapping | None = None
    skip_bad: bool = False
    rejects: Path | None = None
    source_name: str | None = None
    schema: LabelSchema | None = None
    image_folders: tuple[Path, ...] = ()


def default_rejects_path(project: Path) -> Path:
    """Where skipped bad records go when no place is named: ``PROJECT.rejects.jsonl``."""
    return project.with_name(project.name + ".rejects.jsonl")


def default_image_folders(files: tuple[Path, ...]) -> tuple[Path, ...]:
    """The folders images may come from when none are named: each data file's own."""
    return tuple(dict.fromkeys(p.parent for p in files))


def read_line(path: Path, line_no: int, limit: int = LINE_PREVIEW_CHARS) -> str | None:
    """The text of one physical line of a (possibly gzipped) file, shortened for display."""
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as fh:
            raw = next(itertools.islice(fh, line_no - 1, line_no), None)
    except (OSError, EOFError, zlib.error):  # the line may be where a cut-off gzip ends
        return None
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    return text if len(text) <= limit else text[:limit] + f" … ({len(text):,} characters)"


def explain_import_error(exc: Exception) -> WorkflowError:
    """An importer failure as one line naming file, line (or record) and field, plus the
    failing line itself when the file has lines."""
    from labeler.importers import ImportFailed, Location

    if isinstance(exc, ImportFailed):
        loc = exc.location
        line = loc.line if isinstance(loc, Location) else None
        detail = read_line(Path(loc.path), line) if isinstance(loc, Location) and line else None
        return WorkflowError(f"{exc} (nothing was imported)", detail)
    if isinstance(exc, OSError):
        return WorkflowError(
            f"cannot read {getattr(exc, 'filename', None) or 'the file'}: {exc.strerror or exc}"
        )
    return WorkflowError(str(exc))


def _import_into(
    db: sqlite_utils.Database, project: Path, options: ImportOptions
) -> Workflow[ImportReport]:
    from labeler.importers import ImportFailed, import_steps
    from labeler.importers.images import remember_image_folders
    from labeler.store.meta import get_meta, set_schema
    from labeler.types import LabelSchema, SchemaMode

    rejects = options.rejects
    if options.skip_bad and rejects is None:
        rejects = default_rejects_path(project)

    try:
        report = yield from import_steps(
            db, options.files, mapping=options.mapping, skip_bad=options.skip_bad,
            reject_path=rejects, source_name=options.source_name,
            image_folders=options.image_folders,
        )  # fmt: skip
    except (ImportFailed, OSError, ValueError) as exc:
        raise explain_import_error(exc) from exc
    folders = options.image_folders or default_image_folders(options.files)
    remember_image_folders(db, folders)  # the app shows images from these folders only
    if options.schema is not None:
        set_schema(db, options.schema)
    elif get_meta(db, "label_schema") is None:  # a new project: pick from what came in
        mode = SchemaMode.LISTWISE if report.max_responses > 2 else SchemaMode.PAIRWISE
        set_schema(db, LabelSchema(mode=mode))
    return report


def import_data(project: Path, options: ImportOptions) -> Workflow[ImportReport]:
    """Import ``options.files`` into ``project`` in one transaction.

    A project that does not exist yet is built in a private file and appears only once the
    import succeeded; if another program creates it meanwhile, the files go into that one.
    """
    from labeler.db import ProjectFileError, open_db
    from labeler.importers import ImportFailed
    from labeler.importers.readers import check_file
    from labeler.new_project import ProjectAppearedError, building_new_project

    for path in options.files:
        try:
            check_file(path)
        except ImportFailed as exc:
            raise WorkflowError(str(exc)) from None
    yield 0, 0
    try:
        if not project.exists():
            try:
                with building_new_project(project) as db:
                    report = yield from _import_into(db, project, options)
                return report
            except ProjectAppearedError:
                pass  # add to the project that appeared, below
        db = open_db(project, create=False)
    except ProjectFileError as exc:
        raise WorkflowError(str(exc)) from exc
    try:
        return (yield from _import_into(db, project, options))
    finally:
        db.conn.close()
