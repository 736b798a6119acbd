"""Stream records out of JSONL, JSON-array, CSV and Parquet files (optionally gzipped).

Every reader yields ``(location, record)`` one record at a time, so memory stays bounded by
the largest record, not the file. The JSON-array reader is a small incremental parser over
``json.JSONDecoder.raw_decode`` rather than a dependency: it only has to split a top-level
array into elements, and the stdlib C decoder does the real work.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import re
import stat
import sys
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import orjson

from labeler.importers.errors import ImportFailed, Location, RecordError
from labeler.importers.parquet import iter_parquet

RawRecord = Any  # a decoded JSON value (shapes checks it is an object), or a RecordError
# Per-record problems that do not stop reading (an invalid JSON line, a CSV row with too many
# cells) are yielded as RecordError values, so the caller decides: fail, or reject and go on.
Records = Generator[tuple[Location, RawRecord], None, None]

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = codecs.BOM_UTF8
_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,  # before UTF-16's, which it starts with
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)
_CHUNK = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
# Text is decoded with "surrogateescape": a byte that is not UTF-8 becomes one of these, so a
# record holding one is refused alone (and can be skipped) instead of ending the whole file.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
NOT_UTF8 = "not UTF-8 text (save the file as UTF-8)"
TOO_DEEP = "nested too deeply"


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be imported as a file (None: it is a regular file)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    return f"{kind}, not a data file"


def check_file(path: Path) -> None:
    """Raise ImportFailed saying what ``path`` is when it is not a regular file to read.

    Reading a FIFO or a device could block forever or never end, so neither is opened.
    """
    reason = _not_a_file(path)
    if reason is not None:
        raise ImportFailed(path, None, reason)
    if not os.access(path, os.R_OK):
        raise ImportFailed(path, None, "cannot read it: permission denied")


class ByteCounter:
    """How far through its file (in bytes on disk) a reader is, for progress bars."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0


def file_format(path: Path) -> str:
    """``jsonl``, ``json``, ``csv``, ``tsv`` or ``parquet`` from the name (``.gz`` ignored)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, fmt in (
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".csv", "csv"),
        (".tsv", "tsv"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if name.endswith(suffix):
            return fmt
    raise ImportFailed(
        path, None, "unknown file type; expected .jsonl, .json, .csv, .tsv or .parquet (.gz ok)"
    )


def _open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """Open a file (and the raw file under it), gunzipping it when it starts gzip-compressed."""
    raw = path.open("rb")
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        unzipped: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        return unzipped, raw
    raw.seek(0)
    return raw, raw


def _raw(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")


def iter_jsonl(fh: IO[bytes], path: Path) -> Records:
    """One JSON value per line; blank lines are skipped. The hot path of big imports."""
    loads = orjson.loads  # about 3x the standard library on 2 KB records
    if fh.peek(3)[:3] == _BOM:  # type: ignore[attr-defined]  # Buffered and Gzip files peek
        fh.read(3)
    record = 0
    for lineno, line in enumerate(fh, 1):
        try:
            value = loads(line)
        except json.JSONDecodeError as exc:
            if not line.strip():
                continue
            if isinstance(exc, UnicodeDecodeError) or exc.msg.startswith("str is not valid UTF-8"):
                value = RecordError(None, NOT_UTF8, _raw(line))
            elif "depth limit" in exc.msg:
                value = RecordError(None, f"{TOO_DEEP} (over 1,024 levels)", _raw(line))
            else:
                value = RecordError(
                    None, f"invalid JSON: {exc.msg} (column {exc.colno})", _raw(line)
                )
        record += 1
        yield Location(path, record, lineno), value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number (write null or a number)")


class _ArrayScanner:
    """Incremental splitter of one top-level JSON array into its elements.

    An element whose strings hold bytes that are not UTF-8 is yielded as a RecordError;
    anything that breaks the array itself (bad JSON, NaN, nesting past what the decoder
    can follow) stops the file, since where the next element starts is then unknown.
    """

    def __init__(self, fh: IO[bytes], path: Path) -> None:
        self._fh = fh
        self._path = path
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
        self._json = json.JSONDecoder(parse_constant=_no_constant)
        self._buf = ""
        self._pos = 0
        self._line = 1  # line number at self._pos
        self._last_line = 0  # the line where the previous element started
        self._eof = False

    def _fill(self) -> bool:
        """Append more text (at least doubling what is pending); False at end of file."""
        if self._eof:
            return False
        pending = len(self._buf) - self._pos
        chunk = self._fh.read(max(_CHUNK, pending))
        self._eof = not chunk
        self._buf = self._buf[self._pos :] + self._decoder.decode(chunk, final=self._eof)
        self._pos = 0
        return True

    def _advance(self, end: int) -> None:
        self._line += self._buf.count("\n", self._pos, end)
        self._pos = end

    def _skip_ws(self) -> str:
        """Skip whitespace; the next character, or '' at end of file."""
        while True:
            self._advance(_WS.match(self._buf, self._pos).end())  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _location(self, record: int) -> Location:
        """Where ``record`` starts: its line, unless an earlier element started on that line
        too (a one-line array), where only the record number tells the place."""
        return Location(self._path, record, None if self._line == self._last_line else self._line)

    def _fail(self, record: int, reason: str) -> ImportFailed:
        return ImportFailed(self._location(record), None, reason)

    def records(self) -> Records:
        if self._skip_ws() != "[":
            ch = self._buf[self._pos : self._pos + 1]
            if ch and _UNDECODABLE.match(ch):
                raise self._fail(0, NOT_UTF8)
            raise self._fail(0, "expected a JSON array ('[') or one JSON object per line")
        self._advance(self._pos + 1)
        record = 0
        if self._skip_ws() == "]":
            self._advance(self._pos + 1)
            return self._expect_end(record)
        while True:
            record += 1
            loc = self._location(record)
            self._last_line = self._line
            yield loc, self._value(record)
            ch = self._skip_ws()
            if ch == "]":
                self._advance(self._pos + 1)
                return self._expect_end(record)
            if ch != ",":
                raise self._fail(record, self._invalid("expected ',' or ']' after an element"))
            self._advance(self._pos + 1)
            self._skip_ws()

    def _invalid(self, msg: str, pos: int | None = None) -> str:
        at = self._pos if pos is None else pos
        if _UNDECODABLE.match(self._buf, at):
            return NOT_UTF8
        return f"invalid JSON: {msg}"

    def _value(self, record: int) -> RawRecord:
        while True:
            start = self._pos
            try:
                value, end = self._json.raw_decode(self._buf, start)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue
                raise self._fail(record, self._invalid(exc.msg, exc.pos)) from None
            except ValueError as exc:  # NaN or Infinity
                raise self._fail(record, f"invalid JSON: {exc}") from None
            except RecursionError:
                raise self._fail(record, f"{TOO_DEEP} for JSON") from None
            if end == len(self._buf) and self._fill():
                continue  # a number may go on in the next chunk: decode again with more text
            self._advance(end)
            if _UNDECODABLE.search(self._buf, start, end):
                text = self._buf[start:end].encode("utf-8", "surrogateescape")
                return RecordError(None, NOT_UTF8, _raw(text))
            return value

    def _expect_end(self, record: int) -> None:
        if self._skip_ws():
            raise self._fail(record, self._invalid("extra data after the closing ']'"))


def iter_json(fh: IO[bytes], path: Path) -> Records:
    """A JSON array streamed element by element, or JSON Lines saved with a .json name."""
    head = fh.peek(256)  # type: ignore[attr-defined]  # BufferedReader and GzipFile both peek
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return iter_jsonl(fh, path)
    return _ArrayScanner(fh, path).records()


def iter_csv(fh: IO[bytes], path: Path, delimiter: str = ",") -> Records:
    """CSV/TSV rows as dicts of strings; empty cells are left out (treated as missing)."""
    csv.field_size_limit(sys.maxsize)
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from _csv_rows(csv.reader(text, delimiter=delimiter), path)
    finally:
        text.close()


def _csv_rows(reader: Any, path: Path) -> Records:
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ImportFailed(Location(path, 0, 1), None, f"invalid CSV: {exc}") from None
    if _UNDECODABLE.search("".join(header)):
        raise ImportFailed(Location(path, 0, 1), None, f"column names: {NOT_UTF8}")
    start = reader.line_num + 1
    record = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed(
                Location(path, record + 1, start), None, f"invalid CSV: {exc}"
            ) from None
        record += 1
        loc = Location(path, record, start)
        start = reader.line_num + 1
        if not row:
            continue
        if len(row) > len(header):
            bad = RecordError(None, f"{len(row)} cells but {len(header)} column names", str(row))
            yield loc, bad
            continue
        bad_cell = next((i for i, v in enumerate(row) if _UNDECODABLE.search(v)), None)
        if bad_cell is not None:
            yield loc, RecordError(header[bad_cell], NOT_UTF8, _raw(_csv_bytes(row)))
            continue
        yield loc, {k: v for k, v in zip(header, row, strict=False) if v != ""}


def _csv_bytes(row: list[str]) -> bytes:
    return ",".join(row).encode("utf-8", "surrogateescape")


_READ_ERRORS = (EOFError, zlib.error, OSError)  # gzip.BadGzipFile is an OSError


def _unreadable(exc: BaseException) -> str:
    """Why reading stopped, in words: a cut-off download reads as a truncated gzip."""
    if isinstance(exc, EOFError):
        return "file ends early: truncated gzip?"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"corrupt gzip data: {exc}"
    assert isinstance(exc, OSError)
    return f"cannot read the file: {exc.strerror or exc}"


def open_records(path: Path) -> tuple[Records, ByteCounter | None]:
    """The records of one file and a byte counter for progress (None for Parquet).

    A file that cannot be read to its end (a truncated or corrupt gzip, an I/O error) stops
    the import with ImportFailed naming the file and the line reached.
    """
    check_file(path)
    fmt = file_format(path)
    try:
        fh, raw = _open_binary(path)
    except OSError as exc:
        raise ImportFailed(path, None, _unreadable(exc)) from None
    if fmt == "parquet":
        gzipped = fh is not raw
        fh.close()
        raw.close()
        if gzipped:
            raise ImportFailed(path, None, "a gzipped Parquet file: unzip it first")
        return iter_parquet(path), None
    try:
        head = fh.peek(4)[:4]  # type: ignore[attr-defined]
        if head.startswith(_UTF16_32_BOMS):
            reason = "UTF-16 or UTF-32 text (save the file as UTF-8)"
            raise ImportFailed(Location(path, 1, 1), None, reason)
        if fmt == "jsonl":
            records = iter_jsonl(fh, path)
        elif fmt == "json":
            records = iter_json(fh, path)  # peeks at the first bytes
        else:
            records = iter_csv(fh, path, "\t" if fmt == "tsv" else ",")
    except _READ_ERRORS as exc:
        fh.close()
        raw.close()
        raise ImportFailed(Location(path, 1, 1), None, _unreadable(exc)) from None
    except ImportFailed:
        fh.close()
        raw.close()
        raise
    return _closing(records, fh, raw, path), ByteCounter(raw)


def _closing(records: Records, fh: IO[bytes], raw: IO[bytes], path: Path) -> Records:
    loc = Location(path, 0, 0)
    try:
        for loc, value in records:
            yield loc, value
    except _READ_ERRORS as exc:
        # Reading failed after the record at ``loc``: name the next record and line.
        line = None if loc.line is None else loc.line + 1
        raise ImportFailed(Location(path, loc.record + 1, line), None, _unreadable(exc)) from None
    finally:
        fh.close()
        raw.close()
