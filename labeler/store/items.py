"""Items: insert in bulk, fetch one, walk all in keyset order, and the queue queries."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labeler.db import transaction
from labeler.types import Item, Response, Route, Status, prompt_from_json, prompt_to_json

if TYPE_CHECKING:
    import sqlite_utils

ITEM_COLUMNS = (
    "seq, id, prompt, responses, images, metadata, tags, status, flagged, route, priority"
)

_INSERT = (
    "INSERT OR IGNORE INTO items "
    "(id, prompt, responses, n_responses, images, metadata, tags, source) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def item_to_row(item: Item, source: str | None) -> tuple[Any, ...]:
    return (
        item.id,
        _dumps(prompt_to_json(item.prompt)),
        _dumps([{"text": r.text, "model": r.model} for r in item.responses]),
        len(item.responses),
        _dumps(list(item.images)) if item.images else None,
        _dumps(dict(item.metadata)) if item.metadata else None,
        _dumps(list(item.tags)) if item.tags else None,
        source,
    )


def row_to_item(row: Sequence[Any]) -> Item:
    """Build an Item from a row selected with ``ITEM_COLUMNS`` (first seven columns)."""
    _seq, item_id, prompt, responses, images, metadata, tags = row[:7]
    return Item(
        prompt=prompt_from_json(json.loads(prompt)),
        responses=tuple(Response(r["text"], r.get("model")) for r in json.loads(responses)),
        images=tuple(json.loads(images)) if images else (),
        metadata=json.loads(metadata) if metadata else {},
        tags=tuple(json.loads(tags)) if tags else (),
        id=item_id,
    )


@dataclass(frozen=True, slots=True)
class InsertCounts:
    inserted: int
    duplicates: int


def insert_items(
    conn: sqlite3.Connection, items: Iterable[Item], source: str | None = None
) -> InsertCounts:
    """Insert inside the caller's transaction; an item whose id exists already is skipped."""
    rows = [item_to_row(item, source) for item in items]
    before = conn.total_changes
    conn.executemany(_INSERT, rows)
    inserted = conn.total_changes - before
    note_content(conn, rows)
    return InsertCounts(inserted, len(rows) - inserted)


def note_content(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Set the content flags (``labeler.db.CONTENT_FLAGS``) that rows in ``item_to_row``'s
    layout call for: a chat prompt is a JSON array, images a non-empty one."""
    if any(row[1][0] == "[" for row in rows):
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('content.chat_prompts', '1')")
    if any(row[4] not in (None, "[]") for row in rows):
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('content.images', '1')")


def add_items(
    db: sqlite_utils.Database, items: Iterable[Item], source: str | None = None
) -> InsertCounts:
    """Insert items in one transaction (all or nothing)."""
    with transaction(db.conn):
        return insert_items(db.conn, items, source)


class UnknownItemError(KeyError):
    """No item with that id in this project."""


def get_item(db: sqlite_utils.Database, item_id: str) -> Item:
    row = db.conn.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise UnknownItemError(item_id)
    return row_to_item(row)


def count_items(db: sqlite_utils.Database) -> int:
    return int(db.conn.execute("SELECT count(*) FROM items").fetchone()[0])


def iter_items(db: sqlite_utils.Database, chunk_size: int = 2000) -> Iterator[Item]:
    """Every item in import order, read in keyset-paginated chunks (bounded memory)."""
    after = 0
    while True:
        rows = db.conn.execute(
            f"SELECT {ITEM_COLUMNS} FROM items WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, chunk_size),
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield row_to_item(row)
        after = rows[-1][0]


@dataclass(frozen=True, slots=True)
class QueueCursor:
    """Position in a queue: the (priority, seq) of the last item handed out."""

    priority: float
    seq: int


def next_item(
    db: sqlite_utils.Database,
    route: Route = Route.HUMAN,
    status: Status = Status.TODO,
    after: QueueCursor | None = None,
    exclude: Sequence[str] = (),
) -> tuple[Item, QueueCursor] | None:
    """The next item in a queue, most valuable first (lowest priority, then import order).

    One indexed lookup on ``items_queue``; ``after`` pages forward without OFFSET.
    """
    sql = f"SELECT {ITEM_COLUMNS} FROM items WHERE status = ? AND route = ?"
    params: list[Any] = [status.value, route.value]
    if after is not None:
        sql += " AND (priority > ? OR (priority = ? AND seq > ?))"
        params += [after.priority, after.priority, after.seq]
    if exclude:
        sql += f" AND id NOT IN ({','.join('?' * len(exclude))})"
        params += list(exclude)
    sql += " ORDER BY priority, seq LIMIT 1"
    row = db.conn.execute(sql, params).fetchone()
    if row is None:
        return None
    return row_to_item(row), QueueCursor(float(row[10]), int(row[0]))


def set_status(db: sqlite_utils.Database, item_id: str, status: Status) -> None:
    with transaction(db.conn):
        db.conn.execute("UPDATE items SET status = ? WHERE id = ?", (status.value, item_id))


def set_flag(db: sqlite_utils.Database, item_id: str, flagged: bool) -> None:
    with transaction(db.conn):
        db.conn.execute("UPDATE items SET flagged = ? WHERE id = ?", (int(flagged), item_id))


def item_state(db: sqlite_utils.Database, item_id: str) -> tuple[Status, bool, Route]:
    row = db.conn.execute(
        "SELECT status, flagged, route FROM items WHERE id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise UnknownItemError(item_id)
    return Status(row[0]), bool(row[1]), Route(row[2])
