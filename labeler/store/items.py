"""Items: the one table of prompts and responses.

Insert (objects or the codec's prebuilt rows, and the journal for a first big load), fetch one,
walk all in keyset order or only those a table has not processed yet, serve the next one in
the labelling queue, and set an item's status and flag.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labeler.codec import ROW_COLUMNS, ROW_IMAGES, ROW_PROMPT, ItemRow, item_row
from labeler.db import transaction
from labeler.types import Item, Response, Route, Status, prompt_from_json, prompt_to_json

if TYPE_CHECKING:
    import sqlite_utils


ITEM_FIELDS = (
    "seq", "id", "prompt", "responses", "images", "metadata", "tags", "status", "flagged", "route",
    "priority",
)  # fmt: skip
"""The columns an item query selects (``ITEM_COLUMNS``), in order; ``row_to_item`` reads them."""
ITEM_COLUMNS = ", ".join(ITEM_FIELDS)
_AT = {name: i for i, name in enumerate(ITEM_FIELDS)}
_SEQ, _ID, _PROMPT, _RESPONSES = _AT["seq"], _AT["id"], _AT["prompt"], _AT["responses"]
_IMAGES, _METADATA, _TAGS, _PRIORITY = _AT["images"], _AT["metadata"], _AT["tags"], _AT["priority"]

_INSERT = (
    f"INSERT OR IGNORE INTO items ({', '.join(ROW_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
)


def item_to_row(item: Item, source: str | None) -> ItemRow:
    """The item's row as ``codec`` writes it, under the item's own id."""
    return item_row(
        prompt_to_json(item.prompt),
        [r.text for r in item.responses],
        [r.model for r in item.responses],
        item.images,
        item.metadata,
        item.tags,
        source,
        item_id=item.id,
    )


def row_to_item(row: Sequence[Any]) -> Item:
    """Build an Item from a row selected with ``ITEM_COLUMNS``."""
    images, metadata, tags = row[_IMAGES], row[_METADATA], row[_TAGS]
    return Item(
        prompt=prompt_from_json(json.loads(row[_PROMPT])),
        responses=tuple(Response(r["text"], r.get("model")) for r in json.loads(row[_RESPONSES])),
        images=tuple(json.loads(images)) if images else (),
        metadata=json.loads(metadata) if metadata else {},
        tags=tuple(json.loads(tags)) if tags else (),
        id=row[_ID],
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


def note_content(conn: sqlite3.Connection, rows: Sequence[ItemRow]) -> None:
    """Set the content flags (``labeler.db.CONTENT_FLAGS``) that rows call for: a chat prompt
    is a JSON array, images a non-empty one."""
    if any(row[ROW_PROMPT][0] == "[" for row in rows):
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('content.chat_prompts', '1')")
    if any(row[ROW_IMAGES] not in (None, "[]") for row in rows):
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
        after = rows[-1][_SEQ]


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
    return row_to_item(row), QueueCursor(float(row[_PRIORITY]), int(row[_SEQ]))


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


def insert_item_rows(conn: sqlite3.Connection, rows: Sequence[ItemRow]) -> int:
    """Insert item rows inside the caller's transaction; returns how many were new (an id
    already stored is skipped)."""
    before = conn.total_changes
    conn.executemany(_INSERT, rows)
    inserted = conn.total_changes - before
    note_content(conn, rows)
    return inserted


def max_item_seq(conn: sqlite3.Connection) -> int:
    """The highest ``seq`` stored (0 when empty): items added later all have a higher one."""
    return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM items").fetchone()[0])


def any_chat_items(db: sqlite_utils.Database) -> bool:
    """Whether any item's prompt is a message list (stored as a JSON array)."""
    return _flag(db, "content.chat_prompts")


def any_images(db: sqlite_utils.Database) -> bool:
    return _flag(db, "content.images")


def _flag(db: sqlite_utils.Database, key: str) -> bool:
    """A content flag that inserting items keeps (``labeler.db.CONTENT_FLAGS``)."""
    return db.conn.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None


def item_ids_by_key(db: sqlite_utils.Database, key: str) -> dict[str, str]:
    """Map a metadata field's value (as text) to item ids.

    Used to attach judge verdicts computed elsewhere to the items they judge. ``key='id'``
    matches the data's own ``id`` field (kept as metadata) and also prefmark's item ids.
    """
    own = {r[0]: r[0] for r in db.conn.execute("SELECT id FROM items")} if key == "id" else {}
    rows = db.conn.execute(
        "SELECT CAST(json_extract(metadata, ?) AS TEXT), id FROM items "
        "WHERE json_extract(metadata, ?) IS NOT NULL",
        (f'$."{key}"', f'$."{key}"'),
    )
    return own | {str(value): item_id for value, item_id in rows}


@contextmanager
def first_load_journal(conn: sqlite3.Connection) -> Iterator[bool]:
    """Around the first import into an empty project: the rollback journal instead of WAL.

    In WAL mode a big import writes every page twice: into the WAL, then into the database
    when the commit checkpoints (for a million 2 KB items, 2.8 GB twice, about a third
    of the import's CPU time). A rollback journal keeps only the pages that existed before the
    transaction, which in an empty project are a handful, so each new page is written once.
    The import stays one transaction (a crash leaves the journal, and the next open rolls
    it back). Switching needs the project to be open nowhere else; when another connection
    has it, or it already holds items, nothing changes. While the load runs, other
    connections cannot open the project (they wait, then report it locked) where WAL would
    let them read the empty project. WAL comes back afterwards (and ``open_db`` restores
    it anyway). Yields whether the journal was switched.
    """
    empty = conn.execute("SELECT NOT EXISTS (SELECT 1 FROM items)").fetchone()[0]
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if not empty or mode != "wal" or conn.in_transaction:
        yield False
        return
    try:
        switched = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    except sqlite3.OperationalError:  # another connection holds the file
        switched = False
    try:
        yield switched
    finally:
        if switched:
            # Opened elsewhere meanwhile: then the next ``open_db`` switches back.
            with suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode=WAL")


def unprocessed_items(
    db: sqlite_utils.Database, table: str, key: str, version: str, after: int, limit: int
) -> list[tuple[int, Item]]:
    rows = db.conn.execute(
        f"""SELECT {ITEM_COLUMNS} FROM items i WHERE i.seq > ? AND NOT EXISTS (
            SELECT 1 FROM {table} s WHERE s.{key} = ? AND s.item_id = i.id)
        ORDER BY i.seq LIMIT ?""",
        (after, version, limit),
    ).fetchall()
    return [(int(r[0]), row_to_item(r)) for r in rows]
