"""The rule for which label counts (``labeler.resolution``): its properties, the project's
stored policy, and the places a person sees and sets it (``prefmark settings``, ``stats``,
``export``, the app's dialog)."""

from __future__ import annotations

import doctest
import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import labeler.resolution
from labeler.cli import main
from labeler.db import open_db, transaction
from labeler.exporters import ExportOptions, export_project
from labeler.resolution import (
    ConflictPolicy,
    Decision,
    LiveLabel,
    UnknownAnnotatorError,
    choice_code,
    decode,
    label_pairs,
    model_choice,
    resolve,
    simulation_gold,
    verdict,
)
from labeler.store import insert_items, insert_labels
from labeler.store.meta import (
    UnknownPolicyError,
    get_conflict_policy,
    set_conflict_policy,
    set_meta,
)
from labeler.store.resolved import resolved_label
from labeler.types import (
    AspectsValue,
    BinaryValue,
    Item,
    Label,
    LabelValue,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
    Response,
    Source,
)

# ---- the rule, on stored labels -------------------------------------------------------------

VALUES: list[LabelValue] = [
    PairwiseValue(PairChoice.A),
    PairwiseValue(PairChoice.A, 2),
    PairwiseValue(PairChoice.B),
    PairwiseValue(PairChoice.TIE),
    PairwiseValue(PairChoice.BOTH_BAD),
    AspectsValue({"overall": -1}),
    AspectsValue({"overall": 2, "helpfulness": 1}),
    RankingValue((1, 2)),
    RankingValue((2, 1)),
    RatingValue((4, 2)),
    RatingValue((3, 3)),
    BinaryValue((True, False)),
]


def _stored(n: int, value: LabelValue, source: str, who: str) -> LiveLabel:
    return LiveLabel(n, value.kind.value, json.dumps(value.to_json()), source, who, "label",
                     None, None)  # fmt: skip


def _labels(draw: Any) -> list[LiveLabel]:
    raw = draw(
        st.lists(
            st.tuples(
                st.sampled_from(VALUES),
                st.sampled_from(["human", "imported", "model"]),
                st.sampled_from(["ann", "bea", "cy", "judge", "rm"]),
            ),
            max_size=8,
        )
    )
    return [_stored(n, v, src, who) for n, (v, src, who) in enumerate(raw)]


labels_st = st.composite(_labels)()
policies = st.sampled_from(list(ConflictPolicy))
ai_sources = st.sampled_from([None, "judge", "judge@swapped", "rm", "nobody"])


def _people(labels: list[LiveLabel]) -> list[LiveLabel]:
    return [lab for lab in labels if lab.source != "model"]


def _deciding(labels: list[LiveLabel]) -> list[LiveLabel]:
    """People's labels of the kind of the latest person's label."""
    people = _people(labels)
    return [lab for lab in people if lab.kind == people[-1].kind] if people else []


def _verdicts(labels: list[LiveLabel]) -> list[Any]:
    return [verdict(decode(lab.kind, lab.value)) for lab in labels]


@given(labels_st, policies, ai_sources)
def test_the_label_that_counts_is_one_of_the_item_s_labels(
    labels: list[LiveLabel], policy: ConflictPolicy, ai: str | None
) -> None:
    decision = resolve(labels, policy, ai)
    if decision.label is None:
        assert not labels or (policy is ConflictPolicy.DROP and decision.conflict)
    else:
        assert decision.label in labels


@given(labels_st, policies, ai_sources)
def test_people_count_before_the_model(
    labels: list[LiveLabel], policy: ConflictPolicy, ai: str | None
) -> None:
    decision = resolve(labels, policy, ai)
    people = _people(labels)
    if people:
        assert decision.label is None or decision.label.source != "model"
        assert resolve(people, policy, ai) == decision  # model labels change nothing
    elif labels:
        assert decision == Decision(model_choice(labels, ai), False)


@given(labels_st, ai_sources)
def test_model_labels_alone_the_trusted_source_s_latest_else_the_latest(
    labels: list[LiveLabel], ai: str | None
) -> None:
    models = [lab for lab in labels if lab.source == "model"]
    chosen = resolve(models, ConflictPolicy.MAJORITY, ai).label
    trusted = [lab for lab in models if ai and lab.annotator == ai.removesuffix("@swapped")]
    assert chosen == (trusted or models or [None])[-1]


@given(labels_st, policies, ai_sources)
def test_a_conflict_is_people_disagreeing_on_the_latest_kind(
    labels: list[LiveLabel], policy: ConflictPolicy, ai: str | None
) -> None:
    decision = resolve(labels, policy, ai)
    assert decision.conflict == (len(set(_verdicts(_deciding(labels)))) > 1)
    if not decision.conflict and _people(labels):
        assert decision.label == _people(labels)[-1]  # every policy: the latest


@given(labels_st, ai_sources)
def test_latest_takes_the_latest_person_s_label(labels: list[LiveLabel], ai: str | None) -> None:
    people = _people(labels)
    if people:
        assert resolve(labels, ConflictPolicy.LATEST, ai).label == people[-1]


@given(labels_st, ai_sources)
def test_majority_takes_the_latest_label_of_a_most_common_verdict(
    labels: list[LiveLabel], ai: str | None
) -> None:
    deciding = _deciding(labels)
    if not deciding:
        return
    chosen = resolve(labels, ConflictPolicy.MAJORITY, ai).label
    assert chosen is not None
    counts = Counter(_verdicts(deciding))
    top = max(counts.values())
    winning = [
        lab for lab, v in zip(deciding, _verdicts(deciding), strict=True) if counts[v] == top
    ]
    assert counts[_verdicts([chosen])[0]] == top
    assert chosen == max(winning, key=lambda lab: lab.id)


@given(labels_st, st.randoms(use_true_random=False))
def test_a_strict_majority_wins_in_any_order(labels: list[LiveLabel], rng: Any) -> None:
    deciding = _deciding(labels)
    counts = Counter(_verdicts(deciding)).most_common(2)
    if not counts or (len(counts) == 2 and counts[0][1] == counts[1][1]):
        return
    shuffled = [*deciding[:-1]]
    rng.shuffle(shuffled)
    again = resolve([*shuffled, deciding[-1]], ConflictPolicy.MAJORITY).label
    assert again is not None
    assert _verdicts([again]) == [counts[0][0]]


@given(labels_st, policies)
def test_drop_leaves_out_exactly_the_conflicts(
    labels: list[LiveLabel], policy: ConflictPolicy
) -> None:
    dropped = resolve(labels, ConflictPolicy.DROP)
    other = resolve(labels, policy)
    assert dropped.conflict == other.conflict
    assert (dropped.label is None) == (not labels or dropped.conflict)
    if not dropped.conflict:
        assert dropped == other


@given(st.sampled_from(VALUES), st.booleans())
def test_a_choice_code_is_the_pair_a_two_response_label_implies(
    value: LabelValue, unranked_last: bool
) -> None:
    pairs = label_pairs(value, unranked_last=unranked_last)
    code = choice_code(value.kind.value, json.dumps(value.to_json()), unranked_last)
    assert code == {((0, 1),): 0, ((1, 0),): 1}.get(tuple(pairs), -1)
    decision = Decision(_stored(0, value, "human", "ann"), False)
    assert decision.pairs(unranked_last=unranked_last) == pairs
    assert decision.code(unranked_last=unranked_last) == code


def test_ratings_and_rankings_imply_every_pair_across_levels() -> None:
    assert label_pairs(RatingValue((5, 3, 1))) == [(0, 1), (0, 2), (1, 2)]
    assert label_pairs(RankingValue((2, 1, None))) == [(1, 0)]
    assert label_pairs(RankingValue((2, 1, None)), unranked_last=True) == [(1, 0), (1, 2), (0, 2)]
    assert label_pairs(PairwiseValue(PairChoice.TIE)) == []
    assert Decision(None, True).pairs() == []


def test_two_to_one_goes_to_the_majority_and_a_tie_of_verdicts_to_the_latest() -> None:
    a, b = PairwiseValue(PairChoice.A), PairwiseValue(PairChoice.B)
    aab = [_stored(1, a, "human", "x"), _stored(2, a, "human", "y"), _stored(3, b, "human", "z")]
    assert resolve(aab, ConflictPolicy.MAJORITY) == Decision(aab[1], True)
    assert resolve(aab, ConflictPolicy.LATEST) == Decision(aab[2], True)
    assert resolve(aab, ConflictPolicy.DROP) == Decision(None, True)
    abba = [*aab[1:], _stored(4, a, "imported", "w"), _stored(5, b, "human", "v")]
    assert resolve(abba, ConflictPolicy.MAJORITY).label == abba[-1]


def test_simulation_gold_is_the_decision_and_the_person_their_own() -> None:
    arrays = SimpleNamespace(
        human=np.array([0, 1, -1, 1], dtype=np.int8),
        human_by={"ann": np.array([0, -2, -1, 0], dtype=np.int8)},
    )
    gold = simulation_gold(arrays)
    assert gold.gold.tolist() == gold.player.tolist() == [0, 1, -1, 1]
    own = simulation_gold(arrays, "ann")
    assert own.player.tolist() == [0, -1, -1, 0]
    assert own.gold.tolist() == [0, 1, -1, 1]
    with pytest.raises(UnknownAnnotatorError, match="no human labels by 'zed'"):
        simulation_gold(arrays, "zed")


def test_the_examples_in_the_docstrings_run() -> None:
    result = doctest.testmod(labeler.resolution)
    assert result.failed == 0
    assert result.attempted > 0


# ---- the project's policy -------------------------------------------------------------------


def _conflicted(path: Path) -> tuple[Any, Item]:
    """A project whose one item three people labelled A, A, B."""
    db = open_db(path)
    item = Item("Best pet?", (Response("cat"), Response("dog")))
    with transaction(db.conn):
        insert_items(db.conn, [item], "fixture")
        insert_labels(
            db.conn,
            [
                Label(item.id, PairwiseValue(c), Source.HUMAN, who)
                for c, who in ((PairChoice.A, "ann"), (PairChoice.A, "bea"), (PairChoice.B, "cy"))
            ],
        )
    return db, item


def test_the_policy_is_stored_in_the_project_and_majority_until_set(project_path: Path) -> None:
    db, item = _conflicted(project_path)
    assert get_conflict_policy(db) is ConflictPolicy.MAJORITY
    label = resolved_label(db, item.id)
    assert label is not None
    assert label.annotator == "bea"
    set_conflict_policy(db, ConflictPolicy.LATEST)
    db.conn.close()
    db = open_db(project_path)
    assert get_conflict_policy(db) is ConflictPolicy.LATEST
    label = resolved_label(db, item.id)
    assert label is not None
    assert label.annotator == "cy"
    set_conflict_policy(db, ConflictPolicy.DROP)
    assert resolved_label(db, item.id) is None
    set_meta(db, "conflict_policy", "coin-flip")
    with pytest.raises(UnknownPolicyError, match="'coin-flip'"):
        get_conflict_policy(db)


def test_export_follows_the_project_unless_asked_otherwise(tmp_path: Path) -> None:
    db, _item = _conflicted(tmp_path / "p.db")
    set_conflict_policy(db, ConflictPolicy.LATEST)

    def chosen(out: str, options: ExportOptions) -> list[str]:
        export_project(db, tmp_path / out, options)
        lines = (tmp_path / out / "data" / "train.jsonl").read_text().splitlines()
        return [json.loads(line)["chosen"].lstrip() for line in lines]  # after the HH space

    assert chosen("project", ExportOptions(test_size=0.0)) == ["dog"]
    assert chosen("asked", ExportOptions(test_size=0.0, conflicts=ConflictPolicy.MAJORITY)) == [
        "cat"
    ]
    card = (tmp_path / "project" / "README.md").read_text()
    assert "conflicting human labels: latest" in card


def test_settings_shows_and_sets_the_policy_and_stats_reports_it(project_path: Path) -> None:
    db, _item = _conflicted(project_path)
    db.conn.close()
    runner = CliRunner()
    shown = runner.invoke(main, ["settings", str(project_path)])
    assert shown.exit_code == 0, shown.output
    assert "conflicting labels: majority" in shown.output
    assert "the most common verdict counts" in shown.output
    changed = runner.invoke(main, ["settings", str(project_path), "--conflicts", "drop"])
    assert changed.exit_code == 0, changed.output
    assert "conflicting labels: drop" in changed.output
    stats = json.loads(runner.invoke(main, ["stats", str(project_path), "--json"]).output)
    assert stats["conflict_policy"] == "drop"
    assert stats["conflicts"] == 1
    assert stats["labels_by_source"] == {}  # the one item's conflict is dropped
    bad = runner.invoke(main, ["settings", str(project_path), "--conflicts", "coin-flip"])
    assert bad.exit_code == 2
