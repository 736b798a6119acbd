"""One labelled project, every consumer of labels: training, stats, review, routing, the
simulation and export must agree on which label counts for each item, under each policy."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from labeler.db import open_db, transaction
from labeler.exporters import ExportError, ExportOptions, SourceFilter, export_project
from labeler.resolution import ConflictPolicy, choice_code, simulation_gold
from labeler.store import insert_items, insert_labels, record_label
from labeler.store.labels import model_label, record_labels
from labeler.store.meta import set_conflict_policy
from labeler.store.routes import audit_outcomes, routing_arrays, write_routes
from labeler.store.stats import project_stats
from labeler.training import training_pairs
from labeler.types import (
    Action,
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

A, B = PairwiseValue(PairChoice.A), PairwiseValue(PairChoice.B)
ROUTE = {"human": 0, "model": 1, "review": 2}


def _item(prompt: str, *texts: str) -> Item:
    return Item(prompt, tuple(Response(t) for t in texts))


def _person(item: Item, value: LabelValue, who: str, **kw: Any) -> Label:
    return Label(item.id, value, Source.HUMAN, who, **kw)


def _model(item: Item, value: LabelValue, who: str, confidence: float = 0.8) -> Label:
    return Label(
        item.id, value, Source.MODEL, who, model_version=f"{who}-1", confidence=confidence
    )


def _route(db: Any, items: list[Item], route: str) -> None:
    """Routing's decision, trusting the judge, made before any person labels the items."""
    n = len(items)
    write_routes(
        db, [i.id for i in items], np.full(n, ROUTE[route]), np.zeros(n),
        np.ones(n, dtype=bool), strategy="margin", budget=0.5, seed=0,
        params={"ai": "judge"}, summary={},
    )  # fmt: skip


def build_project(path: Path) -> tuple[Any, dict[str, Item]]:
    """Three annotators split A, A, B on one item; rating-only items (three and two
    responses); a ranking; model labels alone, under a person's label, and from two AI
    sources of which routing trusted one; a model label three reviewers disagree on."""
    db = open_db(path)
    items = {
        "conflict": _item("Best pet?", "cat", "dog"),
        "pair": _item("2+2?", "4", "5"),
        "rating3": _item("Rate the poems.", "great", "ok", "bad"),
        "rating2": _item("Rate the two.", "fine", "poor"),
        "ranking": _item("Sort: b a c", "a b c", "c b a", "b a c"),
        "model_only": _item("Sky colour?", "green", "blue"),
        "trusted": _item("Capital of France?", "Paris", "Lyon"),
        "mixed": _item("Colour of grass?", "green", "red"),
        "reviewed": _item("3*3?", "9", "6"),
    }
    with transaction(db.conn):
        insert_items(db.conn, items.values(), "fixture")
        insert_labels(
            db.conn,
            [
                _model(items["model_only"], B, "judge"),
                _model(items["trusted"], A, "judge"),
                _model(items["trusted"], B, "local-rm", 0.9),  # later, but not trusted
                _model(items["mixed"], B, "judge"),
            ],
        )
    shown = record_label(db, _model(items["reviewed"], A, "judge", 0.6))
    _route(db, [items["model_only"]], "model")
    _route(db, [items["trusted"], items["reviewed"]], "review")
    with transaction(db.conn):
        insert_labels(
            db.conn,
            [
                _person(items["conflict"], A, "alice"),
                _person(items["conflict"], A, "bob"),
                _person(items["conflict"], B, "carol"),
                _person(items["pair"], A, "alice"),
                _person(items["rating3"], RatingValue((5, 3, 1)), "alice"),
                _person(items["rating2"], RatingValue((4, 2)), "alice"),
                _person(items["ranking"], RankingValue((2, 1, 3)), "bob"),
                _person(items["mixed"], A, "dana"),
            ],
        )
    reviewed = items["reviewed"]
    record_label(db, _person(reviewed, A, "gus"))
    record_labels(db, [_person(reviewed, A, "fay", action=Action.ACCEPT, supersedes=shown.id)])
    record_labels(db, [_person(reviewed, B, "erin", action=Action.OVERRIDE, supersedes=shown.id)])
    return db, items


def _export(db: Any, out: Path, **options: Any) -> tuple[list[dict[str, Any]], int]:
    """The records of an export with the project's own policy, and its conflict count."""
    try:
        report = export_project(db, out, ExportOptions(test_size=0.0, **options))
    except ExportError as exc:  # nothing passed the filters: the message counts conflicts
        dropped = re.search(r"(\d+) conflicts dropped", str(exc))
        return [], int(dropped.group(1)) if dropped else 0
    records = [
        json.loads(line)
        for path in sorted((out / "data").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return records, report.conflicts


def _pairs(records: list[dict[str, Any]], items: dict[str, Item]) -> set[tuple[str, int, int]]:
    """(item id, chosen index, rejected index) of preference records (standard text, whose
    completions start with a space)."""
    texts = {i.id: [" " + r.text for r in i.responses] for i in items.values()}
    return {
        (r["item_id"], texts[r["item_id"]].index(r["chosen"]),
         texts[r["item_id"]].index(r["rejected"]))
        for r in records
    }  # fmt: skip


def _code(pairs: set[tuple[str, int, int]], item_id: str) -> int:
    """The choice code the exported pairs give a two-response item (-1: none)."""
    return 0 if (item_id, 0, 1) in pairs else 1 if (item_id, 1, 0) in pairs else -1


def disagreements(db: Any, items: dict[str, Item], out: Path) -> list[str]:
    """Every way in which a consumer counts another label than the export, as sentences."""
    found: list[str] = []

    def check(what: str, got: Any, want: Any) -> None:
        if got != want:
            found.append(f"{what}: {got!r} != export's {want!r}")

    human_records, _ = _export(db, out / "human", source=SourceFilter.HUMAN)
    all_records, conflicts = _export(db, out / "all", source=SourceFilter.ALL, keep_ties=True)
    exported = _pairs(human_records, items)

    pairs = training_pairs(db)
    trained = {(w[0], w[1], lo[1]) for w, lo in zip(pairs.winners, pairs.losers, strict=True)}
    check("training pairs", sorted(trained), sorted(exported))

    stats = project_stats(db)
    sources = Counter({r["item_id"]: r["label_source"] for r in all_records}.values())
    check("stats labels by source", stats["labels_by_source"], dict(sorted(sources.items())))
    check("stats conflicts", stats.get("conflicts"), conflicts)

    arrays = routing_arrays(db, with_text=False)
    want_codes = np.array([_code(exported, i) for i in arrays.ids], dtype=np.int8)
    people = _labelled_by(db)
    check("routing human", arrays.human.tolist(), want_codes.tolist())
    check("routing has_human", arrays.has_human.tolist(), [i in people for i in arrays.ids])
    for name, codes in arrays.human_by.items():
        own, _ = _export(db, out / f"by-{name}", source=SourceFilter.HUMAN, annotators=(name,))
        own_pairs, labelled = _pairs(own, items), _labelled_by(db, name)
        want = [_code(own_pairs, i) if i in labelled else -2 for i in arrays.ids]
        check(f"routing human_by[{name}]", codes.tolist(), want)

    gold = simulation_gold(arrays).gold
    check("simulation gold", gold.tolist(), want_codes.tolist())

    by_item = {r["item_id"]: r for r in all_records}
    shown = model_label(db, items["trusted"].id)
    check("review shows", shown and shown.annotator, by_item[items["trusted"].id]["annotator"])
    audited = confirmed = 0
    for key in ("trusted", "reviewed"):
        item = items[key]
        record = next((r for r in human_records if r["item_id"] == item.id), None)
        if record is None:
            continue
        audited += 1
        reviewed = model_label(db, item.id)
        assert reviewed is not None
        assert reviewed.value is not None
        model_code = choice_code(reviewed.kind, json.dumps(reviewed.value.to_json()))
        confirmed += record["label_action"] == "accept" or _code(exported, item.id) == model_code
    check("review audit (audited, confirmed)", audit_outcomes(db), (audited, confirmed))
    return found


def _labelled_by(db: Any, annotator: str | None = None) -> set[str]:
    """Items people (or ``annotator``) labelled; no label in these fixtures is retracted."""
    rows = db.conn.execute(
        "SELECT item_id FROM labels WHERE source != 'model' "
        "AND coalesce(?, annotator) = annotator",
        (annotator,),
    )
    return {r[0] for r in rows}


@pytest.mark.parametrize("policy", list(ConflictPolicy))
def test_every_consumer_counts_the_label_the_export_writes(
    tmp_path: Path, policy: ConflictPolicy
) -> None:
    db, items = build_project(tmp_path / "p.db")
    set_conflict_policy(db, policy)
    assert disagreements(db, items, tmp_path / "out") == []


def test_the_cross_check_covers_what_it_claims(tmp_path: Path) -> None:
    """The fixture really has a 2:1 conflict the majority settles for A, rating pairs, a
    trusted AI source, and a review the majority confirms."""
    db, items = build_project(tmp_path / "p.db")
    pairs = training_pairs(db)
    trained = set(zip(pairs.winners, pairs.losers, strict=True))
    conflict, rating = items["conflict"].id, items["rating3"].id
    assert ((conflict, 0), (conflict, 1)) in trained  # A, A, B: A
    assert ((rating, 0), (rating, 2)) in trained  # a rating implies pairs
    shown = model_label(db, items["trusted"].id)
    assert shown is not None
    assert shown.annotator == "judge"
    assert audit_outcomes(db) == (1, 1)
    assert project_stats(db)["labels_by_source"] == {"human": 7, "model": 2}


# ---- random projects ------------------------------------------------------------------------

VALUES = st.sampled_from(
    [A, B, PairwiseValue(PairChoice.TIE), PairwiseValue(PairChoice.A, 2), RatingValue((2, 4))]
)
EVENTS = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(["ann", "bea", "cy", "judge", "rm"]), VALUES),
    max_size=14,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS, policy=st.sampled_from(list(ConflictPolicy)))
@example(  # the conflict dropped is the only labelled item: nothing to export, one conflict
    events=[(0, "ann", A), (0, "ann", B)], policy=ConflictPolicy.DROP
)
@example(  # one person's two live labels in conflict; the judge's vote settles it everywhere
    events=[(0, "ann", A), (1, "bea", A), (3, "ann", A), (3, "ann", B), (3, "judge", B)],
    policy=ConflictPolicy.DAWID_SKENE,
)
def test_consumers_agree_on_random_projects(
    tmp_path_factory: pytest.TempPathFactory,
    events: list[tuple[int, str, LabelValue]],
    policy: ConflictPolicy,
) -> None:
    """Four items, labels by three people and two models in any order and mix."""
    base = tmp_path_factory.mktemp("random")
    db = open_db(base / "p.db")
    items = {str(n): _item(f"prompt {n}", "x", "y") for n in range(4)}
    with transaction(db.conn):
        insert_items(db.conn, items.values(), "fixture")
        insert_labels(
            db.conn,
            [
                _model(items[str(n)], value, who)
                if who in ("judge", "rm")
                else _person(items[str(n)], value, who)
                for n, who, value in events
            ],
        )
    set_conflict_policy(db, policy)
    try:
        assert _random_disagreements(db, items, base / "out") == []
    finally:
        db.conn.close()


def _random_disagreements(db: Any, items: dict[str, Item], out: Path) -> list[str]:
    """Training, stats, routing and the simulation against the export (no review here)."""
    found: list[str] = []
    human_records, _ = _export(db, out / "human", source=SourceFilter.HUMAN)
    all_records, conflicts = _export(db, out / "all", source=SourceFilter.ALL, keep_ties=True)
    exported = _pairs(human_records, items)
    pairs = training_pairs(db)
    trained = {(w[0], w[1], lo[1]) for w, lo in zip(pairs.winners, pairs.losers, strict=True)}
    if trained != exported:
        found.append(f"training {sorted(trained)} != export {sorted(exported)}")
    arrays = routing_arrays(db, with_text=False)
    codes = [_code(exported, i) for i in arrays.ids]
    if arrays.human.tolist() != codes or simulation_gold(arrays).gold.tolist() != codes:
        found.append(f"routing {arrays.human.tolist()} != export {codes}")
    stats = project_stats(db)
    sources = dict(
        sorted(Counter({r["item_id"]: r["label_source"] for r in all_records}.values()).items())
    )
    if (stats["labels_by_source"], stats["conflicts"]) != (sources, conflicts):
        found.append(f"stats {stats} != export {sources} ({conflicts} conflicts)")
    return found
