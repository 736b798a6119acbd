"""What an import will do, said before it runs: the shape the first records have (after the
user's mapping), how many records the file holds, and whether the file already labels them.

Front ends show this beside a preview (the app's import dialog); it reads the few records
previewed plus, for plain JSONL, a count of the file's lines (fast: no parsing).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.importers.errors import RecordError
from labeler.importers.mapping import FieldMapping
from labeler.importers.readers import file_format
from labeler.importers.shapes import Context, Kind, KtoPart, Recogniser, recognise

COUNT_LINES_UP_TO = 128 * 1024 * 1024  # bytes; counting lines of a bigger file would stall
COUNT_GZIP_UP_TO = 16 * 1024 * 1024  # compressed bytes (several times more to decompress)
KIND_WORDS = {
    Kind.PAIR: ("pair", "pairs"),
    Kind.DPO: ("pair", "pairs"),
    Kind.LIST: ("list", "lists"),
    Kind.KTO: ("single reply", "single replies"),
}
SHAPE_TEXT = {
    Kind.PAIR: "a prompt with two responses",
    Kind.DPO: "chosen/rejected pairs",
    Kind.LIST: "a prompt with a list of responses",
    Kind.KTO: "single replies with a thumb up or down (KTO)",
}


@dataclass(frozen=True, slots=True)
class Detected:
    """``shape`` in words, ``records`` (None if unknown, ``at_least`` when only a lower
    bound), and how many of the previewed records carry the file's own labels."""

    kind: Kind | None
    shape: str
    records: int | None
    at_least: bool
    labelled: int
    previewed: int

    def summary(self) -> str:
        """E.g. "2,312 pairs, already labelled by the file: they will be stored as imported
        labels"."""
        if self.kind is None:
            return self.shape
        one, many = KIND_WORDS[self.kind]
        n = self.records
        if n is None:
            amount = many
        else:
            amount = f"{'more than ' if self.at_least else ''}{n:,} {one if n == 1 else many}"
        text = f"{amount} ({self.shape})"
        if self.labelled and self.labelled == self.previewed:
            return f"{text}, already labelled by the file: they will be stored as imported labels"
        if self.labelled:
            return (
                f"{text}; {self.labelled} of the first {self.previewed} are labelled by the "
                "file (stored as imported labels), the rest go to the labelling queue"
            )
        return f"{text}, not labelled yet: they go to the labelling queue"


def count_lines(path: Path) -> int | None:
    """Non-empty lines of a file, gzipped or not (None when too big to count quickly or
    unreadable: the import itself then says why)."""
    gz = path.suffix == ".gz"
    if path.stat().st_size > (COUNT_GZIP_UP_TO if gz else COUNT_LINES_UP_TO):
        return None
    try:
        with gzip.open(path, "rb") if gz else path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    except (OSError, EOFError, zlib.error):
        return None


def detect(
    path: Path, records: Sequence[Any], mapping: FieldMapping | None, complete: bool
) -> Detected:
    """Describe an import of ``path`` whose first ``records`` were read (``complete``: that
    is all of them). Raises RecordError when the records' shape is not recognised."""
    mapping = mapping or FieldMapping()
    if not records:
        return Detected(None, "the file holds no records", 0, False, 0, 0)
    first = records[0]
    if not isinstance(first, dict):
        raise RecordError(None, f"a record must be an object, not {type(first).__name__}")
    kind = recognise(frozenset(mapping.apply(first))).kind
    recogniser = Recogniser(Context(path.parent, path.name, mapping))
    labelled = 0
    for record in records:
        parsed = recogniser.parse(record)
        if isinstance(parsed, KtoPart):
            labelled += parsed.thumb is not None
        else:
            labelled += bool(parsed.labels)
    total: int | None = len(records) if complete else None
    if total is None and file_format(path) == "jsonl":
        total = count_lines(path)
    at_least = total is None and not complete
    return Detected(
        kind, SHAPE_TEXT[kind], total if total is not None else len(records), at_least,
        labelled, len(records),
    )  # fmt: skip
