"""Position bias, human-AI agreement and time per item: pure functions and the store query."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labeler.agreement import (
    AI,
    IDLE_CAP_MS,
    MIN_TIMED_FOR_RATE,
    LabelFact,
    compute_report,
    time_left_hours,
    wilson_interval,
)
from labeler.store import add_items, open_db, record_label
from labeler.store.labels import agreement_report, iter_item_facts
from labeler.store.routes import route_counts
from labeler.types import (
    Action,
    AspectsValue,
    Item,
    Label,
    PairChoice,
    PairwiseValue,
    RankingValue,
    Response,
    Route,
    Source,
    Status,
)

A, B, TIE = PairChoice.A, PairChoice.B, PairChoice.TIE


def human(
    lid: int, item: str, choice: PairChoice, left: int | None = 0, time_ms: int | None = None
) -> LabelFact:
    return LabelFact(lid, item, Source.HUMAN, "ann", Action.LABEL, choice, left, time_ms)


def model(lid: int, item: str, choice: PairChoice, name: str = "rm") -> LabelFact:
    return LabelFact(lid, item, Source.MODEL, name, Action.LABEL, choice)


def test_left_share_counts_the_response_shown_left_not_response_a() -> None:
    facts = [
        [human(1, "i1", A, left=0)],  # A shown left, A chosen: left pick
        [human(2, "i2", A, left=1)],  # B shown left, A chosen: right pick
        [human(3, "i3", B, left=1)],  # B shown left, B chosen: left pick
        [human(4, "i4", TIE, left=0)],  # no pick
    ]
    (bias,) = compute_report(facts).position_bias
    assert (bias.group, bias.annotator) == ("human", "ann")
    assert (bias.decisive, bias.left, bias.undecided) == (3, 2, 1)
    assert bias.left_share == pytest.approx(2 / 3)


def test_ai_labels_without_shown_order_count_stored_order_as_displayed() -> None:
    report = compute_report([[model(1, "i1", A)], [model(2, "i2", B)], [model(3, "i3", A)]])
    (bias,) = report.position_bias
    assert bias.group == AI
    assert bias.left_share == pytest.approx(2 / 3)


def test_agreement_only_on_items_with_both_and_decisive() -> None:
    facts = [
        [human(1, "i1", A), model(2, "i1", A)],  # agree
        [human(3, "i2", A), model(4, "i2", B)],  # disagree
        [human(5, "i3", TIE), model(6, "i3", A)],  # both, not decisive
        [human(7, "i4", A)],  # human only
        [model(8, "i5", B)],  # model only
    ]
    overall = compute_report(facts).overall_agreement
    assert overall is not None
    assert (overall.both, overall.decisive, overall.agree) == (3, 2, 1)
    assert overall.rate == pytest.approx(0.5)


def test_review_decisions_count_apart_from_agreement() -> None:
    m1, m2 = model(1, "i1", A), model(3, "i2", A)
    m1 = replace(m1, superseded_by=(Action.ACCEPT,))
    m2 = replace(m2, superseded_by=(Action.OVERRIDE,))
    accept = LabelFact(2, "i1", Source.HUMAN, "ann", Action.ACCEPT, A, 0, 900)
    override = LabelFact(4, "i2", Source.HUMAN, "ann", Action.OVERRIDE, B, 1, 2100)
    report = compute_report([[m1, accept], [m2, override]])
    assert (report.reviewed, report.accepted) == (2, 1)
    assert report.overall_agreement is None  # the reviewer saw the AI label
    ai = next(b for b in report.position_bias if b.group == AI)
    assert ai.decisive == 2  # a reviewed AI label is still an AI verdict
    person = next(b for b in report.position_bias if b.group == "human")
    assert (person.decisive, person.left) == (1, 1)  # only the override is a position pick


def test_retracted_and_relabelled_labels_do_not_count() -> None:
    old = LabelFact(1, "i1", Source.HUMAN, "ann", Action.LABEL, A, 0, 1000, (Action.RETRACT,))
    undo = LabelFact(2, "i1", Source.HUMAN, "ann", Action.RETRACT, None, None, None)
    new = human(3, "i1", B, left=0, time_ms=2000)
    report = compute_report([[old, undo, new]])
    (bias,) = report.position_bias
    assert (bias.decisive, bias.left) == (1, 0)
    (time,) = report.time
    assert time.n == 2  # time spent on the undone label was still spent


def test_time_stats_cap_idle_time_and_give_a_rate() -> None:
    facts = [[human(i, f"i{i}", A, time_ms=t)] for i, t in enumerate([2000, 4000, 10**9])]
    (stats,) = compute_report(facts).time
    assert stats.median_ms == 4000
    assert stats.total_ms == 2000 + 4000 + IDLE_CAP_MS
    assert stats.labels_per_hour is None  # three labels are too few for a rate
    more = [[human(i, f"i{i}", A, time_ms=6000)] for i in range(MIN_TIMED_FOR_RATE)]
    (stats,) = compute_report(more).time
    assert stats.labels_per_hour == pytest.approx(600.0)
    assert time_left_hours(100, 50.0) == 2.0
    assert time_left_hours(100, None) is None


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_contains_the_estimate(k: int, n: int) -> None:
    k = min(k, n)
    iv = wilson_interval(k, n)
    assert iv is not None
    assert 0.0 <= iv.low <= k / n <= iv.high <= 1.0


@given(st.lists(st.tuples(st.sampled_from([A, B, TIE]), st.sampled_from([0, 1])), max_size=60))
def test_left_and_right_picks_add_up_to_decisive_picks(
    labels: list[tuple[PairChoice, int]],
) -> None:
    facts = [[human(i, f"i{i}", c, left=left)] for i, (c, left) in enumerate(labels)]
    mirrored = [[human(i, f"i{i}", c, left=1 - left)] for i, (c, left) in enumerate(labels)]
    report, other = compute_report(facts), compute_report(mirrored)
    if not report.position_bias:
        assert not labels
        return
    (bias,), (flip,) = report.position_bias, other.position_bias
    assert bias.left + flip.left == bias.decisive == flip.decisive


# ---- the store query, on a real project file ---------------------------------------------


def _item(n: int, k: int = 2) -> Item:
    return Item(f"prompt {n}", tuple(Response(f"answer {n}.{j}") for j in range(k)))


def test_agreement_report_from_a_project_file(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    items = [_item(n) for n in range(4)] + [_item(9, k=3)]
    add_items(db, items)
    i0, i1, i2, i3, ranked = (it.id for it in items)
    pair = PairwiseValue
    # i0: independent human label (B shown left, picked B) and a model label that agrees
    record_label(db, Label(i0, pair(B), Source.HUMAN, "ann", shown_order=(1, 0), time_ms=3000))
    record_label(db, Label(i0, pair(B), Source.MODEL, "rm", model_version="rm@1", confidence=0.8))
    # i1: model label overridden in review
    m = record_label(db, Label(i1, pair(A), Source.MODEL, "rm", model_version="rm@1"))
    record_label(db, Label(i1, pair(B), Source.HUMAN, "bob", Action.OVERRIDE, shown_order=(0, 1),
                           time_ms=5000, supersedes=m.id))  # fmt: skip
    # i2: a label that was undone
    h = record_label(db, Label(i2, pair(A), Source.HUMAN, "ann", shown_order=(0, 1), time_ms=1000))
    record_label(db, Label(i2, None, Source.HUMAN, "ann", Action.RETRACT, supersedes=h.id))
    # i3: a multi-aspect label (overall -1 = A better), A shown left
    record_label(db, Label(i3, AspectsValue({"overall": -1}), Source.HUMAN, "ann",
                           shown_order=(0, 1), time_ms=2000))  # fmt: skip
    record_label(db, Label(ranked, RankingValue((2, 1, 3)), Source.HUMAN, "ann", time_ms=7000))

    groups = list(iter_item_facts(db, chunk_size=2))  # chunks split items: regrouped
    assert sorted(len(g) for g in groups) == [1, 1, 2, 2, 2]
    report = agreement_report(db)
    by_name = {(b.group, b.annotator): b for b in report.position_bias}
    assert (by_name["human", "ann"].decisive, by_name["human", "ann"].left) == (2, 2)
    assert (by_name["human", "bob"].decisive, by_name["human", "bob"].left) == (1, 0)
    assert by_name[AI, "rm"].decisive == 2
    overall = report.overall_agreement
    assert overall is not None
    assert (overall.both, overall.agree) == (1, 1)
    assert (report.reviewed, report.accepted) == (1, 0)
    times = {t.annotator: t.n for t in report.time}
    assert times == {"ann": 4, "bob": 1}


def test_route_counts(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    items = [_item(n) for n in range(3)]
    add_items(db, items)
    record_label(db, Label(items[0].id, PairwiseValue(A), Source.HUMAN, "ann"))
    counts = route_counts(db)
    assert counts.get(Route.HUMAN, Status.DONE) == 1
    assert counts.human_remaining == 2
    assert counts.total == 3
    assert counts.route_total(Route.MODEL) == 0


def test_agreement_leaves_out_labels_the_model_was_trained_on(tmp_path: Path) -> None:
    """A model scored on its own training labels agrees with them; that is not a check."""
    from labeler.store.reward_models import register_model

    db = open_db(tmp_path / "p.db")
    items = [Item(f"p{i}", (Response(f"a{i}"), Response(f"b{i}"))) for i in range(5)]
    add_items(db, items)
    early, trained, late = "2026-01-01T10:00:00.000+00:00", "2026-01-01T11:00:00", "2026-01-02"
    for item in items[:3]:  # labelled before training: the model learned from these
        record_label(db, Label(item.id, PairwiseValue(A), Source.HUMAN, "ann", created_at=early))
    for item in items[3:]:  # labelled after training: an independent check
        record_label(
            db, Label(item.id, PairwiseValue(B), Source.HUMAN, "ann", created_at=late + "T09:00")
        )
    register_model(db, "enc+head", kind="default-head", name="prefmark-default")
    db.conn.execute("UPDATE models SET created_at = ?", (trained + "+00:00",))
    db.conn.commit()
    for item in items:  # the trained model says A everywhere
        record_label(
            db, Label(item.id, PairwiseValue(A), Source.MODEL, "prefmark-default",
                      model_version="enc+head", created_at=late + "T10:00"),
        )  # fmt: skip
    report = agreement_report(db)
    overall = report.overall_agreement
    assert overall is not None
    assert (overall.in_sample, overall.both, overall.decisive, overall.agree) == (3, 2, 2, 0)
    assert overall.rate == 0.0  # not 60%: the three it was trained on do not count
