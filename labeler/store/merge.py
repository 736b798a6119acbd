"""Bring another project's label events into this one: the team's append-only logs, joined.

The other file is attached read-only (``mode=ro``) and checked whole before anything is
written: its stamp and schema version, its tables, every label row's fields, every distinct
label value (decoded as the app would) and every item this project lacks. Only then is
everything written, in one transaction. A file received by e-mail or on a USB stick can
therefore be refused, but never half-merged.

A label event's identity is its content: item, source, annotator, action, kind, value,
creation time and the event it supersedes (itself by identity, mapped to this project's
ids). An event already present is never added twice, so merging the same file again adds
nothing. Events are mapped level by level (an event is mapped once the event it supersedes
is), each level in three set-wise statements, so a million events merge in seconds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from labeler.db import APPLICATION_ID, CONTENT_FLAGS, SCHEMA_VERSION, transaction
from labeler.store.items import ITEM_COLUMNS, max_item_seq, row_to_item
from labeler.store.labels import LIVE_LABEL
from labeler.types import Action, LabelKind, LabelSchema, Source, value_from_json


class MergeRefusedError(ValueError):
    """The other file cannot be merged; the message is one line naming file, record, field."""


@dataclass(frozen=True, slots=True)
class MergeCounts:
    """What one merge added: items this project lacked, label events it lacked, and how many
    of the other file's events were present already."""

    new_items: int
    new_labels: int
    known_labels: int


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # enum values: fixed words, no quotes inside


# The label's item in its own file (``s``, joined by the label's ``item_seq``) names its
# number of responses; ``_PER_RESPONSE`` is how many entries a value has, one per response.
_N_RESPONSES = "s.n_responses"
_PER_RESPONSE = (
    "CASE o.kind WHEN 'ranking' THEN json_array_length(o.value, '$.ranks') "
    "WHEN 'rating' THEN json_array_length(o.value, '$.ratings') "
    "WHEN 'binary' THEN json_array_length(o.value, '$.thumbs') END"
)

# (field, SQL that is true when the row's field is wrong, what is wrong), first match wins.
_LABEL_CHECKS = [
    ("id", "typeof(o.id) != 'integer' OR o.id < 1 OR o.id > 1000000000000", "out of range"),
    ("item_id", "typeof(o.item_id) != 'text'", "not text"),
    ("item_id", "s.id IS NOT o.item_id", "names no item of its file"),
    ("source", f"o.source IS NULL OR o.source NOT IN ({_quoted(Source)})", "unknown source"),
    ("annotator", "typeof(o.annotator) != 'text' OR o.annotator = ''", "empty or not text"),
    ("action", f"o.action IS NULL OR o.action NOT IN ({_quoted(Action)})", "unknown action"),
    ("kind", f"o.kind IS NOT NULL AND o.kind NOT IN ({_quoted(LabelKind)})", "unknown kind"),
    ("value", "(o.value IS NULL) != (o.kind IS NULL)", "a value needs a kind, and a kind a value"),
    ("value", "(o.value IS NULL) != (o.action = 'retract')", "only a retraction has no value"),
    ("value", "o.value IS NOT NULL AND (typeof(o.value) != 'text' OR NOT json_valid(o.value))",
     "not JSON"),
    ("value", f"o.kind IN ('ranking', 'rating', 'binary') AND {_PER_RESPONSE} IS NOT "
     f"{_N_RESPONSES}", "not one entry per response"),
    ("kind", f"o.kind IN ('pairwise', 'aspects') AND {_N_RESPONSES} != 2",
     "a pairwise label on an item of more than two responses"),
    ("supersedes", "o.supersedes IS NULL AND o.action = 'retract'", "a retraction names no label"),
    ("supersedes", "o.supersedes IS NOT NULL AND (typeof(o.supersedes) != 'integer' "
     "OR o.supersedes >= o.id OR NOT EXISTS (SELECT 1 FROM src.labels p "
     "WHERE p.id = o.supersedes))", "names no earlier label"),
    ("created_at", "typeof(o.created_at) != 'text' OR julianday(o.created_at) IS NULL",
     "not a time"),
    ("model_version", "o.model_version IS NOT NULL AND typeof(o.model_version) != 'text'",
     "not text"),
    ("confidence", "o.confidence IS NOT NULL AND typeof(o.confidence) NOT IN "
     "('real', 'integer')", "not a number"),
    ("shown_order", "o.shown_order IS NOT NULL AND (typeof(o.shown_order) != 'text' OR NOT "
     "json_valid(o.shown_order) OR json_type(o.shown_order) != 'array' "
     f"OR json_array_length(o.shown_order) != {_N_RESPONSES})", "not a list of every response"),
    ("time_ms", "o.time_ms IS NOT NULL AND typeof(o.time_ms) != 'integer'", "not an integer"),
    ("rationale", "o.rationale IS NOT NULL AND typeof(o.rationale) != 'text'", "not text"),
]  # fmt: skip
_CASE = " ".join(f"WHEN {bad} THEN {i}" for i, (_f, bad, _w) in enumerate(_LABEL_CHECKS))
_FIRST_BAD_LABEL = f"""
SELECT id, check_no FROM (SELECT o.id AS id, CASE {_CASE} ELSE -1 END AS check_no
FROM src.labels o LEFT JOIN src.items s ON s.seq = o.item_seq)
WHERE check_no >= 0 ORDER BY id LIMIT 1"""

_LABEL_COLUMNS = {
    "id", "item_id", "kind", "value", "source", "annotator", "action", "model_version",
    "confidence", "shown_order", "time_ms", "rationale", "supersedes", "created_at", "item_seq",
}  # fmt: skip
_ITEM_COLUMNS = {
    "seq", "id", "prompt", "responses", "n_responses", "images", "metadata", "tags", "source",
}  # fmt: skip
_COPIED = "id, prompt, responses, n_responses, images, metadata, tags, source"
# Each of the other file's items (by its seq) and the same item's seq here (NULL: new).
# ``had``: the item had label events here before this merge.
_ITEM_MAP = """
INSERT INTO temp.merge_items (sseq, tseq)
SELECT o.seq, t.seq FROM src.items o LEFT JOIN main.items t ON t.id = o.id ORDER BY o.seq"""
_NEW_ITEMS = "FROM temp.merge_items m JOIN src.items o ON o.seq = m.sseq WHERE m.tseq IS NULL"


@contextmanager
def attached(conn: sqlite3.Connection, path: Path) -> Iterator[None]:
    """``path`` attached read-only as ``src`` for the block (outside any transaction)."""
    conn.execute("ATTACH DATABASE ? AS src", (f"{path.resolve().as_uri()}?mode=ro",))
    try:
        yield
    finally:
        for table in ("merge_items", "merge_map"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        conn.execute("DETACH DATABASE src")


def check_source(conn: sqlite3.Connection, path: Path, schema: LabelSchema) -> None:
    """Refuse (``MergeRefusedError``) an attached ``src`` that is not a project of this
    schema version and label schema, or holds a malformed row; reads only."""
    app_id = conn.execute("PRAGMA src.application_id").fetchone()[0]
    version = conn.execute("PRAGMA src.user_version").fetchone()[0]
    if app_id != APPLICATION_ID:
        raise MergeRefusedError(f"{path}: not a prefmark project")
    if version != SCHEMA_VERSION:
        newer = "newer" if version > SCHEMA_VERSION else "older"
        raise MergeRefusedError(
            f"{path}: schema version {version} is {newer} than this project's "
            f"({SCHEMA_VERSION}); open both with the same prefmark first"
        )
    for table, needed in (("labels", _LABEL_COLUMNS), ("items", _ITEM_COLUMNS)):
        kind = conn.execute(
            "SELECT type FROM src.sqlite_master WHERE name = ?", (table,)
        ).fetchone()
        columns = {r[1] for r in conn.execute(f"PRAGMA src.table_info({table})")}
        if kind is None or kind[0] != "table" or not needed <= columns:
            raise MergeRefusedError(f"{path}: table {table}: not a prefmark {table} table")
    raw = conn.execute("SELECT value FROM src.meta WHERE key = 'label_schema'").fetchone()
    try:
        theirs = LabelSchema() if raw is None else LabelSchema.from_json(json.loads(raw[0]))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise MergeRefusedError(f"{path}: meta label_schema: unreadable ({exc})") from None
    if theirs.mode != schema.mode:
        raise MergeRefusedError(
            f"{path}: labelled as {theirs.mode.value}, this project as {schema.mode.value}"
        )
    conn.execute("DROP TABLE IF EXISTS temp.merge_items")
    conn.execute(
        "CREATE TEMP TABLE merge_items (sseq INTEGER PRIMARY KEY, tseq INTEGER, had INTEGER)"
    )
    conn.execute(_ITEM_MAP)
    bad = conn.execute(_FIRST_BAD_LABEL).fetchone()
    if bad is not None:
        field, _sql, what = _LABEL_CHECKS[bad[1]]
        raise MergeRefusedError(f"{path}: label {bad[0]}: field {field}: {what}")
    _check_values(conn, path)
    _check_items(conn, path)


def _check_values(conn: sqlite3.Connection, path: Path) -> None:
    """Every distinct label value decodes as its kind (values repeat, so this is cheap)."""
    sql = "SELECT kind, value, min(id) FROM src.labels WHERE value IS NOT NULL GROUP BY 1, 2"
    for kind, value, label_id in conn.execute(sql):
        try:
            value_from_json(kind, json.loads(value))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise MergeRefusedError(f"{path}: label {label_id}: field value: {exc}") from None


def _check_items(conn: sqlite3.Connection, path: Path) -> None:
    """Every item this project lacks reads as an item, with its id and response count."""
    cols = ", ".join(f"o.{c.strip()}" for c in ITEM_COLUMNS.split(","))
    for row in conn.execute(f"SELECT {cols}, o.n_responses, o.source {_NEW_ITEMS}"):
        seq, item_id = row[0], row[1]
        try:
            if type(item_id) is not str or not item_id:
                raise ValueError("id: empty or not text")
            item = row_to_item(row)
            if len(item.responses) < 2 or row[-2] != len(item.responses):
                raise ValueError("responses: fewer than two, or miscounted")
            if row[-1] is not None and type(row[-1]) is not str:
                raise ValueError("source: not text")
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise MergeRefusedError(f"{path}: item {seq}: {exc}") from None


_MAPPED_SUP = "(SELECT p.tid FROM temp.merge_map p WHERE p.oid = m.osup)"
_READY = f"m.step IS NULL AND (m.osup IS NULL OR {_MAPPED_SUP} IS NOT NULL)"
# Only an event on an item that had events here, replacing none or one that was here, can be
# here already: an event that replaces one this merge added cannot (it was not yet here to
# be replaced). So a first merge matches next to nothing, and a repeated one everything.
_MAY_BE_HERE = """CASE WHEN m.osup IS NULL
    THEN (SELECT i.had FROM temp.merge_items i WHERE i.sseq = m.sseq) IS 1
    ELSE (SELECT p.new FROM temp.merge_map p WHERE p.oid = m.osup) IS NOT 1 END"""
_MATCH = f"""
UPDATE temp.merge_map AS m SET tid = (
    SELECT t.id FROM src.labels o JOIN temp.merge_items i ON i.sseq = o.item_seq
    JOIN main.labels t ON t.item_seq = i.tseq
    WHERE o.id = m.oid AND t.created_at = o.created_at AND t.source = o.source
      AND t.annotator = o.annotator AND t.action = o.action AND t.kind IS o.kind
      AND t.value IS o.value AND t.supersedes IS {_MAPPED_SUP}
    ORDER BY t.id LIMIT 1)
WHERE m.step = ? AND {_MAY_BE_HERE}"""
_INSERT = f"""
INSERT INTO main.labels (id, item_id, kind, value, source, annotator, action, model_version,
    confidence, shown_order, time_ms, rationale, supersedes, created_at, item_seq)
SELECT ?1 + m.oid, o.item_id, o.kind, o.value, o.source, o.annotator, o.action,
    o.model_version, o.confidence, o.shown_order, o.time_ms, o.rationale, {_MAPPED_SUP},
    o.created_at, i.tseq
FROM temp.merge_map m JOIN src.labels o ON o.id = m.oid
JOIN temp.merge_items i ON i.sseq = o.item_seq
WHERE m.step = ?2 AND m.tid IS NULL ORDER BY m.oid"""
# A new event's id is the highest id before its step plus its id in the other file: above
# every id here and unique, so the mapping needs no lookup (ids may leave gaps; only their
# order means anything).
_NUMBER_NEW = "UPDATE temp.merge_map SET tid = ?1 + oid, new = 1 WHERE step = ?2 AND tid IS NULL"
# Items that got a person's new event are done; an item that got a retraction is looked at
# again (it may have lost its last live label, or the new event may be retracted). By ``seq``
# (the rowid), not by the hashed id: three times faster for a million items.
_NEW_EVENTS = """SELECT i.tseq FROM temp.merge_map m JOIN src.labels o ON o.id = m.oid
    JOIN temp.merge_items i ON i.sseq = m.sseq WHERE m.new = 1"""
_DONE = f"""UPDATE main.items SET status = 'done' WHERE status != 'done' AND seq IN
    ({_NEW_EVENTS} AND o.source != 'model' AND o.action != 'retract')"""
_RECHECK = f"""
UPDATE main.items SET status = CASE
    WHEN EXISTS (SELECT 1 FROM main.labels l WHERE l.item_seq = items.seq
                 AND l.source != 'model' AND {LIVE_LABEL}) THEN 'done'
    WHEN status = 'done' THEN 'todo' ELSE status END
WHERE seq IN ({_NEW_EVENTS} AND o.action = 'retract')"""


_BROKEN = """
SELECT 1 FROM temp.merge_map m JOIN main.labels l ON l.id = m.tid
LEFT JOIN main.items i ON i.seq = l.item_seq
WHERE m.new = 1 AND (i.id IS NOT l.item_id OR (l.supersedes IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM main.labels p WHERE p.id = l.supersedes)))
LIMIT 1"""


def _max_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(max(id), 0) FROM main.labels").fetchone()[0])


def merge_source(conn: sqlite3.Connection, path: Path, schema: LabelSchema) -> MergeCounts:
    """Check the attached ``src`` (``check_source``) and add the items and label events this
    project lacks, in one transaction: the check and the merge read the same snapshot of
    the other file, whatever another program does to it meanwhile."""
    conn.execute("DROP TABLE IF EXISTS temp.merge_map")
    conn.execute(
        "CREATE TEMP TABLE merge_map (oid INTEGER PRIMARY KEY, osup INTEGER, sseq INTEGER, "
        "tid INTEGER, step INTEGER, new INTEGER)"
    )
    # Every new event names an item mapped by seq and an event mapped by id, so the foreign
    # keys hold by construction; ``_BROKEN`` proves it for the new rows by the integer keys,
    # where SQLite's own check would look each item up by its hashed id (half the time).
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        with transaction(conn):
            check_source(conn, path, schema)
            before = conn.total_changes
            first_new = max_item_seq(conn)
            copied = ", ".join(f"o.{c.strip()}" for c in _COPIED.split(","))
            conn.execute(
                f"INSERT OR IGNORE INTO main.items ({_COPIED}) SELECT {copied} {_NEW_ITEMS} "
                "ORDER BY o.seq"
            )
            new_items = conn.total_changes - before
            conn.execute(
                "UPDATE temp.merge_items SET tseq = (SELECT t.seq FROM main.items t WHERE t.id = "
                "(SELECT o.id FROM src.items o WHERE o.seq = sseq)) WHERE tseq IS NULL"
            )
            for key, test in CONTENT_FLAGS.items():
                conn.execute(
                    "INSERT OR IGNORE INTO main.meta (key, value) SELECT ?, '1' WHERE EXISTS "
                    f"(SELECT 1 FROM main.items WHERE seq > ? AND {test})",
                    (key, first_new),
                )
            conn.execute(
                "UPDATE temp.merge_items SET had = 1 "
                "WHERE tseq IN (SELECT item_seq FROM main.labels)"
            )
            conn.execute("INSERT INTO temp.merge_map (oid, osup, sseq) SELECT id, supersedes, "
                         "item_seq FROM src.labels")  # fmt: skip
            step, new_labels = 0, 0
            while True:
                step += 1
                if not conn.execute(f"UPDATE temp.merge_map AS m SET step = ? WHERE {_READY}",
                                    (step,)).rowcount:  # fmt: skip
                    break
                conn.execute(_MATCH, (step,))
                base = _max_id(conn)
                new_labels += conn.execute(_INSERT, (base, step)).rowcount
                conn.execute(_NUMBER_NEW, (base, step))
            if conn.execute(_BROKEN).fetchone() is not None:
                raise RuntimeError("a merged label names no item or label of this project")
            conn.execute(_DONE)
            conn.execute(_RECHECK)
            total = int(conn.execute("SELECT count(*) FROM temp.merge_map").fetchone()[0])
    finally:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("DROP TABLE IF EXISTS temp.merge_map")
    return MergeCounts(new_items, new_labels, total - new_labels)
