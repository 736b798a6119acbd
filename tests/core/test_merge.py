"""Merging another project's label events: identity, provenance, and refusal of bad files.

A merged file may come from anyone: every way it can be wrong must end in one line naming
the file (and the record and field) with the target project exactly as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import main
from labeler.db import open_db
from labeler.store import add_items, live_labels, record_label
from labeler.store.labels import label_history, record_labels
from labeler.store.meta import set_schema
from labeler.types import (
    Action,
    Item,
    Label,
    LabelSchema,
    PairChoice,
    PairwiseValue,
    Response,
    SchemaMode,
    Source,
)

ITEMS = [Item(f"prompt {n}", (Response(f"left {n}"), Response(f"right {n}"))) for n in range(4)]
EXTRA = Item("only in the other file", (Response("x"), Response("y")))


def _label(item: Item, choice: PairChoice, who: str, **kw: object) -> Label:
    return Label(item.id, PairwiseValue(choice), Source.HUMAN, who, rationale="why", **kw)  # type: ignore[arg-type]


def _copy(src: Path, dst: Path) -> None:
    """A copy of a project through SQLite, as a backup or a mail attachment would be."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def _state(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    rows = [("dump", line) for line in conn.iterdump()]
    conn.close()
    return rows


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """A target project and another (a copy of it, then labelled on its own)."""
    target, other = tmp_path / "main.db", tmp_path / "other.db"
    db = open_db(target)
    add_items(db, ITEMS)
    record_label(db, _label(ITEMS[0], PairChoice.A, "ann"))
    db.conn.close()
    _copy(target, other)
    db = open_db(other)
    add_items(db, [EXTRA])
    first = record_label(db, _label(ITEMS[1], PairChoice.A, "bo"))
    relabel = record_label(db, _label(ITEMS[1], PairChoice.B, "bo", supersedes=first.id))
    undo = Label(ITEMS[1].id, None, Source.HUMAN, "bo", Action.RETRACT, supersedes=relabel.id)
    record_labels(db, [undo])
    record_label(db, _label(ITEMS[2], PairChoice.B, "bo"))
    record_label(db, _label(EXTRA, PairChoice.A, "bo"))
    gone = record_label(db, _label(ITEMS[3], PairChoice.A, "bo"))
    undo = Label(ITEMS[3].id, None, Source.HUMAN, "bo", Action.RETRACT, supersedes=gone.id)
    record_labels(db, [undo])
    db.conn.close()
    return target, other


def _merge(*paths: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["merge", *map(str, paths)])
    return result.exit_code, result.stdout, result.stderr


def test_merge_adds_each_event_once_with_its_history(pair: tuple[Path, Path]) -> None:
    target, other = pair
    code, out, _err = _merge(target, other)
    assert code == 0
    assert "other.db: 1 new items, 7 new label events (1 already here)" in out
    db = open_db(target, create=False)
    history = label_history(db, ITEMS[1].id)
    assert [h.action for h in history] == [Action.LABEL, Action.LABEL, Action.RETRACT]
    assert history[1].supersedes == history[0].id  # supersedes maps to this file's ids
    assert history[2].supersedes == history[1].id
    assert [lab.value for lab in live_labels(db, ITEMS[1].id)] == [PairwiseValue(PairChoice.A)]
    assert live_labels(db, EXTRA.id)[0].rationale == "why"  # provenance kept
    assert live_labels(db, EXTRA.id)[0].created_at == label_history(db, EXTRA.id)[0].created_at
    status = dict(db.conn.execute("SELECT id, status FROM items").fetchall())
    assert [status[i.id] for i in [*ITEMS, EXTRA]] == ["done", "done", "done", "todo", "done"]
    db.conn.close()
    before = _state(target)
    code, out, _err = _merge(target, other)
    assert code == 0
    assert "0 new items, 0 new label events (8 already here)" in out
    assert _state(target) == before


def _not_sqlite(path: Path) -> None:
    path.unlink()
    path.write_bytes(b"From: someone\n\nthis is not a database" * 100)


def _foreign(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE labels (x)")
    conn.commit()
    conn.close()


def _sql(*statements: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=OFF")
        for statement in statements:
            conn.execute(statement)
        conn.close()

    return change


def _listwise(path: Path) -> None:
    db = open_db(path, create=False)
    set_schema(db, LabelSchema(SchemaMode.LISTWISE))
    db.conn.close()


BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "not sqlite": (_not_sqlite, "not a prefmark project"),
    "another program's": (_foreign, "not a prefmark project"),
    "newer schema": (_sql("PRAGMA user_version = 99"), "newer"),
    "older schema": (_sql("PRAGMA user_version = 2"), "older"),
    "value not JSON": (_sql("UPDATE labels SET value = '{' WHERE id = 3"), "label 3: field value"),
    "value of the wrong shape": (
        _sql("""UPDATE labels SET value = '{"choice": "c"}' WHERE id = 4"""),
        "label 4: field value",
    ),
    "unknown source": (_sql("UPDATE labels SET source = 'root' WHERE id = 2"), "field source"),
    "unknown action": (_sql("UPDATE labels SET action = 'drop' WHERE id = 2"), "field action"),
    "no item": (_sql("UPDATE labels SET item_id = 'nope' WHERE id = 2"), "field item_id"),
    "forward supersedes": (_sql("UPDATE labels SET supersedes = 6 WHERE id = 3"), "supersedes"),
    "bad time": (_sql("UPDATE labels SET created_at = 'soon' WHERE id = 2"), "created_at"),
    "labels a view": (
        _sql("ALTER TABLE labels RENAME TO l2", "CREATE VIEW labels AS SELECT * FROM l2"),
        "table labels",
    ),
    "broken new item": (
        _sql(f"UPDATE items SET responses = '[' WHERE id = '{EXTRA.id}'"),
        "item 5",
    ),
    "other label schema": (_listwise, "labelled as listwise"),
    "text ids": (
        _sql(
            "ALTER TABLE labels RENAME TO l2",
            "CREATE TABLE labels AS SELECT * FROM l2",
            "UPDATE labels SET id = 'x' || id WHERE id = 5",
        ),
        "label x5: field id: out of range",
    ),
    "ranks for another item": (
        _sql(
            """UPDATE labels SET kind = 'ranking', value = '{"ranks": [1, 2, 3]}' WHERE id = 2"""
        ),
        "label 2: field value: not one entry per response",
    ),
    "shown order too short": (
        _sql("UPDATE labels SET shown_order = '[0]' WHERE id = 2"),
        "label 2: field shown_order",
    ),
    "new item's source a blob": (
        _sql(f"UPDATE items SET source = x'00ff' WHERE id = '{EXTRA.id}'"),
        "item 5: source",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_changes_nothing_and_says_why_in_one_line(
    pair: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    target, other = pair
    good = tmp_path / "good.db"
    _copy(other, good)
    spoil, words = BAD_FILES[case]
    spoil(other)
    before = _state(target)
    code, out, err = _merge(target, good, other)  # a good file first: not merged either
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(other) in lines[0]
    assert words in lines[0]
    assert out == ""
    assert _state(target) == before
    code, out, err = _merge(target, other)  # alone: checked inside the merge's transaction
    assert code == 1
    assert words in err
    assert _state(target) == before


def test_a_project_cannot_be_merged_into_itself(pair: tuple[Path, Path]) -> None:
    target, _other = pair
    code, _out, err = _merge(target, target)
    assert code == 1
    assert "this project itself" in err
