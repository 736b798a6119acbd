"""Every kind of malformed input is refused in one line naming file, place and field; with
skipping on, bad records are skipped and counted; the project is unchanged on refusal."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import gzip
import io
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from labeler.importers import FieldMapping, ImportFailed, import_files
from labeler.store import count_items, iter_items, open_db
from labeler.workflows import WorkflowError, drive
from labeler.workflows.importing import ImportOptions, import_data

GOOD = {"prompt": "p", "responses": ["a", "b"]}


@pytest.fixture
def db(tmp_path: Path) -> Any:
    project = open_db(tmp_path / "p.db")
    yield project
    project.conn.close()


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def refused(db: Any, path: Path, **kw: Any) -> str:
    """The one-line reason ``path`` is refused; the project stays as it was."""
    before = count_items(db)
    with pytest.raises(ImportFailed) as err:
        import_files(db, [path], **kw)
    assert count_items(db) == before
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def png(size: tuple[int, int] = (2, 2)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "where"),
    [
        ("a.json", b'[{"prompt":"p","responses":["a","b\xff"]}]', ":1"),
        ("a.csv", b"prompt,response_a,response_b\np,a,b\xc3(\n", ":2"),
        ("a.tsv", b"prompt\tresponse_a\tresponse_b\np\ta\tb\xed\xa0\x80\n", ":2"),
        ("a.jsonl", b'{"prompt":"p","responses":["a","\xff"]}\n', ":1"),
    ],
)
def test_bytes_that_are_not_utf8_refuse_the_record_or_skip_it(
    db: Any, tmp_path: Path, name: str, data: bytes, where: str
) -> None:
    path = write(tmp_path / name, data)
    message = refused(db, path)
    assert "not UTF-8" in message
    assert message.startswith(f"{path}{where}: ")
    report = import_files(db, [path], skip_bad=True, reject_path=tmp_path / "r.jsonl")
    assert (report.rejected, report.items) == (1, 0)


def test_utf16_is_refused_and_a_bom_is_accepted_everywhere(db: Any, tmp_path: Path) -> None:
    line = json.dumps(GOOD)
    assert "UTF-16" in refused(db, write(tmp_path / "u.jsonl", (line + "\n").encode("utf-16")))
    bom = b"\xef\xbb\xbf"
    files = [
        write(tmp_path / "b.jsonl", bom + line.encode() + b"\n"),
        write(tmp_path / "b.json", bom + json.dumps([{**GOOD, "prompt": "q"}]).encode()),
        write(tmp_path / "b.csv", bom + b"prompt,response_a,response_b\nr,a,b\n"),
        write(tmp_path / "b.tsv", bom + b"prompt\tresponse_a\tresponse_b\ns\ta\tb\n"),
    ]
    assert import_files(db, files).items == 4


def test_deep_nesting_is_refused_in_one_line(db: Any, tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.json", b"[" * 100_000 + b"]" * 100_000)
    assert "nested too deeply" in refused(db, deep)
    meta = b'{"prompt":"p","responses":["a","b"],"m":' + b'{"k":' * 1000 + b"1" + b"}" * 1001
    meta_line = write(tmp_path / "meta.jsonl", meta + b"\n")  # orjson reads it: one record
    assert "field 'm': nested more than 100 levels deep" in refused(db, meta_line)
    meta_array = write(tmp_path / "meta.json", b"[" + meta + b"]")  # too deep to read at all
    assert "record 1: nested too deeply" in refused(db, meta_array)
    cell = write(tmp_path / "cell.csv", b"prompt,responses\np," + b"[" * 100_000 + b"\n")
    assert "field 'responses': nested too deeply" in refused(db, cell)
    report = import_files(db, [cell], skip_bad=True, reject_path=tmp_path / "r.jsonl")
    assert report.rejected == 1


def test_non_finite_numbers_fractional_ranks_and_odd_verdicts_are_refused(
    db: Any, tmp_path: Path
) -> None:
    cases = [
        ({**GOOD, "ranks": [1.5, 2]}, "ranks must be whole numbers"),
        ({**GOOD, "scores": ["NaN", 1]}, "is not a finite number"),
        ({**GOOD, "ranks": ["Infinity", 1]}, "is not a finite number"),
    ]
    for i, (rec, reason) in enumerate(cases):
        assert reason in refused(db, write(tmp_path / f"n{i}.jsonl", json.dumps(rec) + "\n"))
    nan = write(tmp_path / "nan.json", '[{"prompt":"p","responses":["a","b"],"scores":[NaN,1]}]')
    assert "NaN is not a JSON number" in refused(db, nan)
    pair = {"prompt": "p", "response1": "a", "response2": "b"}
    mapping = FieldMapping(annotator_fields=("annotator1",))
    for i, verdict in enumerate([1.7, True, "1.5", 3]):
        path = write(tmp_path / f"v{i}.json", json.dumps([{**pair, "annotator1": verdict}]))
        assert "field 'annotator1'" in refused(db, path, mapping=mapping)
    ok = write(tmp_path / "ok.json", json.dumps([{**pair, "annotator1": 2.0}]))
    assert import_files(db, [ok], mapping=mapping).labels == 1


def test_a_one_line_array_names_the_record(db: Any, tmp_path: Path) -> None:
    recs: list[Any] = [{**GOOD, "prompt": f"p{i}"} for i in range(6)]
    recs[4] = {"prompt": "p", "responses": ["only"]}
    path = write(tmp_path / "one.json", json.dumps(recs))
    assert refused(db, path).startswith(f"{path}: record 5: field 'responses'")


def test_special_files_say_what_they_are(db: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    assert "a named pipe (FIFO), not a data file" in refused(db, fifo)
    with pytest.raises(ImportFailed, match="a character device"):
        import_files(db, [Path("/dev/zero")])
    assert "a folder" in refused(db, tmp_path)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("e.jsonl", b""),
        ("w.jsonl", b" \n\t\n"),
        ("h.csv", b"prompt,response_a,response_b\n"),
        ("a.json", b" [ ] "),
        ("z.json.gz", gzip.compress(b"[]")),
    ],
)
def test_a_file_without_records_leaves_no_new_project(
    tmp_path: Path, name: str, data: bytes
) -> None:
    path = write(tmp_path / name, data)
    project = tmp_path / "new.db"
    with pytest.raises(WorkflowError, match=f"no records in {name}"):
        drive(import_data(project, ImportOptions(files=(path,))))
    assert not project.exists()


def _parquet(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


def test_unreadable_parquet_is_one_line(db: Any, tmp_path: Path) -> None:
    good = _parquet(tmp_path / "g.parquet", pa.Table.from_pylist([GOOD] * 3)).read_bytes()
    for name, data in (
        ("empty", b""),
        ("garbage", b"PAR1 definitely not parquet"),
        ("truncated", good[: len(good) // 2]),
    ):
        assert "not a readable Parquet file" in refused(
            db, write(tmp_path / f"{name}.parquet", data)
        )
    deep: pa.DataType = pa.int64()
    for _ in range(120):
        deep = pa.struct([("k", deep)])
    table = pa.table({"prompt": ["p"], "responses": [["a", "b"]], "d": pa.array([None], deep)})
    assert "nests more than 100 levels" in refused(db, _parquet(tmp_path / "d.parquet", table))
    gz = write(tmp_path / "g.parquet.gz", gzip.compress(good))
    assert "gzipped Parquet" in refused(db, gz)
    # A string column whose bytes are not UTF-8 (Arrow does not check them when writing).
    prompts = pa.array([b"fine", b"bad \x80 byte"], pa.binary()).view(pa.string())
    table = pa.table({"prompt": prompts, "response_a": ["a", "a"], "response_b": ["b", "b"]})
    assert "bytes that are not UTF-8" in refused(db, _parquet(tmp_path / "u.parquet", table))


def test_parquet_columns_of_other_types_become_json_safe_metadata(db: Any, tmp_path: Path) -> None:
    table = pa.table(
        {
            "prompt": ["p"],
            "responses": [["a", "b"]],
            "at": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5)], pa.timestamp("us")),
            "day": pa.array([dt.date(2024, 1, 2)], pa.date32()),
            "price": pa.array([decimal.Decimal("1.25")], pa.decimal128(5, 2)),
            "took": pa.array([dt.timedelta(milliseconds=1500)], pa.duration("ms")),
            "blob": pa.array([b"\x00\xff"], pa.binary()),
            "nested": pa.array([{"when": dt.date(2020, 5, 6)}]),
        }
    )
    import_files(db, [_parquet(tmp_path / "t.parquet", table)])
    (item,) = iter_items(db)
    assert item.metadata == {
        "at": "2024-01-02T03:04:05",
        "day": "2024-01-02",
        "price": "1.25",
        "took": 1.5,
        "blob": base64.b64encode(b"\x00\xff").decode(),
        "nested": {"when": "2020-05-06"},
    }


def test_image_references_are_untrusted(db: Any, tmp_path: Path, monkeypatch: Any) -> None:
    data = tmp_path / "data"
    (data / "img").mkdir(parents=True)
    (data / "img" / "ok.png").write_bytes(png())
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.png").write_bytes(png())
    (data / "img" / "fake.png").write_bytes(b"<html>")
    uri = "data:image/png;base64," + base64.b64encode(png()).decode()
    bad = {
        "../elsewhere/x.png": "outside the allowed folder",
        str(tmp_path / "elsewhere" / "x.png"): "outside the allowed folder",
        "x" * 300 + ".png": "cannot read it",
        "img/fake.png": "not an image that can be read",
        "data:image/png;base64,@@@": "invalid base64",
        "data:text/html,<b>x</b>": "a data: URI must be",
    }
    for i, (ref, reason) in enumerate(bad.items()):
        path = write(data / f"b{i}.jsonl", json.dumps({**GOOD, "images": [ref]}) + "\n")
        message = refused(db, path)
        assert "field 'images'" in message
        assert reason in message
    ok = write(data / "ok.jsonl", json.dumps({**GOOD, "images": ["img/ok.png", uri]}) + "\n")
    assert import_files(db, [ok]).items == 1
    elsewhere = write(data / "e.jsonl", json.dumps({**GOOD, "images": ["../elsewhere/x.png"]}))
    assert import_files(db, [elsewhere], image_folders=[tmp_path / "elsewhere"]).items == 1
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3)  # a 2x2 image is then over the limit
    big = write(data / "big.jsonl", json.dumps({**GOOD, "prompt": "q", "images": ["img/ok.png"]}))
    assert "more than 3 pixels" in refused(db, big)


def test_skip_bad_skips_and_counts_every_kind_of_bad_record(db: Any, tmp_path: Path) -> None:
    lines = [
        json.dumps(GOOD).encode(),
        b'{"prompt":"p","responses":["a","\xff"]}',
        json.dumps({**GOOD, "ranks": [1.5, 2]}).encode(),
        b'{"prompt":"p","responses":["a","b"],"m":' + b'{"k":' * 500 + b"1" + b"}" * 501,
        json.dumps({**GOOD, "images": ["../x.png"]}).encode(),
        json.dumps({**GOOD, "scores": ["inf", 1]}).encode(),
    ]
    path = write(tmp_path / "mixed.jsonl", b"\n".join(lines) + b"\n")
    rejects = tmp_path / "r.jsonl"
    report = import_files(db, [path], skip_bad=True, reject_path=rejects)
    assert (report.items, report.rejected) == (1, 5)
    entries = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [e["line"] for e in entries] == [2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'[{"idx": 1, "gpt_result": "1\xff"}]', "not UTF-8"),
        (b'{"idx": 1, "gpt_result": "1"}\n[1, 2]\n', ":2: expected a JSON object, got list"),
        (b'[{"idx": 1, "gpt_result": NaN}]', "NaN is not a JSON number"),
        (b"[]", "no records in judge.json"),
        (b"\xef\xbb\xbf" + b'{"idx": 1}\n', ":1: needs fields 'idx' and 'gpt_result'"),
    ],
)
def test_judge_files_share_the_readers_and_their_one_line_errors(
    db: Any, tmp_path: Path, data: bytes, reason: str
) -> None:
    from labeler.workflows.routing import JudgeOptions, import_judge

    path = write(tmp_path / ("judge.jsonl" if data.startswith(b"\xef") else "judge.json"), data)
    with pytest.raises(WorkflowError) as err:
        drive(import_judge(db, JudgeOptions(path, "gpt")))
    assert reason in err.value.message
    assert "\n" not in err.value.message
