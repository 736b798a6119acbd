"""Open a project file: one SQLite database in WAL mode, migrated to the current schema.

This module and ``labeler.store`` are the only code that speaks SQL. The schema lives only in
``MIGRATIONS``; a file from an older version is backed up beside itself before it is migrated.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from labeler.db_errors import Problem, classify, describe_error

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000
BusyListener = Callable[[float], bool]
_busy_listener: BusyListener | None = None


def on_busy(listener: BusyListener | None) -> None:
    """Let a front end decide what happens when another program holds the write lock.

    After each ``BUSY_TIMEOUT_MS`` wait the listener gets the seconds waited so far; it can
    tell the person (once) and return True to wait again, or False to give up. With none set,
    a write gives up after one wait.
    """
    global _busy_listener  # one process-wide policy, set by the front end
    _busy_listener = listener


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


def _v3(conn: sqlite3.Connection) -> None:
    """Stamp the file as a prefmark project (``PRAGMA application_id``), so that no other
    SQLite file is ever taken for one. Files made by this version get the stamp at creation."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    # Trained heads live inside the project (keyed by head version), so a copied file scores
    # alike on any machine; older projects named a file in the user's data folder instead.
    conn.execute("CREATE TABLE IF NOT EXISTS heads (version TEXT PRIMARY KEY, data BLOB NOT NULL)")


MIGRATIONS: list[Migration] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)
READABLE_FROM = 2
"""The oldest schema that read-only commands can read as it is (later versions only add what
they do not read); an older file must be opened for writing once, which upgrades it."""

APPLICATION_ID = 0x70666D6B  # "pfmk"
_PROJECT_TABLES = {"meta", "items", "labels"}


class ProjectFileError(Exception):
    """The file is not a prefmark project (or is from a newer version)."""


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


SIDE_FILES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database, named after it."""


def claim_new_file(path: Path) -> bool:
    """Create ``path`` only if nothing is there (``O_EXCL``): True when this call made it.

    A file made this way is provably ours, so it may be removed again; nothing else is.
    """
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    return True


def _newer_schema(path: Path | str, version: int) -> ProjectFileError:
    return ProjectFileError(
        f"{path}: schema version {version} is newer than this prefmark ({SCHEMA_VERSION}); "
        "upgrade prefmark to open it"
    )


def _backup(path: Path, version: int) -> Path:
    """Copy the project (through SQLite) to a backup file that did not exist before.

    ``project.db.v1.bak`` or, if a user kept one of those already, ``project.db.v1.2.bak``...:
    an earlier backup is never overwritten.
    """
    for n in range(1, 1000):
        suffix = f".v{version}.bak" if n == 1 else f".v{version}.{n}.bak"
        target = path.with_name(path.name + suffix)
        if claim_new_file(target):
            break
    else:
        raise ProjectFileError(f"{path}: too many old backups beside it; move some away")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()
    return target


def _check_project(conn: sqlite3.Connection, path: Path | str, *, allow_new: bool) -> int:
    """Refuse files that are not prefmark projects; returns the file's schema version.

    A project carries prefmark's ``application_id`` (or, from before the stamp existed, its
    schema version and tables). An empty database is a new project only when ``allow_new``.
    """
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = _user_version(conn)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "encrypted" in str(exc):
            raise ProjectFileError(f"{path}: not a prefmark project (not an SQLite file)") from exc
        raise
    if app_id == APPLICATION_ID:
        return version
    if app_id != 0:
        raise ProjectFileError(f"{path}: not a prefmark project (another program's database)")
    if not tables and version == 0:
        if allow_new:
            return 0
        raise ProjectFileError(f"{path}: not a prefmark project (an empty file)")
    if version == 0 or not tables >= _PROJECT_TABLES:
        raise ProjectFileError(f"{path}: not a prefmark project (another program's database)")
    return version


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Bring the schema to ``SCHEMA_VERSION``; returns the version the file had.

    The version is read inside the write transaction that migrates, so two programs opening a
    new or old project at the same moment cannot both migrate it.
    """
    with transaction(conn):
        found = _user_version(conn)
        if found > SCHEMA_VERSION:
            raise _newer_schema(path or "database", found)
        if found < SCHEMA_VERSION and found > 0 and path is not None:
            _backup(path, found)  # reads the committed state, which this lock keeps as it is
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
        if found < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return found


def begin(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for another writer as long as the busy listener allows."""
    started = time.monotonic()
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if classify(exc) is not Problem.BUSY or _busy_listener is None:
                raise
            if not _busy_listener(time.monotonic() - started):
                raise


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One explicit write transaction: committed as a whole or rolled back as a whole.

    Connections run in autocommit mode (``isolation_level=None``) so that nothing is ever
    committed implicitly; every multi-statement write goes through here.
    """
    begin(conn)
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
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
    """``open_db``'s connection, without the ``sqlite_utils`` wrapper.

    Nothing here opens the file outside SQLite: closing any other descriptor of it would drop
    every SQLite lock this process holds on it (POSIX), and another program could then delete
    the WAL under a live connection. The file's kind is asked of SQLite itself.
    """
    path = Path(path)
    if not path.exists():
        if not create or readonly:
            raise ProjectFileError(f"{path}: no such project file")
    elif not path.is_file():
        raise ProjectFileError(f"{path}: not a prefmark project (not a regular file)")
    if readonly:
        # as_uri escapes what a URI would read otherwise ('#', '?', '%' in a folder name)
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    else:
        # A workflow may hand its connection to a helper thread while it waits for it.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        version = _check_project(conn, path, allow_new=create and not readonly)
        if readonly:
            if version < READABLE_FROM:
                raise ProjectFileError(
                    f"{path}: made by an older prefmark; open it once to upgrade it "
                    "(a copy of the old file is kept beside it)"
                )
            if version > SCHEMA_VERSION:
                raise _newer_schema(path, version)
        else:
            if version == 0:
                # A 2 KB item fills a 4 KB page on its own; 16 KB pages make files about a
                # third smaller and bulk imports faster. Only possible before the first table.
                conn.execute("PRAGMA page_size=16384")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-65536")
        if not readonly:
            migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise ProjectFileError(describe_error(exc, path)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def memory_db() -> sqlite_utils.Database:
    """A migrated in-memory project, for tests and dry runs."""
    import sqlite_utils

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return sqlite_utils.Database(conn)
