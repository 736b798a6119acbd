"""Where a record came from and what was wrong with it, in words a user can act on."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple


class Location(NamedTuple):
    """A record's place in its file: the line where it starts (text formats) and its number.

    ``record`` counts records from 1 (JSON array elements, CSV data rows, Parquet rows);
    ``line`` is the 1-based physical line, or None where it does not tell the place: a file
    without lines (Parquet), or a record sharing its line with others (a one-line array).
    A named tuple, not a frozen dataclass: one is built per record, and this is the cheaper
    constructor on the import hot path.
    """

    path: Path
    record: int
    line: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: record {self.record}"
        return f"{self.path}:{self.line}"


class RecordError(ValueError):
    """A record cannot become an item; ``field`` names the offending field (None: the record)."""

    def __init__(self, field: str | None, reason: str, raw: str | None = None) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.raw = raw  # the unparseable source text, for the reject file


class ImportFailed(Exception):
    """The import stopped (and was rolled back) on a bad record or an unreadable file."""

    def __init__(self, location: Location | Path, field: str | None, reason: str) -> None:
        self.location = location
        self.field = field
        self.reason = reason
        where = f"field '{field}': " if field else ""
        super().__init__(f"{location}: {where}{reason}")
