"""The labelling loop, without Qt: shown order, timing, undo, history and review."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.db import open_db
from labeler.session import (
    LabelingSession,
    NothingToUndoError,
    shown_order_for,
    to_shown,
    to_stored,
)
from labeler.store import add_items, label_history, live_labels, record_label, resolved_label
from labeler.store.items import item_state
from labeler.store.labels import model_label
from labeler.store.routes import queue_counts
from labeler.types import (
    Action,
    AspectsValue,
    BinaryValue,
    Item,
    Label,
    PairChoice,
    PairwiseValue,
    RankingValue,
    RatingValue,
    Response,
    Route,
    Source,
    Status,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _items(n: int, k: int = 2) -> list[Item]:
    return [
        Item(f"prompt {i}", tuple(Response(f"answer {i}.{j}") for j in range(k))) for i in range(n)
    ]


@pytest.fixture
def db(project_path: Path):
    database = open_db(project_path)
    yield database
    database.conn.close()


def _seed_with_order(item_id: str, n: int, wanted: tuple[int, ...]) -> int:
    return next(s for s in range(1000) if shown_order_for(item_id, n, s) == wanted)


def test_shown_order_is_deterministic_and_varies_across_items() -> None:
    orders = {shown_order_for(f"item{i}", 2, 7) for i in range(50)}
    assert orders == {(0, 1), (1, 0)}
    assert shown_order_for("x", 5, 3) == shown_order_for("x", 5, 3)
    assert sorted(shown_order_for("x", 5, 3)) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "value",
    [
        PairwiseValue(PairChoice.A, 2),
        PairwiseValue(PairChoice.B),
        PairwiseValue(PairChoice.TIE),
        RankingValue((2, 1, 1, None)),
        RatingValue((5, None, 1, 3)),
        BinaryValue((True, False, None, True)),
        AspectsValue({"overall": -2, "helpfulness": 1}),
    ],
)
def test_to_shown_inverts_to_stored(value) -> None:
    order = (2, 0, 3, 1) if not isinstance(value, PairwiseValue | AspectsValue) else (1, 0)
    assert to_shown(to_stored(value, order), order) == value


def test_left_pick_maps_back_to_the_stored_response(db) -> None:
    items = _items(1)
    add_items(db, items)
    seed = _seed_with_order(items[0].id, 2, (1, 0))
    session = LabelingSession(db, "ana", seed=seed)
    assert session.current.responses[0].text == "answer 0.1"
    [label] = session.submit_pairwise(PairChoice.A, strength=2)
    assert label.value == PairwiseValue(PairChoice.B, 2)
    assert label.shown_order == (1, 0)
    assert label.source is Source.HUMAN
    assert label.annotator == "ana"
    assert session.current is None


def test_submit_records_time_spent_and_rationale_and_advances(db) -> None:
    add_items(db, _items(3))
    clock = FakeClock()
    session = LabelingSession(db, "ana", clock=clock)
    first = session.current.item.id
    clock.now += 4.25
    [label] = session.submit_pairwise(PairChoice.TIE, rationale="both fine")
    assert label.time_ms == 4250
    assert label.rationale == "both fine"
    assert resolved_label(db, first).id == label.id
    assert item_state(db, first)[0] is Status.DONE
    assert session.current.item.id != first
    assert session.history == (first,)


def test_skip_and_undo_skip(db) -> None:
    add_items(db, _items(2))
    session = LabelingSession(db, "ana")
    first = session.current.item.id
    session.skip()
    assert item_state(db, first)[0] is Status.SKIPPED
    assert session.current.item.id != first
    assert queue_counts(db).skipped == 1
    session.undo()
    assert item_state(db, first)[0] is Status.TODO
    assert session.current.item.id == first


def test_flag_toggles_and_undo_restores(db) -> None:
    add_items(db, _items(1))
    session = LabelingSession(db, "ana")
    assert session.toggle_flag() is True
    assert session.current.flagged
    assert queue_counts(db).flagged == 1
    session.undo()
    assert not session.current.flagged
    assert queue_counts(db).flagged == 0


def test_undo_retracts_with_an_append_only_event(db) -> None:
    add_items(db, _items(2))
    session = LabelingSession(db, "ana")
    first = session.current.item.id
    [label] = session.submit_pairwise(PairChoice.A)
    shown = session.undo()
    assert shown.item.id == first
    events = label_history(db, first)
    assert [e.action for e in events] == [Action.LABEL, Action.RETRACT]
    assert events[1].supersedes == label.id
    assert live_labels(db, first) == []
    assert item_state(db, first)[0] is Status.TODO
    assert session.history == ()
    with pytest.raises(NothingToUndoError):
        session.undo()


def test_history_back_and_relabel_supersedes(db) -> None:
    add_items(db, _items(3))
    session = LabelingSession(db, "ana")
    first = session.current.item.id
    [old] = session.submit_pairwise(PairChoice.A)
    second = session.current.item.id
    session.submit_pairwise(PairChoice.B)
    assert session.back().item.id == second
    assert session.back().item.id == first
    assert session.back().item.id == first  # stays at the start
    assert session.current.shown_value(session.current.my_labels[0]) == PairwiseValue(PairChoice.A)
    [new] = session.submit_pairwise(PairChoice.TIE)
    assert new.supersedes == old.id
    assert [lab.id for lab in live_labels(db, first)] == [new.id]
    assert session.current.item.id == second  # moved on through history
    assert session.forward().item.id not in (first, second)
    assert session.history == (first, second)


def test_listwise_submission_maps_every_value_to_stored_order(db) -> None:
    items = _items(1, k=4)
    add_items(db, items)
    session = LabelingSession(db, "ana", seed=3)
    order = session.current.shown_order
    labels = session.submit_ranking(
        [1, 2, 2, 3], thumbs=[True, None, None, False], ratings=[5, 3, 3, 1]
    )
    ranking, thumbs, ratings = (lab.value for lab in labels)
    for shown_pos, stored_idx in enumerate(order):
        assert ranking.ranks[stored_idx] == [1, 2, 2, 3][shown_pos]
        assert ratings.ratings[stored_idx] == [5, 3, 3, 1][shown_pos]
    assert thumbs.thumbs[order[0]] is True
    assert thumbs.thumbs[order[3]] is False
    session.undo()
    assert live_labels(db, items[0].id) == []


def test_aspects_flip_sign_when_sides_are_swapped(db) -> None:
    items = _items(1)
    add_items(db, items)
    seed = _seed_with_order(items[0].id, 2, (1, 0))
    session = LabelingSession(db, "ana", seed=seed)
    [label] = session.submit_aspects({"overall": -2, "helpfulness": -1})
    assert label.value == AspectsValue({"overall": 2, "helpfulness": 1})


def _review_project(db) -> tuple[list[Item], list[Label]]:
    items = _items(2)
    add_items(db, items)
    db.conn.execute("UPDATE items SET route = 'review'")
    models = [
        record_label(
            db,
            Label(it.id, PairwiseValue(PairChoice.A), Source.MODEL, "rm-1", confidence=0.8),
        )
        for it in items
    ]
    return items, models


def test_review_accept_and_override(db) -> None:
    items, models = _review_project(db)
    assert queue_counts(db).to_review == 2
    session = LabelingSession(db, "ana", queue=Route.REVIEW)
    assert session.current.model_label.id == models[0].id
    assert session.current.model_label.confidence == 0.8
    [accepted] = session.accept()
    assert accepted.action is Action.ACCEPT
    assert accepted.supersedes == models[0].id
    assert accepted.value == models[0].value
    assert resolved_label(db, items[0].id).id == accepted.id
    shown = session.current
    left_is_b = shown.shown_order[0] == 1
    [override] = session.submit_pairwise(PairChoice.A if left_is_b else PairChoice.B)
    assert override.action is Action.OVERRIDE
    assert override.value == PairwiseValue(PairChoice.B)
    assert override.supersedes == models[1].id
    assert queue_counts(db).to_review == 0
    assert model_label(db, items[1].id).id == models[1].id  # still shown after review


def test_empty_annotator_is_refused(db) -> None:
    with pytest.raises(ValueError, match="annotator"):
        LabelingSession(db, "  ")


def test_empty_queue_has_no_current_item(db) -> None:
    session = LabelingSession(db, "ana")
    assert session.current is None
    with pytest.raises(LookupError):
        session.submit_pairwise(PairChoice.A)
    add_items(db, _items(1))
    assert session.refresh() is not None


def test_rankings_must_cover_what_the_schema_asks(tmp_path: Path) -> None:
    from labeler.session import IncompleteRankingError, LabelingSession
    from labeler.store import add_items, open_db, set_schema
    from labeler.types import Item, LabelSchema, Response, SchemaMode

    db = open_db(tmp_path / "rank.db")
    add_items(db, [Item("p", tuple(Response(t) for t in "wxyz"))])
    set_schema(db, LabelSchema(SchemaMode.LISTWISE))
    session = LabelingSession(db, "ana")
    with pytest.raises(IncompleteRankingError, match="rank 2 more responses"):
        session.submit_ranking([1, 2, None, None])
    set_schema(db, LabelSchema(SchemaMode.LISTWISE, top_k=2))
    session = LabelingSession(db, "ana")
    (label,) = session.submit_ranking([1, 2, None, None])
    assert sorted(r for r in label.value.ranks if r is not None) == [1, 2]  # type: ignore[union-attr]
