"""A corpus of malformed import files of every format and shape, and the check each must pass.

``corpus(folder)`` writes a few hundred files: valid records of every shape in every format
(JSONL, JSON arrays pretty and on one line, CSV, TSV, Parquet, gzipped), then broken in every
way a user's file breaks: truncated, bytes flipped, invalid UTF-8, UTF-16, BOMs, deep nesting,
non-finite numbers, fractional ranks, odd verdicts, hostile image references, empty and
header-only files, garbage and cut Parquet, exotic Parquet column types. ``check`` imports one
file, through the same workflow the CLI and the app use, into a new and into an existing
project, with and without skipping bad records, and says what happened. Used by
``test_malformed_corpus.py`` and ``benchmarks/malformed_imports.py`` (which prints counts).
"""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import io
import json
import random
import sqlite3
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHAPES: dict[str, list[dict[str, Any]]] = {
    "pair": [
        {"prompt": f"q{i}", "response_a": f"a{i}", "response_b": f"b{i}", "winner": "model_a"}
        for i in range(4)
    ],
    "list": [
        {"prompt": f"q{i}", "responses": [f"x{i}", f"y{i}", f"z{i}"], "ranks": [1, 2, 3]}
        for i in range(4)
    ],
    "scores": [
        {"prompt": f"q{i}", "responses": [f"x{i}", f"y{i}"], "scores": [0.5, 1.5]}
        for i in range(4)
    ],
    "dpo": [{"prompt": f"q{i}", "chosen": f"c{i}", "rejected": f"r{i}"} for i in range(4)],
    "kto": [
        {"prompt": f"q{i // 2}", "completion": f"c{i}", "label": i % 2 == 0} for i in range(4)
    ],
    "chat": [
        {
            "messages": [{"role": "user", "content": f"hi {i}"}],
            "responses": [{"text": f"a{i}", "model": "m1"}, {"text": f"b{i}", "model": "m2"}],
        }
        for i in range(4)
    ],
    "verdicts": [
        {"prompt": f"q{i}", "response1": f"a{i}", "response2": f"b{i}", "annotator1": 1}
        for i in range(4)
    ],
}
TEXT_FORMATS = ("jsonl", "json", "json1", "csv", "tsv")


@dataclass(frozen=True)
class Case:
    """One file to import, and whether the importer must refuse it (None: either is fine)."""

    path: Path
    must_fail: bool | None
    annotator_fields: tuple[str, ...] = ()
    scores_are_labels: bool = False


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def encode(records: list[Any], fmt: str) -> bytes:
    """``records`` written as a ``fmt`` file (json1: a JSON array on one line)."""
    if fmt == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in records).encode()
    if fmt == "json":
        return json.dumps(records, indent=2).encode()
    if fmt == "json1":
        return json.dumps(records).encode()
    if fmt == "parquet":
        return _parquet(records)
    delimiter = "," if fmt == "csv" else "\t"
    import csv

    names: list[str] = []
    for r in records:
        names += [k for k in r if k not in names]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(names)
    for r in records:
        writer.writerow([_cell(r[k]) if k in r else "" for k in names])
    return out.getvalue().encode()


def _parquet(records: list[Any], table: Any = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table if table is not None else pa.Table.from_pylist(records), sink)
    return sink.getvalue()


def _suffix(fmt: str) -> str:
    return ".json" if fmt == "json1" else f".{fmt}"


Mutation = Callable[[bytes, random.Random], bytes]


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, max(2, len(data) - 1))]


def _flip(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def _bad_utf8(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) // 2, len(data))
    return data[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe2\x82"]) + data[at:]


def _utf16(data: bytes, rng: random.Random) -> bytes:
    return data.decode("utf-8").encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))


def _garbage(data: bytes, rng: random.Random) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))


def _insert_noise(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    noise = rng.choice([b"{", b"[", b"]", b'"', b",", b"\n", b"\x00", b"\t"])
    return data[:at] + noise + data[at:]


MUTATIONS: dict[str, Mutation] = {
    "truncate": _truncate,
    "flip": _flip,
    "bad-utf8": _bad_utf8,
    "utf16": _utf16,
    "garbage": _garbage,
    "noise": _insert_noise,
}


def _deep(n: int) -> bytes:
    """A record whose metadata nests ``n`` objects deep, as JSON text."""
    return b'{"prompt":"p","responses":["a","b"],"meta":' + b'{"k":' * n + b"1" + b"}" * (n + 1)


def _hostile_records(folder: Path) -> dict[str, tuple[list[dict[str, Any]], bool | None]]:
    """Records that parse as JSON but must be refused (True) or may import (None)."""
    outside = folder.parent / "outside.png"
    base: dict[str, Any] = {"prompt": "p", "responses": ["a", "b"]}
    return {
        "nan-score": ([{**base, "scores": [float("nan"), 1.0]}], True),
        "inf-score": ([{**base, "scores": [float("inf"), 1.0]}], True),
        "inf-rank": ([{**base, "ranks": [float("inf"), 1]}], True),
        "frac-rank": ([{**base, "ranks": [1.5, 2]}], True),
        "long-image": ([{**base, "images": ["x" * 300 + ".png"]}], True),
        "outside-image": ([{**base, "images": [str(outside)]}], True),
        "dotdot-image": ([{**base, "images": ["../outside.png"]}], True),
        "bad-data-uri": ([{**base, "images": ["data:image/png;base64,@@@"]}], True),
        "not-image-uri": ([{**base, "images": ["data:text/html,<b>x</b>"]}], True),
        "null-record": ([None], True),
        "list-record": ([[1, 2]], True),
        "number-prompt": ([{**base, "prompt": 12}], True),
        "one-response": ([{"prompt": "p", "responses": ["a"]}], True),
        "huge-cell": ([{**base, "meta": "[" * 100_000}], None),
    }


def _hostile_text(folder: Path) -> dict[str, tuple[bytes, str, bool | None]]:
    """(bytes, suffix, must_fail) written as is."""
    deep_array = b"[" * 100_000 + b"]" * 100_000
    pair = {"prompt": "p", "response1": "a", "response2": "b"}
    return {
        "empty": (b"", ".jsonl", True),
        "empty-json": (b"", ".json", True),
        "empty-csv": (b"", ".csv", True),
        "whitespace": (b" \n\t\n ", ".jsonl", True),
        "whitespace-json": (b"  \n ", ".json", True),
        "empty-array": (b"[]", ".json", True),
        "empty-array-gz": (gzip.compress(b"[ ]"), ".json.gz", True),
        "header-only": (b"prompt,response_a,response_b\n", ".csv", True),
        "header-only-tsv": (b"prompt\tresponse_a\tresponse_b\n", ".tsv", True),
        "deep-meta": (_deep(1000) + b"\n", ".jsonl", None),
        "deep-meta-json": (b"[" + _deep(1000) + b"]", ".json", None),
        "deep-meta-3000": (_deep(3000) + b"\n", ".jsonl", True),
        "deep-array": (deep_array, ".json", True),
        "deep-array-element": (b"[" + deep_array + b"]", ".json", True),
        "deep-jsonl": (deep_array + b"\n", ".jsonl", True),
        "deep-csv-cell": (
            b"prompt,responses\np," + b"[" * 100_000 + b"\n",
            ".csv",
            True,
        ),
        "bom-jsonl": (
            b"\xef\xbb\xbf" + json.dumps(SHAPES["pair"][0]).encode() + b"\n",
            ".jsonl",
            False,
        ),
        "bom-json": (b"\xef\xbb\xbf" + json.dumps(SHAPES["list"]).encode(), ".json", False),
        "bom-csv": (b"\xef\xbb\xbf" + encode(SHAPES["pair"], "csv"), ".csv", False),
        "nan-json": (b'[{"prompt":"p","responses":["a","b"],"scores":[NaN,1]}]', ".json", True),
        "inf-jsonl": (
            b'{"prompt":"p","responses":["a","b"],"ranks":[Infinity,1]}\n',
            ".jsonl",
            True,
        ),
        "nan-csv": (b'prompt,responses,scores\np,"[""a"",""b""]","[NaN,1]"\n', ".csv", True),
        "verdict-frac": (
            json.dumps([{**pair, "annotator1": 1.7}]).encode(),
            ".json",
            True,
        ),
        "verdict-true": (
            json.dumps([{**pair, "annotator1": True}]).encode(),
            ".json",
            True,
        ),
        "verdict-nan": (
            b'[{"prompt":"p","response1":"a","response2":"b","annotator1":NaN}]',
            ".json",
            True,
        ),
        "unknown-suffix": (b"{}", ".txt", True),
        "parquet-garbage": (b"PAR1 not really", ".parquet", True),
        "parquet-empty": (b"", ".parquet", True),
    }


def _parquet_cases() -> dict[str, tuple[bytes, bool | None]]:
    import pyarrow as pa

    good = _parquet(SHAPES["pair"])
    n = len(SHAPES["pair"])
    base = pa.Table.from_pylist(SHAPES["pair"])
    cols = {
        "ts": pa.array([dt.datetime(2024, 1, 1, 12)] * n, pa.timestamp("us", tz="UTC")),
        "day": pa.array([dt.date(2024, 1, 2)] * n, pa.date32()),
        "price": pa.array([decimal.Decimal("1.25")] * n, pa.decimal128(5, 2)),
        "took": pa.array([dt.timedelta(seconds=3)] * n, pa.duration("ms")),
        "blob": pa.array([b"\x00\xff"] * n, pa.binary()),
        "t": pa.array([dt.time(1, 2, 3)] * n, pa.time64("us")),
    }
    out: dict[str, tuple[bytes, bool | None]] = {
        "parquet-truncated": (good[: len(good) // 2], True),
        "parquet-tail-cut": (good[:-10], True),
        "parquet-head-garbage": (b"XXXX" + good[4:], None),  # pyarrow reads the footer
        "parquet-mid-garbage": (
            good[:100] + bytes(range(256))[: len(good) // 4] + good[100 + len(good) // 4 :],
            None,
        ),
        "parquet-zero-rows": (_parquet([], base.schema.empty_table()), True),
    }
    for name, col in cols.items():
        out[f"parquet-{name}"] = (_parquet([], base.append_column(name, col)), False)
    deep_type: Any = pa.int64()
    for _ in range(120):
        deep_type = pa.struct([("k", deep_type)])
    deep = pa.array([None] * n, deep_type)
    out["parquet-deep-schema"] = (_parquet([], base.append_column("deep", deep)), None)
    return out


def corpus(folder: Path, seed: int = 0) -> list[Case]:
    """Write the corpus into ``folder`` (a fresh, empty one) and return its cases."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder.parent / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    cases: list[Case] = []

    def add(name: str, data: bytes, must_fail: bool | None, **kw: Any) -> None:
        path = folder / name
        path.write_bytes(data)
        cases.append(Case(path, must_fail, **kw))

    verdicts = {"annotator_fields": ("annotator1",)}
    for shape, records in SHAPES.items():
        kw = verdicts if shape == "verdicts" else {}
        for fmt in (*TEXT_FORMATS, "parquet"):
            data = encode(records, fmt)
            stem = f"{shape}-{fmt}"
            # CSV cells are text: lists of ranks, scores or messages in them are not read
            csv_list = fmt in ("csv", "tsv") and shape in ("list", "chat", "scores")
            must_fail = None if csv_list else False
            add(stem + _suffix(fmt), data, must_fail, **kw)
            zipped = True if fmt == "parquet" else must_fail  # gzipped Parquet is refused
            add(stem + "-gz" + _suffix(fmt) + ".gz", gzip.compress(data), zipped, **kw)
            add(stem + "-gz-cut" + _suffix(fmt) + ".gz", gzip.compress(data)[:-12], True, **kw)
            if fmt == "parquet":
                continue
            for mname, mutate in MUTATIONS.items():
                for k in range(2 if mname in ("truncate", "flip", "noise") else 1):
                    add(f"{stem}-{mname}{k}{_suffix(fmt)}", mutate(data, rng), None, **kw)
    for name, (records, must_fail) in _hostile_records(folder).items():
        for fmt in ("jsonl", "json", "json1"):
            add(f"{name}-{fmt}{_suffix(fmt)}", encode(records, fmt), must_fail)
    for name, (data, suffix, must_fail) in _hostile_text(folder).items():
        kw = verdicts if name.startswith("verdict") else {}
        add(name + suffix, data, must_fail, **kw)
    for name, (data, must_fail) in _parquet_cases().items():
        add(name + ".parquet", data, must_fail)
    return cases


def _contents(project: Path) -> list[str] | None:
    """Everything stored in a project, through SQLite; None when there is no project."""
    if not project.exists():
        return None
    conn = sqlite3.connect(f"file:{project}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@dataclass(frozen=True)
class Outcome:
    """What importing one case did: 'imported', 'refused' (one line), or 'crashed'."""

    kind: str
    message: str
    unchanged: bool  # on refusal: the project is as it was (or, when new, was not created)


def run_import(case: Case, project: Path, skip_bad: bool) -> Outcome:
    """Import ``case`` into ``project`` as the CLI does and classify the result."""
    from labeler.importers import FieldMapping
    from labeler.workflows import WorkflowError, drive
    from labeler.workflows.importing import ImportOptions, import_data

    before = _contents(project)
    options = ImportOptions(
        files=(case.path,),
        mapping=FieldMapping(
            annotator_fields=case.annotator_fields, scores_are_labels=case.scores_are_labels
        ),
        skip_bad=skip_bad,
        rejects=project.with_suffix(".rejects.jsonl"),
    )
    try:
        drive(import_data(project, options))
    except WorkflowError as exc:
        one_line = "\n" not in exc.message and case.path.name in exc.message
        kind = "refused" if one_line else "crashed"
        return Outcome(kind, exc.message, _contents(project) == before)
    except BaseException:  # noqa: BLE001 - a traceback is exactly what this counts
        return Outcome("crashed", traceback.format_exc(limit=-3), _contents(project) == before)
    return Outcome("imported", "", True)


def seed_project(project: Path) -> None:
    """An existing project holding one item, to import into."""
    src = project.with_suffix(".seed.jsonl")
    src.write_text(json.dumps({"prompt": "seed", "responses": ["s1", "s2"]}) + "\n")
    run = run_import(Case(src, False), project, skip_bad=False)
    assert run.kind == "imported", run.message


def check(case: Case, work: Path) -> list[str]:
    """Problems found importing ``case`` four ways (new/existing project, with/without
    skipping bad records); an empty list when every way behaved."""
    problems: list[str] = []
    for existing in (False, True):
        for skip_bad in (False, True):
            project = work / f"p-{int(existing)}{int(skip_bad)}-{case.path.stem}.db"
            if existing:
                seed_project(project)
            out = run_import(case, project, skip_bad)
            how = f"{case.path.name} (existing={existing}, skip_bad={skip_bad})"
            if out.kind == "crashed":
                problems.append(f"{how}: crashed: {out.message}")
            elif out.kind == "refused" and not out.unchanged:
                problems.append(f"{how}: refused but the project changed: {out.message}")
            elif out.kind == "imported" and case.must_fail and not skip_bad:
                problems.append(f"{how}: imported a file that must be refused")
            elif out.kind == "refused" and case.must_fail is False:
                problems.append(f"{how}: refused a good file: {out.message}")
    return problems
