"""Assign and gold: how items are shared out, what an annotator's file holds, and refusals."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db
from labeler.resolution import ConflictPolicy, LiveLabel, resolve
from labeler.store import add_items, record_label
from labeler.store.assign import assigned_to
from labeler.store.gold import gold_answers
from labeler.store.items import iter_items
from labeler.store.meta import (
    get_conflict_policy,
    get_guidelines,
    set_conflict_policy,
    set_guidelines,
)
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source
from labeler.workflows.team import split_items

ITEMS = [Item(f"q{n}", (Response(f"a{n}"), Response(f"b{n}"))) for n in range(40)]


@pytest.mark.parametrize(("k", "overlap"), [(1, 0.5), (2, 0.1), (3, 0.25), (4, 1.0)])
def test_each_item_goes_to_one_annotator_or_two_with_the_overlap(k: int, overlap: float) -> None:
    ids = [f"i{n}" for n in range(200)]
    names = [f"a{n}" for n in range(k)]
    shares, shared = split_items(ids, names, overlap, seed=3)
    times = Counter(i for share in shares.values() for i in share)
    assert set(times) == set(ids)
    assert {i for i, n in times.items() if n == 2} == shared
    assert max(times.values()) <= 2
    assert len(shared) == (round(overlap * 200) if k > 1 else 0)
    sizes = [len(s) for s in shares.values()]
    assert max(sizes) - min(sizes) <= 1
    assert all(len(set(s)) == len(s) for s in shares.values())  # never twice to one person
    if k > 2 and shared:  # pairs rotate: every pair of annotators shares some items
        pairs = {frozenset(a for a in names if i in shares[a]) for i in shared}
        assert len(pairs) == k * (k - 1) // 2
    assert split_items(ids, names, overlap, seed=3) == (shares, shared)


def _live(n: int, choice: str, who: str, action: str = "label") -> LiveLabel:
    value = json.dumps({"choice": choice, "strength": None})
    return LiveLabel(n, "pairwise", value, "human", who, action, None, None)


@pytest.mark.parametrize("policy", list(ConflictPolicy))
def test_an_adjudication_counts_over_every_other_label(policy: ConflictPolicy) -> None:
    labels = [_live(1, "a", "ann"), _live(2, "b", "bo"), _live(3, "a", "cy")]
    assert resolve(labels, policy).conflict
    settled = [*labels[:2], _live(4, "b", "judge", "adjudicate"), labels[2]]
    decision = resolve(settled, policy)
    assert decision.label == settled[2]
    assert not decision.conflict


def test_assign_writes_each_annotator_a_project_with_settings_and_gold(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    db = open_db(project)
    add_items(db, ITEMS)
    set_guidelines(db, "Prefer the shorter answer.")
    set_conflict_policy(db, ConflictPolicy.DROP)
    record_label(db, Label(ITEMS[0].id, PairwiseValue(PairChoice.A), Source.HUMAN, "x"))
    db.conn.close()
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "".join(json.dumps({"id": i.id, "choice": "b"}) + "\n" for i in ITEMS[1:5])
        + json.dumps({"id": ITEMS[5].id, "kind": "pairwise", "value": {"choice": "a"}})
    )
    runner = CliRunner()
    result = runner.invoke(main, ["gold", str(project), str(gold)])
    assert result.exit_code == 0, result.output
    args = ["assign", str(project), "--annotators", "ann,bo", "--overlap", "0.2", "--seed", "1",
            "--gold-rate", "0.1"]  # fmt: skip
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    in_files = []
    for name in ("ann", "bo"):
        db = open_db(tmp_path / f"p.{name}.db", create=False, readonly=True)
        assert assigned_to(db) == name
        assert get_guidelines(db) == "Prefer the shorter answer."
        assert get_conflict_policy(db) is ConflictPolicy.DROP
        assert gold_answers(db) == {}  # no answers leave the project
        assert db.conn.execute("SELECT count(*) FROM labels").fetchone()[0] == 0
        ids = [i.id for i in iter_items(db)]
        in_files += ids
        assert ITEMS[0].id not in ids  # labelled already
        assert 2 <= sum(i.id in ids for i in ITEMS[1:6]) <= 4  # gold, about a tenth
        db.conn.close()
    assert {i.id for i in ITEMS[6:]} <= set(in_files) <= {i.id for i in ITEMS[1:]}
    again = runner.invoke(main, args)
    assert again.exit_code == 1
    assert "p.ann.db: exists already" in again.stderr


@pytest.mark.parametrize(
    ("names", "words"), [("ann,ann", "distinct"), ("ann,../x", "'../x'"), (",", "annotators")]
)
def test_bad_annotator_names_are_refused(tmp_path: Path, names: str, words: str) -> None:
    project = tmp_path / "p.db"
    add_items(open_db(project), ITEMS)
    result = CliRunner().invoke(main, ["assign", str(project), "--annotators", names])
    assert result.exit_code != 0
    assert words in result.output
    assert not list(tmp_path.glob("p.*.db"))


def test_a_gold_answer_for_an_unknown_item_stores_nothing(tmp_path: Path) -> None:
    project = tmp_path / "p.db"
    add_items(open_db(project), ITEMS)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": ITEMS[1].id, "choice": "a"}) + "\n"
                    + json.dumps({"id": "nope", "choice": "a"}) + "\n")  # fmt: skip
    result = CliRunner().invoke(main, ["gold", str(project), str(gold)])
    assert result.exit_code == 1
    assert "item nope is not in" in result.stderr
    assert gold_answers(open_db(project, readonly=True)) == {}
    gold.write_text(json.dumps({"id": ITEMS[1].id, "choice": "maybe"}) + "\n")
    result = CliRunner().invoke(main, ["gold", str(project), str(gold)])
    assert result.exit_code == 1
    assert f"{gold}:1:" in result.stderr


def test_an_adjudication_settles_the_item_but_is_nobody_s_own_answer(tmp_path: Path) -> None:
    from labeler.adjudication import adjudicate
    from labeler.store.routes import routing_arrays

    db = open_db(tmp_path / "p.db")
    item = Item("q", (Response("x"), Response("y")))
    add_items(db, [item])
    for who, choice in (("ann", PairChoice.A), ("bob", PairChoice.B)):
        record_label(db, Label(item.id, PairwiseValue(choice), Source.HUMAN, who))
    adjudicate(db, item.id, PairwiseValue(PairChoice.B), "dana", "B follows the guidelines")
    arrays = routing_arrays(db, with_text=False)
    assert list(arrays.human) == [1]  # the adjudication counts: B
    assert set(arrays.human_by) == {"ann", "bob"}  # dana answered nothing of her own
