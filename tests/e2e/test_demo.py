"""`prefmark demo` runs the whole pipeline headless and leaves a working project and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.store import open_db
from labeler.store.stats import project_stats


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--labels", "60"])
    assert result.exit_code == 0, result.output
    for step in (
        "1. imported 314 items",
        "2. annotator1 labelled 60 pairs",
        "3. imported",
        "4. trained minilm",
        "5. learned routing at 25%",
        "6. exported DPO data",
    ):
        assert step in result.output
    stats = project_stats(open_db(tmp_path / "demo.db"))
    assert stats["labels_by_annotator"]["annotator1"] == 60
    assert set(stats["by_route"]) >= {"human", "model"}
    lines = (tmp_path / "dpo" / "data" / "train.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    assert {"prompt", "chosen", "rejected"} <= set(record)
