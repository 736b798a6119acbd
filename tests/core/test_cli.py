"""The CLI as scripts use it: help for every command, JSON stats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import COMMANDS, main
from labeler.demo import create_demo_project
from labeler.store import record_label
from labeler.store.items import iter_items
from labeler.types import Label, PairChoice, PairwiseValue, Source


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_that_explains_its_options(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    options = [line for line in result.output.splitlines() if line.strip().startswith("--")]
    for line in options:
        # every option line carries words after the flag (its help text), not just the flag
        assert len(line.split()) > 1 or line.strip() == "--help", line


def test_stats_json_counts_by_status_route_source_and_annotator(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    db = create_demo_project(project)
    first, second = list(iter_items(db))[:2]
    record_label(db, Label(first.id, PairwiseValue(PairChoice.A), Source.HUMAN, "dana"))
    record_label(
        db,
        Label(
            second.id,
            PairwiseValue(PairChoice.B),
            Source.MODEL,
            "rm",
            model_version="rm-1",
            confidence=0.9,
        ),
    )
    result = CliRunner().invoke(main, ["stats", str(project), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["items"] == 314
    assert stats["by_status"] == {"done": 1, "todo": 313}
    assert stats["by_route"] == {"human": 314}
    assert stats["labels_by_source"] == {"human": 1, "model": 1}
    assert stats["labels_by_annotator"] == {"dana": 1, "rm": 1}


def test_errors_are_one_line_on_stderr_with_a_nonzero_exit(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["stats", str(tmp_path / "missing.db")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'missing.db'}: no such project file"
    ]
    result = runner.invoke(main, ["no-such-command"])
    assert result.exit_code == 2


def test_import_sets_a_top_k_or_multi_aspect_schema(tmp_path: Path) -> None:
    from labeler.demo import LISTWISE_FILE
    from labeler.store import get_schema, open_db
    from labeler.types import SchemaMode

    runner = CliRunner()
    ranked = tmp_path / "ranked.db"
    args = ["import", str(ranked), str(LISTWISE_FILE), "--schema", "listwise", "--top-k", "3"]
    assert runner.invoke(main, args).exit_code == 0
    schema = get_schema(open_db(ranked))
    assert (schema.mode, schema.top_k) == (SchemaMode.LISTWISE, 3)

    aspects = tmp_path / "aspects.db"
    args = ["import", str(aspects), str(LISTWISE_FILE), "--schema", "multi_aspect",
            "--aspects", "helpfulness, honesty"]  # fmt: skip
    assert runner.invoke(main, args).exit_code == 0
    assert get_schema(open_db(aspects)).aspects == ("helpfulness", "honesty")


def test_version_names_licences_and_where_files_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labeler import __version__

    monkeypatch.setenv("PREFMARK_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith(f"prefmark {__version__}\n")
    assert "all-MiniLM-L6-v2, Apache License 2.0" in result.output
    assert "models run on CPUExecutionProvider" in result.output  # no GPU here
    assert "PandaLM" in result.output
    assert str(tmp_path / "data" / "models") in result.output
