"""The store: append-only labels, the resolved-label rule, queue order, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from labeler import db as dbmod
from labeler.db import transaction
from labeler.store import (
    add_items,
    get_item,
    label_history,
    live_labels,
    next_item,
    open_db,
    record_label,
    resolved_label,
    resolved_labels,
    set_flag,
)
from labeler.store.items import (
    QueueCursor,
    UnknownItemError,
    any_chat_items,
    any_images,
    insert_item_rows,
    item_state,
    item_to_row,
)
from labeler.store.stats import project_stats
from labeler.types import (
    Action,
    Item,
    Label,
    Message,
    PairChoice,
    PairwiseValue,
    RankingValue,
    Response,
    Route,
    Source,
    Status,
)


def make_items(n: int) -> list[Item]:
    return [
        Item(f"prompt {i}", (Response(f"a{i}", "m-a"), Response(f"b{i}", "m-b"))) for i in range(n)
    ]


def human(item: Item, choice: PairChoice, who: str = "ann", **kw: object) -> Label:
    return Label(item.id, PairwiseValue(choice), Source.HUMAN, who, **kw)  # type: ignore[arg-type]


def model(item: Item, choice: PairChoice, conf: float = 0.7) -> Label:
    return Label(
        item.id, PairwiseValue(choice), Source.MODEL, "rm", model_version="rm-1", confidence=conf
    )


def test_items_round_trip_with_chat_prompt_images_and_metadata(project_path: Path) -> None:
    db = open_db(project_path)
    item = Item(
        (Message("system", "be brief"), Message("user", "hi")),
        (Response("hello", "m1"), Response("hey", None), Response("yo", "m3")),
        images=("/tmp/x.png",),
        metadata={"category": "chat", "n": 3},
        tags=("greeting",),
    )
    assert add_items(db, [item, item]).inserted == 1
    assert get_item(db, item.id) == item
    with pytest.raises(UnknownItemError):
        get_item(db, "missing")


def test_same_content_gets_same_id_across_projects(tmp_path: Path) -> None:
    a, b = open_db(tmp_path / "a.db"), open_db(tmp_path / "b.db")
    add_items(a, make_items(3))
    add_items(b, list(reversed(make_items(3))))
    ids = lambda d: sorted(r[0] for r in d.conn.execute("SELECT id FROM items"))  # noqa: E731
    assert ids(a) == ids(b)


def test_human_label_wins_over_model_and_undo_restores_model(project_path: Path) -> None:
    db = open_db(project_path)
    (item,) = make_items(1)
    add_items(db, [item])
    m = record_label(db, model(item, PairChoice.A))
    assert resolved_label(db, item.id) == m
    assert item_state(db, item.id)[0] is Status.TODO  # a model label does not finish an item
    h = record_label(db, human(item, PairChoice.B, shown_order=(1, 0), time_ms=1234))
    assert resolved_label(db, item.id) == h
    assert item_state(db, item.id)[0] is Status.DONE
    record_label(
        db, Label(item.id, None, Source.HUMAN, "ann", action=Action.RETRACT, supersedes=h.id)
    )
    assert resolved_label(db, item.id) == m
    assert item_state(db, item.id)[0] is Status.TODO
    assert [lab.action for lab in label_history(db, item.id)] == [
        Action.LABEL,
        Action.LABEL,
        Action.RETRACT,
    ]


def test_review_accept_and_override_supersede_the_model_label(project_path: Path) -> None:
    db = open_db(project_path)
    first, second = make_items(2)
    add_items(db, [first, second])
    m1 = record_label(db, model(first, PairChoice.A))
    m2 = record_label(db, model(second, PairChoice.A))
    record_label(
        db, Label(first.id, m1.value, Source.HUMAN, "rev", action=Action.ACCEPT, supersedes=m1.id)
    )
    record_label(
        db,
        Label(
            second.id,
            PairwiseValue(PairChoice.TIE),
            Source.HUMAN,
            "rev",
            action=Action.OVERRIDE,
            supersedes=m2.id,
        ),
    )
    resolved = {r.item.id: r.label for r in resolved_labels(db)}
    assert resolved[first.id].action is Action.ACCEPT
    assert resolved[second.id].value == PairwiseValue(PairChoice.TIE)
    assert [lab.source for lab in live_labels(db, second.id)] == [Source.HUMAN]


def test_resolved_labels_pages_over_unlabelled_gaps(project_path: Path) -> None:
    db = open_db(project_path)
    items = make_items(50)
    add_items(db, items)
    for item in items[::7]:
        record_label(db, human(item, PairChoice.A))
    got = [r.item.id for r in resolved_labels(db, chunk_size=3)]
    assert got == [item.id for item in items[::7]]


def test_ranking_value_order_groups_ties() -> None:
    assert RankingValue((2, 1, 2, None)).order() == [[1], [0, 2]]


def test_queue_orders_by_priority_then_import_order(project_path: Path) -> None:
    db = open_db(project_path)
    items = make_items(4)
    add_items(db, items)
    db.conn.execute("UPDATE items SET priority = 1 WHERE id = ?", (items[0].id,))
    first = next_item(db)
    assert first is not None
    assert first[0].id == items[1].id
    order = []
    cursor: QueueCursor | None = None
    while (got := next_item(db, after=cursor)) is not None:
        order.append(got[0].id)
        cursor = got[1]
    assert order == [items[1].id, items[2].id, items[3].id, items[0].id]
    assert next_item(db, route=Route.REVIEW) is None
    set_flag(db, items[2].id, True)
    assert project_stats(db)["flagged"] == 1


def test_opening_a_newer_file_is_refused_and_left_alone(project_path: Path) -> None:
    open_db(project_path).conn.close()
    conn = sqlite3.connect(project_path)
    conn.execute(f"PRAGMA user_version = {dbmod.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(dbmod.ProjectFileError, match="newer"):
        open_db(project_path)


def test_migration_backs_up_the_file_first(
    project_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_db(project_path)
    add_items(db, make_items(2))
    db.conn.close()

    def add_note_column(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE items ADD COLUMN note TEXT")

    monkeypatch.setattr(dbmod, "MIGRATIONS", [*dbmod.MIGRATIONS, add_note_column])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", len(dbmod.MIGRATIONS))
    migrated = open_db(project_path)
    old = len(dbmod.MIGRATIONS) - 1
    backup = project_path.with_name(f"{project_path.name}.v{old}.bak")
    assert backup.exists()
    assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == old
    assert "note" in migrated["items"].columns_dict
    assert migrated.conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2


def test_version_1_files_get_each_labels_item_seq(project_path: Path) -> None:
    db = open_db(project_path)
    items = make_items(3)
    add_items(db, items)
    for item, choice in zip(items, (PairChoice.A, PairChoice.B, PairChoice.A), strict=True):
        record_label(db, human(item, choice))
    add_items(db, [Item((Message("user", "hi"),), (Response("a"), Response("b")))])
    # Turn the file back into a version 1 file: no item_seq column, index or content flags.
    db.conn.execute("DROP INDEX labels_item_seq")
    db.conn.execute("ALTER TABLE labels DROP COLUMN item_seq")
    db.conn.execute("DELETE FROM meta WHERE key LIKE 'content.%'")
    db.conn.execute("PRAGMA user_version = 1")
    db.conn.close()

    migrated = open_db(project_path)
    rows = migrated.conn.execute(
        "SELECT l.item_seq, i.seq FROM labels l JOIN items i ON i.id = l.item_id"
    ).fetchall()
    assert len(rows) == 3
    assert all(label_seq == seq for label_seq, seq in rows)
    assert project_path.with_name(f"{project_path.name}.v1.bak").exists()
    assert resolved_label(migrated, items[1].id).value == PairwiseValue(PairChoice.B)
    assert any_chat_items(migrated)
    assert not any_images(migrated)


def test_content_flags_follow_every_insert(project_path: Path) -> None:
    db = open_db(project_path)
    add_items(db, make_items(2))
    assert not any_chat_items(db)
    assert not any_images(db)
    add_items(db, [Item("look", (Response("a"), Response("b")), images=("cat.png",))])
    assert any_images(db)
    assert not any_chat_items(db)
    chat = Item((Message("user", "hi"),), (Response("a"), Response("b")))
    with transaction(db.conn):  # the importers' bulk path
        assert insert_item_rows(db.conn, [item_to_row(chat, None)] * 2) == 1
    assert any_chat_items(db)


def test_labels_record_their_items_seq(project_path: Path) -> None:
    db = open_db(project_path)
    items = make_items(4)
    add_items(db, items)
    record_label(db, human(items[2], PairChoice.A))
    seq = db.conn.execute("SELECT seq FROM items WHERE id = ?", (items[2].id,)).fetchone()[0]
    assert db.conn.execute("SELECT item_seq FROM labels").fetchall() == [(seq,)]


def test_not_a_project_file_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("hello")
    with pytest.raises(dbmod.ProjectFileError, match="not a prefmark project"):
        open_db(bogus)
    assert bogus.read_text() == "hello"


def test_undoing_a_relabel_or_a_review_restores_what_it_replaced(project_path: Path) -> None:
    db = open_db(project_path)
    first, second = make_items(2)
    add_items(db, [first, second])
    original = record_label(db, human(first, PairChoice.A))
    relabel = record_label(db, human(first, PairChoice.B, supersedes=original.id))
    assert resolved_label(db, first.id) == relabel
    record_label(
        db,
        Label(first.id, None, Source.HUMAN, "ann", action=Action.RETRACT, supersedes=relabel.id),
    )
    assert resolved_label(db, first.id) == original
    assert item_state(db, first.id)[0] is Status.DONE

    suggestion = record_label(db, model(second, PairChoice.A))
    accept = record_label(
        db,
        Label(
            second.id,
            suggestion.value,
            Source.HUMAN,
            "rev",
            action=Action.ACCEPT,
            supersedes=suggestion.id,
        ),
    )
    assert live_labels(db, second.id) == [accept]
    record_label(
        db,
        Label(second.id, None, Source.HUMAN, "rev", action=Action.RETRACT, supersedes=accept.id),
    )
    assert live_labels(db, second.id) == [suggestion]
    assert item_state(db, second.id)[0] is Status.TODO


def test_the_routed_ai_source_label_counts_among_several_model_labels(project_path: Path) -> None:
    db = open_db(project_path)
    (item,) = make_items(1)
    add_items(db, [item])
    judge = record_label(db, Label(item.id, PairwiseValue(PairChoice.B), Source.MODEL, "judge"))
    local = record_label(db, model(item, PairChoice.A))
    assert resolved_label(db, item.id) == local  # no routing yet: the latest model label
    db.conn.execute(
        "UPDATE items SET route = 'model', ai_source = 'judge' WHERE id = ?", (item.id,)
    )
    assert resolved_label(db, item.id) == judge
    assert [r.label for r in resolved_labels(db)] == [judge]
    assert project_stats(db)["labels_by_source"] == {"model": 1}


def test_routed_human_items_queue_before_items_routing_did_not_decide(project_path: Path) -> None:
    import numpy as np

    from labeler.store.routes import write_routes

    db = open_db(project_path)
    items = make_items(4)
    add_items(db, items)
    routed = [items[2].id, items[3].id]
    write_routes(
        db, routed, np.array([0, 0]), np.array([1.0, 0.0]), np.ones(2, dtype=bool),
        strategy="margin", budget=0.5, seed=0, params={}, summary={},
    )  # fmt: skip
    order, cursor = [], None
    while (got := next_item(db, after=cursor)) is not None:
        order.append(got[0].id)
        cursor = got[1]
    assert order == [items[3].id, items[2].id, items[0].id, items[1].id]
