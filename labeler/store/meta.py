"""Project-level settings kept in the ``meta`` table: label schema, guidelines, name."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from labeler.db import transaction
from labeler.types import LabelSchema

if TYPE_CHECKING:
    import sqlite_utils


def get_meta(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return default if row is None else str(row[0])


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    with transaction(db.conn):
        db.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def get_schema(db: sqlite_utils.Database) -> LabelSchema:
    raw = get_meta(db, "label_schema")
    return LabelSchema() if raw is None else LabelSchema.from_json(json.loads(raw))


def set_schema(db: sqlite_utils.Database, schema: LabelSchema) -> None:
    set_meta(db, "label_schema", json.dumps(schema.to_json()))


def get_guidelines(db: sqlite_utils.Database) -> str:
    return get_meta(db, "guidelines", "") or ""


def set_guidelines(db: sqlite_utils.Database, markdown: str) -> None:
    set_meta(db, "guidelines", markdown)
