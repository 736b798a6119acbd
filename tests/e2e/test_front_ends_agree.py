"""The CLI and the app run the same workflows: from the same input they leave the same project.

Import, train, score, route with an audit share and export, once through ``prefmark`` commands
and once through the app's jobs, on two copies of the same data; the label events, scores,
routes and exported records must be identical (time stamps and run times aside).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db
from labeler.workflows import drive

pytestmark = pytest.mark.gui  # the app's jobs module imports Qt


def _data(path: Path) -> Path:
    lines = []
    for i in range(60):  # already labelled (DPO): the people's labels the model trains on
        long = f"Topic {i} is about the details of case {i}, explained step by step."
        lines.append({"prompt": f"Explain topic {i}.", "chosen": long, "rejected": "no"})
    for i in range(60, 100):
        lines.append(
            {"prompt": f"Explain topic {i}.", "response_a": f"Topic {i}: the details.",
             "response_b": "no idea"}
        )  # fmt: skip
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def _state(project: Path, export_dir: Path) -> dict[str, object]:
    db = open_db(project, create=False, readonly=True)
    state: dict[str, object] = {
        "items": db.conn.execute(
            "SELECT id, status, route, priority, routed_by, ai_source FROM items ORDER BY seq"
        ).fetchall(),
        "labels": db.conn.execute(
            "SELECT item_id, kind, value, source, annotator, action, model_version, confidence "
            "FROM labels ORDER BY id"
        ).fetchall(),
        "scores": db.conn.execute(
            "SELECT model_version, item_id, response_idx, reward FROM scores ORDER BY 1, 2, 3"
        ).fetchall(),
        "runs": db.conn.execute("SELECT strategy, budget, seed FROM routing_runs").fetchall(),
        "meta": db.conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall(),
    }
    db.conn.close()
    for split in ("train", "test"):
        path = export_dir / "data" / f"{split}.jsonl"
        state[split] = path.read_text() if path.exists() else None
    return state


def test_the_cli_and_the_app_leave_the_same_project(tmp_path: Path) -> None:
    from labeler.exporters import ExportOptions
    from ui import jobs

    data = _data(tmp_path / "data.jsonl")
    cli_project, app_project = tmp_path / "cli.db", tmp_path / "app.db"
    runner = CliRunner()
    for args in (
        ["import", str(cli_project), str(data)],
        ["train", str(cli_project), "--heads", "2"],
        ["score", str(cli_project)],
        ["route", str(cli_project), "--strategy", "margin", "--budget", "0.5", "--audit", "0.2"],
        ["export", str(cli_project), "--format", "trl-preference", "--out", str(tmp_path / "c")],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)

    drive(jobs.import_job(app_project, [data]))
    drive(jobs.retrain_job(app_project, heads=2))
    drive(jobs.score_job(app_project))
    drive(jobs.route_job(app_project, "margin", 0.5, audit=0.2))
    drive(jobs.export_job(app_project, tmp_path / "a", ExportOptions(target="trl-preference")))

    cli, app = _state(cli_project, tmp_path / "c"), _state(app_project, tmp_path / "a")
    assert cli["labels"], "nothing was labelled"
    assert any(row[3] == "model" for row in cli["labels"])  # type: ignore[union-attr]
    for key in cli:
        assert cli[key] == app[key], key
