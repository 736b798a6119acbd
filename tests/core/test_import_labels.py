"""Labels of re-imported items, and files that cannot be read to their end."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from labeler.importers import FieldMapping, ImportFailed, import_files, parse_map_options
from labeler.store import count_items, iter_items, live_labels, open_db
from labeler.store.labels import record_label
from labeler.types import Action, Item, Label, PairChoice, PairwiseValue, Source

PANDALM = "PandaLM/data/testset-v1.json"


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def dpo(n: int) -> list[dict[str, str]]:
    return [{"prompt": f"p{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(n)]


@pytest.fixture
def db(project_path: Path) -> Any:
    database = open_db(project_path)
    yield database
    database.conn.close()


def label_count(db: Any) -> int:
    return int(db.conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0])


def test_annotator_labels_attach_to_items_already_imported(db: Any, shared_data: Path) -> None:
    path = shared_data / PANDALM
    bare = import_files(db, [path])
    assert (bare.items, bare.labels) == (900, 0)
    mapping = parse_map_options([], annotator_fields=["annotator1"])
    labelled = import_files(db, [path], mapping=mapping)
    # Every record's item was there before; 98 of the 99 repeated records carry the same
    # verdict as their first occurrence (idx 580 disagrees with idx 578).
    assert (labelled.items, labelled.present, labelled.merged) == (0, 999, 0)
    assert (labelled.labels, labelled.labels_present) == (901, 98)
    for item in iter_items(db):
        assert {lb.annotator for lb in live_labels(db, item.id)} == {"annotator1"}
    again = import_files(db, [path], mapping=mapping)
    assert (again.labels, again.labels_present) == (0, 999)
    assert label_count(db) == 901
    assert "Imported 0 new items (999 records already present) and 0 new labels" in (
        again.summary()
    )


def test_same_labelled_file_twice_adds_nothing(db: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", dpo(30))
    first = import_files(db, [path])
    assert (first.items, first.labels, first.labels_present) == (30, 30, 0)
    again = import_files(db, [path], batch_size=7)
    assert (again.items, again.present, again.labels, again.labels_present) == (0, 30, 0, 30)
    assert label_count(db) == 30


def test_duplicate_records_with_identical_labels_are_not_doubled(db: Any, tmp_path: Path) -> None:
    # Repeats within one batch and across batches (batch_size 4), into an empty project.
    records = dpo(10) + dpo(10) + dpo(3)
    report = import_files(db, [write_jsonl(tmp_path / "d.jsonl", records)], batch_size=4)
    assert (report.items, report.present, report.merged) == (10, 0, 13)
    assert (report.labels, report.labels_present) == (10, 13)
    assert label_count(db) == 10
    assert report.summary().startswith(
        "Imported 10 new items (13 duplicate records merged) and 10 new labels "
        "(13 already present) from 23 records"
    )


def test_present_and_merged_are_told_apart(db: Any, tmp_path: Path) -> None:
    import_files(db, [write_jsonl(tmp_path / "a.jsonl", dpo(5))])
    mixed = dpo(8) + dpo(8)  # p0-p4 were imported before; p5-p7 are new, then all repeat
    report = import_files(db, [write_jsonl(tmp_path / "a.jsonl", mixed)], batch_size=3)
    assert (report.items, report.present, report.merged) == (3, 10, 3)
    assert (report.labels, report.labels_present) == (3, 13)
    assert "(10 records already present, 3 duplicate records merged)" in report.summary()


def test_a_retracted_label_is_not_live_so_it_comes_back(db: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", dpo(2))
    import_files(db, [path])
    item = next(iter_items(db))
    (label,) = live_labels(db, item.id)
    record_label(
        db, Label(item.id, None, Source.HUMAN, "ann", Action.RETRACT, supersedes=label.id)
    )
    assert live_labels(db, item.id) == []
    again = import_files(db, [path])
    assert (again.labels, again.labels_present) == (1, 1)
    assert [lb.value for lb in live_labels(db, item.id)] == [label.value]


def test_hook_labels_reach_existing_items_once(db: Any, tmp_path: Path) -> None:
    def judge(raw: Mapping[str, Any], item: Item) -> Iterable[Label]:
        yield Label(item.id, PairwiseValue(PairChoice.TIE), Source.MODEL, "judge")

    path = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "q", "responses": ["a", "b"]}])
    import_files(db, [path])
    added = import_files(db, [path], label_hooks=[judge])
    again = import_files(db, [path], label_hooks=[judge])
    assert (added.labels, again.labels, again.labels_present) == (1, 0, 1)


def test_label_lookup_is_one_query_per_chunk(db: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", dpo(1200))
    import_files(db, [path])
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    again = import_files(db, [path])
    db.conn.set_trace_callback(None)
    assert again.labels_present == 1200
    lookups = [s for s in statements if "labels" in s and s.lstrip().startswith("SELECT")]
    assert len(lookups) == 3  # 1,200 ids in chunks of 500, not one query per label


def gz_file(path: Path, text: str) -> bytes:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(text)
    return path.read_bytes()


def many_lines(n: int = 3000) -> str:
    return "".join(
        json.dumps({"prompt": f"prompt {i} {i * 7919 % 104729}", "responses": [f"a{i}", f"b{i}"]})
        + "\n"
        for i in range(n)
    )


@pytest.mark.parametrize("name", ["t.jsonl.gz", "t.csv.gz", "t.json.gz"])
def test_truncated_gzip_names_file_and_reason(db: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.startswith("t.csv"):
        text = "prompt,response_a,response_b\n" + "".join(
            f"p{i} {i * 7919 % 104729},a{i},b{i}\n" for i in range(5000)
        )
    elif name.startswith("t.json."):
        text = "[\n" + many_lines().replace("}\n", "},\n").rstrip(",\n") + "\n]\n"
    else:
        text = many_lines()
    data = gz_file(path, text)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFailed, match=rf"{name}:\d+: file ends early: truncated gzip\?"):
        import_files(db, [path])
    assert count_items(db) == 0
    with pytest.raises(ImportFailed, match="truncated gzip"):  # no record to skip here
        import_files(db, [path], skip_bad=True, mapping=FieldMapping())
    assert count_items(db) == 0


def test_tiny_truncated_gzip(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "t.json.gz"
    data = gz_file(path, '[{"prompt": "a", "responses": ["1", "2"]}]')
    path.write_bytes(data[:12])  # cut inside the first block: fails on the first read
    with pytest.raises(ImportFailed, match=r"t\.json\.gz:1: file ends early"):
        import_files(db, [path])


def test_corrupt_gzip_names_the_reason(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl.gz"
    data = bytearray(gz_file(path, many_lines(50)))
    data[-8] ^= 0xFF  # the CRC in the trailer: every record reads, the check at the end fails
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFailed, match=r"c\.jsonl\.gz:51: corrupt gzip data: CRC check"):
        import_files(db, [path])
    assert count_items(db) == 0
