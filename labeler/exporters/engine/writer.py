"""Write records to an export folder: JSONL (default) or Parquet, one file per split.

Layout: ``data/<split>.jsonl`` or ``data/<split>.parquet``, plus ``README.md`` (the dataset
card) and any target files at the top. The writers fill a hidden folder that ``folder``
renames into place once the export is complete; each split is written under a ``.partial``
name and renamed when closed.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from labeler.exporters.formats.spec import Record

MANIFEST = "prefmark-export.json"
"""Describes an export for programs; its ``export_id`` proves a folder is one (``folder``)."""

SPLITS = ("train", "test")


class ExportError(Exception):
    """An export cannot run as asked (bad option, folder in use, nothing to export)."""


@dataclass(frozen=True)
class SplitFile:
    split: str
    path: str  # relative to the export folder, with forward slashes
    records: int
    bytes: int


PART_NAME = re.compile(r"\.part\d+\.(train|test)\.jsonl")
"""A part file of a parallel export's helper process (``parallel.part_path``)."""


def remove_parts(out_dir: Path) -> None:
    """Delete the helpers' part files in ``out_dir/data`` (only files named as they are)."""
    data = out_dir / "data"
    if data.is_dir():
        for part in data.iterdir():
            if PART_NAME.fullmatch(part.name):
                part.unlink(missing_ok=True)


class SplitWriter(Protocol):
    extension: str

    def write(self, split: str, records: list[Record]) -> None: ...

    def close(self) -> list[SplitFile]: ...

    def abort(self) -> None: ...


def _default(value: Any) -> Any:
    """What orjson leaves to the caller: tuple subclasses (named tuples) become arrays."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_record(record: Any) -> bytes:
    """One JSONL line (compact UTF-8 JSON and a newline), keys in the record's order.

    orjson writes strings exactly as ``json.dumps(ensure_ascii=False)`` does; floats in
    shortest round-trip form (``1e-05`` comes out as ``0.00001``), and NaN or infinity,
    which are not JSON, as ``null``. Every JSONL line of an export goes through here (the
    pre-encoded fast path splices pieces encoded here), so the bytes agree throughout.
    """
    return orjson.dumps(record, default=_default, option=orjson.OPT_APPEND_NEWLINE)


class JsonlWriter:
    """One JSON object per line, UTF-8, keys in builder order: the bytes depend only on the
    records, so the same export twice gives identical files."""

    extension = "jsonl"

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._files: dict[str, Any] = {}
        self._counts: dict[str, int] = {}

    def _file(self, split: str) -> Any:
        fh = self._files.get(split)
        if fh is None:
            (self.out_dir / "data").mkdir(exist_ok=True)
            path = self.out_dir / "data" / f"{split}.jsonl.partial"
            fh = self._files[split] = open(path, "wb", buffering=1 << 20)  # noqa: SIM115
            self._counts[split] = 0
        return fh

    def write(self, split: str, records: list[Record]) -> None:
        self.write_lines(split, list(map(encode_record, records)))

    def write_lines(self, split: str, lines: list[bytes]) -> None:
        """Write lines as ``encode_record`` makes them (each ending in a newline)."""
        if not lines:
            return
        self._file(split).write(b"".join(lines))
        self._counts[split] += len(lines)

    def raw_file(self, split: str) -> Any:
        """The split's file, flushed, for bytes appended from outside (``add_count`` them)."""
        fh = self._file(split)
        fh.flush()
        return fh.raw

    def add_count(self, split: str, records: int) -> None:
        self._counts[split] += records

    def close(self) -> list[SplitFile]:
        return _finish(self.out_dir, self._files, self._counts, self.extension)

    def abort(self) -> None:
        _discard(self.out_dir, self._files, self.extension)


def _finish(
    out_dir: Path, files: dict[str, Any], counts: dict[str, int], ext: str
) -> list[SplitFile]:
    out = []
    for split in SPLITS:
        if split not in files:
            continue
        files[split].close()
        partial = out_dir / "data" / f"{split}.{ext}.partial"
        final = partial.with_suffix("")
        os.replace(partial, final)
        out.append(SplitFile(split, f"data/{final.name}", counts[split], final.stat().st_size))
    files.clear()
    return out


def _discard(out_dir: Path, files: dict[str, Any], ext: str) -> None:
    """Drop what a failed export wrote; quietly, so its own error (say a full disk, which
    closing would hit again) is the one reported."""
    for split, fh in files.items():
        with contextlib.suppress(Exception):
            fh.close()
        with contextlib.suppress(OSError):
            (out_dir / "data" / f"{split}.{ext}.partial").unlink(missing_ok=True)
    files.clear()


def arrow_schema(columns: list[tuple[str, str]]) -> Any:
    """The Parquet schema for the column type names the targets use."""
    import pyarrow as pa

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    turn = pa.struct([("from", pa.string()), ("value", pa.string())])
    types = {
        "string": pa.string(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "strings": pa.list_(pa.string()),
        "ints": pa.list_(pa.int64()),
        "floats": pa.list_(pa.float64()),
        "messages": pa.list_(message),
        "list_messages": pa.list_(pa.list_(message)),
        "openai_input": pa.struct([("messages", pa.list_(message))]),
        "sharegpt": pa.list_(turn),
        "sharegpt_turn": turn,
    }
    return pa.schema([(name, types[kind]) for name, kind in columns])


class ParquetWriter:
    """Parquet with an explicit schema (so an all-null column keeps its type), written in
    row groups as records arrive."""

    extension = "parquet"
    ROW_GROUP = 50_000

    def __init__(self, out_dir: Path, columns: list[tuple[str, str]]) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ExportError(
                "Parquet files need pyarrow, which is not installed (prefmark's parquet extra)"
            ) from None
        self.out_dir = out_dir
        self.schema = arrow_schema(columns)
        self._files: dict[str, Any] = {}
        self._buffers: dict[str, list[Record]] = {}
        self._counts: dict[str, int] = {}

    def write(self, split: str, records: list[Record]) -> None:
        if not records:
            return
        buf = self._buffers.setdefault(split, [])
        buf.extend(records)
        self._counts[split] = self._counts.get(split, 0) + len(records)
        if len(buf) >= self.ROW_GROUP:
            self._flush(split)

    def _flush(self, split: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        buf = self._buffers.get(split)
        if not buf:
            return
        if split not in self._files:
            (self.out_dir / "data").mkdir(exist_ok=True)
            path = self.out_dir / "data" / f"{split}.parquet.partial"
            self._files[split] = pq.ParquetWriter(path, self.schema, compression="zstd")
        self._files[split].write_table(pa.Table.from_pylist(buf, schema=self.schema))
        buf.clear()

    def close(self) -> list[SplitFile]:
        for split in list(self._buffers):
            self._flush(split)
        return _finish(self.out_dir, self._files, self._counts, self.extension)

    def abort(self) -> None:
        _discard(self.out_dir, self._files, self.extension)
