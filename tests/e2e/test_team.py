"""A team without a server: assign, label on three "laptops", merge, adjudicate, export.

Three annotators label their own project files (made by ``prefmark assign``) in scripted
sessions as a person would, with disagreements seeded on shared items and one annotator
wrong on every gold item; their files are merged back. The adjudication queue must be
exactly the items whose final choices differ, the export must follow the conflict policy,
a second merge must add nothing, and stats must show each annotator's accuracy on gold.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from labeler.adjudication import adjudicate, conflicting_items, dispute
from labeler.cli import main
from labeler.db import open_db
from labeler.demo import demo_files
from labeler.session import LabelingSession
from labeler.store.items import iter_items
from labeler.types import PairChoice, PairwiseValue

NAMES = ("alice", "bob", "carol")
FLIP = {PairChoice.A: PairChoice.B, PairChoice.B: PairChoice.A}


def _cli(*args: Any) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _truth(item_id: str) -> PairChoice:
    """The seeded "right" answer of an item: A or B from its id."""
    return PairChoice.A if hashlib.sha256(item_id.encode()).digest()[0] % 2 else PairChoice.B


def _carol_disagrees(item_id: str) -> bool:
    return hashlib.sha256(item_id.encode()).digest()[1] % 3 == 0


def _label_all(path: Path, annotator: str, gold: set[str]) -> dict[str, PairChoice]:
    """Label every item of an annotator's file in a session, as a person would (choices in
    shown positions); bob gets every gold item wrong, carol some items; alice changes her
    mind once (undo, then the other answer). Returns the final stored choice per item."""
    db = open_db(path, create=False)
    session = LabelingSession(db, annotator, seed=NAMES.index(annotator))
    chosen: dict[str, PairChoice] = {}
    undone = False
    while (shown := session.current) is not None:
        item_id = shown.item.id
        stored = _truth(item_id)
        if (annotator == "bob" and item_id in gold) or (
            annotator == "carol" and _carol_disagrees(item_id)
        ):
            stored = FLIP[stored]
        if annotator == "alice" and not undone:
            session.submit_pairwise(PairChoice.A if shown.shown_order[0] == 0 else PairChoice.B)
            session.undo()
            undone = True
            continue
        left_is_stored_a = shown.shown_order[0] == 0
        shown_choice = stored if left_is_stored_a else FLIP[stored]
        session.submit_pairwise(shown_choice, rationale=f"{annotator} thinks {stored.value}")
        chosen[item_id] = stored
    db.conn.close()
    return chosen


def _export(project: Path, out: Path) -> dict[str, str]:
    _cli("export", project, "--format", "trl-preference", "--out", out, "--test-size", "0")
    ids = {}
    for path in sorted((out / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            ids[record["item_id"]] = record["chosen"].lstrip()  # completions start with a space
    return ids


def _counts(report: str) -> list[tuple[int, int, int]]:
    """(new items, new label events, events already present) per merged file."""
    found = []
    for line in report.splitlines():
        if "new label events" in line:
            numbers = [int(w.strip("(,").replace(",", "")) for w in line.split()
                       if w.strip("(,").replace(",", "").isdigit()]  # fmt: skip
            found.append((numbers[0], numbers[1], numbers[2]))
    return found


@pytest.fixture
def team(tmp_path: Path) -> dict[str, Any]:
    project = tmp_path / "team.db"
    data = tmp_path / "pairs.jsonl"  # 80 real PandaLM pairs
    data.write_text("".join(demo_files()[0].read_text(encoding="utf-8").splitlines(True)[:80]))
    _cli("import", project, data)
    db = open_db(project, create=False)
    items = list(iter_items(db))
    db.conn.close()
    gold = {i.id: _truth(i.id) for i in items[:8]}
    answers = tmp_path / "gold.jsonl"
    answers.write_text(
        "".join(json.dumps({"id": k, "choice": v.value}) + "\n" for k, v in gold.items())
    )
    _cli("gold", project, answers)
    out = _cli(
        "assign", project, "--annotators", ",".join(NAMES), "--overlap", "0.2", "--seed", "5",
        "--gold-rate", "0.1",
    )  # fmt: skip
    assert out.count(" items for ") == 3
    files = [tmp_path / f"team.{n}.db" for n in NAMES]
    choices = {n: _label_all(f, n, set(gold)) for n, f in zip(NAMES, files, strict=True)}
    return {"project": project, "files": files, "choices": choices, "gold": gold}


def test_assign_merge_adjudicate_export(team: dict[str, Any], tmp_path: Path) -> None:
    project, files, choices = team["project"], team["files"], team["choices"]
    by_item: dict[str, set[PairChoice]] = {}
    events = 0
    for annotator_choices in choices.values():
        for item_id, choice in annotator_choices.items():
            by_item.setdefault(item_id, set()).add(choice)
    shared = {i for i in by_item if sum(i in c for c in choices.values()) >= 2}
    expected_conflicts = {i for i, found in by_item.items() if len(found) > 1}
    assert shared
    assert expected_conflicts
    assert expected_conflicts < shared
    for f in files:  # every event each file holds (alice's undo included)
        db = open_db(f, create=False, readonly=True)
        events += db.conn.execute("SELECT count(*) FROM labels").fetchone()[0]
        db.conn.close()

    out = _cli("merge", project, *files)
    assert sum(n for _items, n, _known in _counts(out)) == events
    assert f"Items whose people disagree: {len(expected_conflicts):,}" in out

    db = open_db(project, create=False)
    assert set(conflicting_items(db)) == expected_conflicts
    before = db.conn.execute("SELECT count(*) FROM labels").fetchone()[0]
    again = _counts(_cli("merge", project, *files))  # a second merge is a no-op
    assert [(items, n) for items, n, _known in again] == [(0, 0)] * 3
    assert sum(known for _items, _n, known in again) == events
    assert db.conn.execute("SELECT count(*) FROM labels").fetchone()[0] == before

    # The export follows the policy: drop leaves every conflicting item out.
    _cli("settings", project, "--conflicts", "drop")
    dropped = _export(project, tmp_path / "drop")
    assert not expected_conflicts & set(dropped)
    assert set(dropped) == set(by_item) - expected_conflicts

    # An adjudication settles its item: it leaves the queue, and its decision is exported.
    first = sorted(expected_conflicts)[0]
    seen = dispute(db, first)
    assert {v.annotator for v in seen.votes} >= {n for n in NAMES if first in choices[n]}
    assert all(v.rationale for v in seen.votes)
    adjudicate(db, first, PairwiseValue(PairChoice.B), "dana", "B follows the guidelines")
    assert set(conflicting_items(db)) == expected_conflicts - {first}
    after = _export(project, tmp_path / "adjudicated")
    item = next(i for i in iter_items(db) if i.id == first)
    assert after[first] == item.responses[1].text
    db.conn.close()

    stats = json.loads(_cli("stats", project, "--json"))
    assert stats["adjudicated"] == 1
    assert stats["conflicts"] == len(expected_conflicts) - 1
    scores = stats["gold_accuracy"]
    assert scores["bob"]["right"] == 0
    assert scores["bob"]["total"] > 0
    for name in ("alice", "carol"):
        gold_seen = [i for i in team["gold"] if i in choices[name]]
        right = sum(choices[name][i] == team["gold"][i] for i in gold_seen)
        expected = {"right": right, "total": len(gold_seen)}
        assert scores.get(name, {"right": 0, "total": 0}) == expected
