"""Open a project file: one SQLite database in WAL mode, migrated to the current schema.

This module and ``labeler.store`` are the only code that speaks SQL. The schema lives only in
``MIGRATIONS``; a file from an older version is backed up beside itself before it is migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    prompt TEXT NOT NULL,
    responses TEXT NOT NULL,
    n_responses INTEGER NOT NULL,
    images TEXT,
    metadata TEXT,
    tags TEXT,
    source TEXT,
    status TEXT NOT NULL DEFAULT 'todo',
    flagged INTEGER NOT NULL DEFAULT 0,
    route TEXT NOT NULL DEFAULT 'human',
    priority REAL NOT NULL DEFAULT 0,
    routed_by TEXT,
    ai_source TEXT
);
CREATE INDEX IF NOT EXISTS items_queue ON items(status, route, priority, seq);
CREATE INDEX IF NOT EXISTS items_flagged ON items(flagged) WHERE flagged = 1;
CREATE TABLE IF NOT EXISTS labels (
    id INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items(id),
    kind TEXT,
    value TEXT,
    source TEXT NOT NULL,
    annotator TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT 'label',
    model_version TEXT,
    confidence REAL,
    shown_order TEXT,
    time_ms INTEGER,
    rationale TEXT,
    supersedes INTEGER REFERENCES labels(id),
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS labels_item ON labels(item_id, id);
CREATE INDEX IF NOT EXISTS labels_supersedes ON labels(supersedes) WHERE supersedes IS NOT NULL;
CREATE TABLE IF NOT EXISTS models (
    version TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT,
    created_at TEXT NOT NULL,
    info TEXT
);
CREATE TABLE IF NOT EXISTS scores (
    model_version TEXT NOT NULL,
    item_id TEXT NOT NULL,
    response_idx INTEGER NOT NULL,
    reward REAL NOT NULL,
    uncertainty REAL,
    members BLOB,
    PRIMARY KEY (model_version, item_id, response_idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS embeddings (
    encoder TEXT NOT NULL,
    item_id TEXT NOT NULL,
    response_idx INTEGER NOT NULL,
    vector BLOB NOT NULL,
    extra BLOB,
    PRIMARY KEY (encoder, item_id, response_idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS routing_runs (
    id INTEGER PRIMARY KEY,
    strategy TEXT NOT NULL,
    budget REAL NOT NULL,
    seed INTEGER,
    params TEXT,
    summary TEXT,
    created_at TEXT NOT NULL
);
"""

Migration = Callable[[sqlite3.Connection], None]


def _v1(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA_V1.split(";"):
        if statement.strip():
            conn.execute(statement)


CONTENT_FLAGS = {
    "content.chat_prompts": "substr(prompt, 1, 1) = '['",
    "content.images": "images IS NOT NULL AND images != '[]'",
}
"""Meta keys set (to '1') once any item has a chat prompt or images (``store.items`` sets
them as it inserts): an export picks its variant and columns without scanning every item."""


def _v2(conn: sqlite3.Connection) -> None:
    """Labels learn their item's ``seq``: indexed with the label id, an export (or any walk
    in import order) reads an item's labels from neighbouring index pages instead of seeking
    the hashed item id at random, which made a million-item export a third slower. And the
    content flags (``CONTENT_FLAGS``) of the items already stored."""
    conn.execute("ALTER TABLE labels ADD COLUMN item_seq INTEGER")
    conn.execute(
        "UPDATE labels SET item_seq = (SELECT seq FROM items WHERE items.id = labels.item_id)"
    )
    conn.execute("CREATE INDEX labels_item_seq ON labels(item_seq, id)")
    for key, test in CONTENT_FLAGS.items():
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) SELECT ?, '1' "
            f"WHERE EXISTS (SELECT 1 FROM items WHERE {test})",
            (key,),
        )


MIGRATIONS: list[Migration] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


class ProjectFileError(Exception):
    """The file is not a prefmark project (or is from a newer version)."""


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _backup(path: Path, version: int) -> Path:
    target = path.with_name(f"{path.name}.v{version}.bak")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()
    return target


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Bring the schema to ``SCHEMA_VERSION``; returns the version the file had."""
    found = _user_version(conn)
    if found > SCHEMA_VERSION:
        raise ProjectFileError(
            f"{path or 'database'}: schema version {found} is newer than this prefmark "
            f"({SCHEMA_VERSION}); upgrade prefmark to open it"
        )
    if found == SCHEMA_VERSION:
        return found
    if found > 0 and path is not None:
        _backup(path, found)
    for version in range(found, SCHEMA_VERSION):
        with transaction(conn):
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
    return found


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One explicit write transaction: committed as a whole or rolled back as a whole.

    Connections run in autocommit mode (``isolation_level=None``) so that nothing is ever
    committed implicitly; every multi-statement write goes through here.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def open_db(
    path: str | Path, *, create: bool = True, readonly: bool = False
) -> sqlite_utils.Database:
    """Open (or create) a project file with WAL, foreign keys and durable commits.

    ``synchronous=FULL`` makes every committed label survive a crash or power loss; bulk
    imports stay fast because they commit once per file.
    """
    import sqlite_utils  # here, not at the top: an export's helper process needs only sqlite3

    return sqlite_utils.Database(connect(path, create=create, readonly=readonly))


def connect(
    path: str | Path, *, create: bool = True, readonly: bool = False
) -> sqlite3.Connection:
    """``open_db``'s connection, without the ``sqlite_utils`` wrapper."""
    path = Path(path)
    if not create and not path.exists():
        raise ProjectFileError(f"{path}: no such project file")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise ProjectFileError(f"{path}: not a prefmark project (not an SQLite file)")
    if readonly:
        # as_uri escapes what a URI would read otherwise ('#', '?', '%' in a folder name)
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, isolation_level=None)
    try:
        if not readonly and _user_version(conn) == 0:
            # A 2 KB item fills a 4 KB page on its own; 16 KB pages make files about a third
            # smaller and bulk imports faster. Only possible before the first table exists.
            conn.execute("PRAGMA page_size=16384")
        if not readonly:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA cache_size=-65536")
        if not readonly:
            migrate(conn, path)
        elif _user_version(conn) != SCHEMA_VERSION:
            raise ProjectFileError(f"{path}: project needs migrating; open it read-write once")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ProjectFileError(f"{path}: cannot open project: {exc}") from exc
    return conn


def memory_db() -> sqlite_utils.Database:
    """A migrated in-memory project, for tests and dry runs."""
    import sqlite_utils

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return sqlite_utils.Database(conn)
