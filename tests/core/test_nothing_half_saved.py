"""A user decision is stored whole or not at all, and what routing or a migration writes never
undoes what a person did meanwhile or overwrites a file kept before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from labeler.db import open_db
from labeler.session import LabelingSession
from labeler.store import add_items, record_label
from labeler.store.items import item_state
from labeler.store.meta import set_schema
from labeler.store.routes import write_routes
from labeler.types import (
    Item,
    Label,
    LabelSchema,
    PairChoice,
    PairwiseValue,
    Response,
    Route,
    SchemaMode,
    Source,
    Status,
)

FAIL_ON_KIND = """
CREATE TRIGGER fail_{kind} BEFORE INSERT ON labels WHEN NEW.kind = '{kind}' {extra}
BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END
"""


def _listwise(path: Path) -> sqlite3.Connection:
    db = open_db(path)
    set_schema(db, LabelSchema(mode=SchemaMode.LISTWISE))
    add_items(
        db, [Item(f"p{i}", tuple(Response(f"r{i}.{j}") for j in range(3))) for i in range(3)]
    )
    return db


def _label_rows(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    return db.conn.execute("SELECT item_id, kind, action FROM labels ORDER BY id").fetchall()


def test_a_ranking_with_thumbs_and_rating_is_stored_whole_or_not_at_all(tmp_path: Path) -> None:
    db = _listwise(tmp_path / "p.db")
    session = LabelingSession(db, "ann")
    first = session.current
    assert first is not None
    # The third write of the decision fails (as a full disk or an I/O error would).
    db.conn.execute(FAIL_ON_KIND.format(kind="rating", extra=""))
    with pytest.raises(sqlite3.Error):
        session.submit_ranking([1, 2, 3], thumbs=[True, None, False], ratings=[5, 3, 1])
    assert _label_rows(db) == []
    assert item_state(db, first.item.id)[0] is Status.TODO
    assert session.current is not None
    assert session.current.item.id == first.item.id
    db.conn.execute("DROP TRIGGER fail_rating")
    recorded = session.submit_ranking([1, 2, 3], thumbs=[True, None, False], ratings=[5, 3, 1])
    assert [lab.value.kind.value for lab in recorded if lab.value] == [
        "ranking",
        "binary",
        "rating",
    ]
    assert item_state(db, first.item.id)[0] is Status.DONE


def test_undo_of_a_decision_is_one_transaction(tmp_path: Path) -> None:
    db = _listwise(tmp_path / "p.db")
    session = LabelingSession(db, "ann")
    first = session.current
    assert first is not None
    session.submit_ranking([1, 2, 3], thumbs=[True, None, False], ratings=[5, 3, 1])
    db.conn.execute(
        FAIL_ON_KIND.format(
            kind="",
            extra="OR NEW.action = 'retract' AND EXISTS "
            "(SELECT 1 FROM labels WHERE action = 'retract')",
        )
    )
    with pytest.raises(sqlite3.Error):
        session.undo()
    assert [r[2] for r in _label_rows(db)] == ["label", "label", "label"]
    assert item_state(db, first.item.id)[0] is Status.DONE
    assert session.can_undo  # the undo was not done, so it can be asked for again
    db.conn.execute("DROP TRIGGER fail_")
    session.undo()
    assert [r[2] for r in _label_rows(db)].count("retract") == 3
    assert item_state(db, first.item.id)[0] is Status.TODO


def test_routing_never_requeues_an_item_labelled_while_it_was_deciding(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    items = [Item(f"p{i}", (Response("a"), Response("b"))) for i in range(4)]
    add_items(db, items)
    ids = [it.id for it in items]
    # The decision was made on a snapshot in which no item had a label...
    route = np.zeros(4, dtype=int)
    priority = np.arange(4, dtype=float)
    eligible = np.ones(4, dtype=bool)
    # ...and a person labelled item 0 before the decision was written.
    record_label(db, Label(ids[0], PairwiseValue(PairChoice.A), Source.HUMAN, "ann"))
    write_routes(
        db, ids, route, priority, eligible, strategy="random", budget=1.0, seed=0, params={},
        summary={},
    )  # fmt: skip
    assert item_state(db, ids[0])[0] is Status.DONE
    assert [item_state(db, i)[0] for i in ids[1:]] == [Status.TODO] * 3
    assert item_state(db, ids[1])[2] is Route.HUMAN


def test_an_upgrade_never_overwrites_a_backup_kept_before(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    db = open_db(path)
    add_items(db, [Item("p", (Response("a"), Response("b")))])
    # An older project: schema version 2, from before files were stamped.
    db.conn.execute("PRAGMA application_id = 0")
    db.conn.execute("PRAGMA user_version = 2")
    db.conn.close()
    kept = tmp_path / "p.db.v2.bak"
    kept.write_bytes(b"the user's own file")
    db = open_db(path, create=False)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert kept.read_bytes() == b"the user's own file"
    backup = sqlite3.connect(tmp_path / "p.db.v2.2.bak")
    assert backup.execute("SELECT count(*) FROM items").fetchone()[0] == 1
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 2
