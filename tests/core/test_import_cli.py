"""``prefmark import`` end to end: creates the project, prints a summary, fails in one line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from labeler.cli import main
from labeler.store import count_items, get_schema, live_labels, open_db
from labeler.store.items import iter_items
from labeler.types import SchemaMode, Source


def test_import_creates_project_with_labels(tmp_path: Path, shared_data: Path) -> None:
    project = tmp_path / "new" / "p.db"
    project.parent.mkdir()
    pandalm = shared_data / "PandaLM/data/testset-v1.json"
    args = ["import", str(project), str(pandalm), "--annotator-fields", "annotator1,annotator2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (
        "Imported 900 new items (99 duplicate records merged) and 1,802 new labels "
        "(196 already present)" in result.output
    )
    db = open_db(project)
    assert count_items(db) == 900
    assert get_schema(db).mode is SchemaMode.PAIRWISE
    first = next(iter_items(db))
    assert {lb.source for lb in live_labels(db, first.id)} == {Source.HUMAN}
    db.conn.close()


def test_map_schema_and_listwise(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"q": "Q", "answers": ["a", "b", "c"]}) + "\n")
    project = tmp_path / "p.db"
    result = CliRunner().invoke(
        main,
        ["import", str(project), str(data), "--map", "prompt=q", "--map", "responses=answers"],
    )
    assert result.exit_code == 0, result.output
    db = open_db(project)
    assert get_schema(db).mode is SchemaMode.LISTWISE  # chosen from the 3 responses
    db.conn.close()
    bad = CliRunner().invoke(main, ["import", str(project), str(data), "--map", "nope"])
    assert bad.exit_code == 2


def test_bad_input_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"prompt": "a", "responses": ["1", "2"]}\n{"prompt": "b", "responses": []}\n')
    project = tmp_path / "p.db"
    result = CliRunner().invoke(main, ["import", str(project), str(data)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        f"Error: {data}:2: field 'responses': expected a list of at least 2 responses "
        "(nothing was imported)"
    ]
    skipped = CliRunner().invoke(main, ["import", str(project), str(data), "--skip-bad"])
    assert skipped.exit_code == 0
    assert "Skipped 1 bad records" in skipped.output
    rejects = project.with_name("p.db.rejects.jsonl")
    assert json.loads(rejects.read_text())["line"] == 2


def _truncated_gzip(path: Path) -> Path:
    import gzip

    lines = "".join(
        json.dumps({"prompt": f"q{i} {i * 7919 % 104729}", "responses": [f"a{i}", f"b{i}"]}) + "\n"
        for i in range(3000)
    )
    data = gzip.compress(lines.encode())
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_gzip_fails_in_one_line_and_creates_no_project(tmp_path: Path) -> None:
    data = _truncated_gzip(tmp_path / "trunc.jsonl.gz")
    project = tmp_path / "p.db"
    result = CliRunner().invoke(main, ["import", str(project), str(data)])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {data}:")
    assert line.endswith("file ends early: truncated gzip? (nothing was imported)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trunc.jsonl.gz"]


def test_a_failed_import_keeps_a_project_that_existed(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"prompt": "a", "responses": ["1", "2"]}) + "\n")
    project = tmp_path / "p.db"
    assert CliRunner().invoke(main, ["import", str(project), str(good)]).exit_code == 0
    bad = _truncated_gzip(tmp_path / "trunc.jsonl.gz")
    assert CliRunner().invoke(main, ["import", str(project), str(bad)]).exit_code == 1
    db = open_db(project)
    assert count_items(db) == 1
    db.conn.close()
