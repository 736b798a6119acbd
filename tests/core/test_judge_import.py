"""Judge and annotator verdicts as people have them: a/b/tie, the data's own ids, nested
verdict fields, and a judge's two presentation orders paired into self-contradiction."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db
from labeler.routing import make_strategy
from labeler.routing.project import project_input
from labeler.store.routes import routing_arrays

N = 60


def write_data(path: Path) -> None:
    """Records with their own ``id`` and per-annotator verdicts as a / b / tie."""
    rows = [
        {
            "id": f"ex-{i}",
            "prompt": f"question {i}",
            "response_a": f"answer {i}",
            "response_b": "another answer " * (1 + i % 5),
            "rater": ["a", "b", "tie", "B"][i % 4],
        }
        for i in range(N)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))


def write_verdicts(path: Path, verdicts: list[str]) -> None:
    rows = [{"id": f"ex-{i}", "judges": {"gpt4": {"ab": v}}} for i, v in enumerate(verdicts)]
    path.write_text(json.dumps(rows))


def test_a_b_tie_ids_and_nested_verdicts_import_and_pair_across_orders(tmp_path: Path) -> None:
    runner = CliRunner()
    project, data = tmp_path / "p.db", tmp_path / "data.jsonl"
    write_data(data)
    imported = runner.invoke(
        main, ["import", str(project), str(data), "--annotator-fields", "rater"]
    )
    assert imported.exit_code == 0, imported.output
    arrays = routing_arrays(open_db(project))
    assert arrays.human_by["rater"][:4].tolist() == [0, 1, -1, 1]

    # The judge said A on every item; shown the other way round it said A again (= stored B)
    # on every third item: a self-contradiction there.
    straight = ["A"] * N
    swapped = ["A" if i % 3 == 0 else "B" for i in range(N)]
    write_verdicts(tmp_path / "j1.json", straight)
    write_verdicts(tmp_path / "j2.json", swapped)
    common = ["--judge-name", "gpt4", "--key", "id", "--verdict-field", "judges.gpt4.ab"]
    for file, extra in (("j1.json", []), ("j2.json", ["--swapped"])):
        result = runner.invoke(
            main, ["route", str(project), "--import-judge", str(tmp_path / file), *common, *extra]
        )
        assert result.exit_code == 0, result.output
        assert f"imported {N} verdicts" in result.output
        assert "0 unmatched" in result.output
    db = open_db(project)
    arrays = routing_arrays(db)
    assert set(arrays.opinions) == {"gpt4", "gpt4@swapped"}
    assert np.all(arrays.opinions["gpt4"] == 0)
    contradicts = np.arange(N) % 3 == 0
    np.testing.assert_array_equal(arrays.opinions["gpt4@swapped"] == 1, contradicts)

    project_in = project_input(db, "gpt4").inp
    assert project_in.contradiction is not None
    np.testing.assert_array_equal(project_in.contradiction, contradicts.astype(float))
    # The judge's confidence is its vote share: 1 when both orders agree, a coin flip if not.
    assert project_in.margin is not None
    np.testing.assert_array_equal(project_in.margin, np.where(contradicts, 0.0, 0.5))
    # Route as if nobody had labelled yet: the contradictions go to people first.
    unlabelled = replace(project_in, human_label=None, eligible=None)
    for name in ("ensemble", "learned", "margin"):
        decision = make_strategy(name).decide(unlabelled, 20, np.random.default_rng(0))
        assert len(decision.human_order) == 20
        assert contradicts[decision.human_order].all(), name
    db.conn.close()
