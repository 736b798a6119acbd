"""Project-level settings kept in the ``meta`` table: label schema, guidelines, name, and the
conflict policy that ``labeler.resolution`` applies for every consumer of labels."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from labeler.db import transaction
from labeler.resolution import DEFAULT_POLICY, ConflictPolicy
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


CONFLICT_POLICY_KEY = "conflict_policy"


class UnknownPolicyError(ValueError):
    """The project names a conflict policy this version does not know (a newer prefmark's)."""


def get_conflict_policy(db: sqlite_utils.Database) -> ConflictPolicy:
    """How the project settles disagreeing people's labels (``majority`` until set)."""
    raw = get_meta(db, CONFLICT_POLICY_KEY)
    if raw is None:
        return DEFAULT_POLICY
    try:
        return ConflictPolicy(raw)
    except ValueError:
        # Guessing would make this program count other labels than the one that set it.
        raise UnknownPolicyError(
            f"this project settles conflicting labels by {raw!r}, which this version of "
            f"prefmark does not know (it knows {', '.join(p.value for p in ConflictPolicy)})"
        ) from None


def set_conflict_policy(db: sqlite_utils.Database, policy: ConflictPolicy) -> None:
    set_meta(db, CONFLICT_POLICY_KEY, ConflictPolicy(policy).value)
