"""Rolling backups, restore and ``prefmark check`` on real project files.

Project files are only ever touched through SQLite here too, except the one copy that is
deliberately damaged, which no connection has open at that moment.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler import backups
from labeler.backups import (
    BEFORE_RESTORE,
    BackupError,
    backup_dir,
    backup_due,
    backup_if_due,
    backup_project,
    check_file,
    list_backups,
    restore_backup,
)
from labeler.cli import main
from labeler.db import connect, open_db, transaction
from labeler.store import add_items, record_label
from labeler.types import Item, Label, PairChoice, PairwiseValue, Response, Source


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFMARK_DATA_DIR", str(tmp_path / "data"))


def make_project(path: Path, n_items: int = 40, n_labels: int = 10) -> Path:
    db = open_db(path)
    items = [
        Item(f"Question {i}?", (Response(f"A{i}"), Response(f"B{i}"))) for i in range(n_items)
    ]
    add_items(db, items)
    for item in items[:n_labels]:
        record_label(db, Label(item.id, PairwiseValue(PairChoice.A), Source.HUMAN, "ana"))
    db.conn.close()
    return path


def label_count(path: Path) -> int:
    conn = connect(path, create=False)
    try:
        return int(conn.execute("SELECT count(*) FROM labels").fetchone()[0])
    finally:
        conn.close()


def delete_labels(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM labels")


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2024, 3, 1, tzinfo=UTC) + timedelta(days=day, hours=hour, minutes=minute)


# ---- backups ---------------------------------------------------------------------------------
def test_backup_is_a_checked_snapshot_without_a_writers_uncommitted_changes(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "p.db")
    writer = connect(project)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM labels")  # held open, never committed before the backup
    try:
        path = backup_project(project)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert path.parent == backup_dir(project)
    assert check_file(path).ok
    assert (check_file(path).items, check_file(path).labels) == (40, 10)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp, no -wal


def test_backups_taken_while_labels_are_committed_are_each_consistent(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db", n_labels=0)
    item_ids = [r[0] for r in connect(project).execute("SELECT id FROM items").fetchall()]
    stop = threading.Event()

    def write_labels() -> None:
        db = open_db(project)
        for item_id in item_ids * 20:
            if stop.is_set():
                break
            record_label(db, Label(item_id, PairwiseValue(PairChoice.B), Source.HUMAN, "bo"))
        db.conn.close()

    writer = threading.Thread(target=write_labels)
    writer.start()
    try:
        paths = [backup_project(project, now=at(0, minute=i), keep_recent=10) for i in range(5)]
    finally:
        stop.set()
        writer.join()
    counts = [check_file(p).labels for p in paths]
    assert all(check_file(p).ok for p in paths)
    assert counts == sorted(counts)  # each a committed state, in order
    assert counts[-1] is not None
    assert counts[-1] <= label_count(project)


def test_backup_from_an_open_connection(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db")
    db = open_db(project)
    try:
        path = backup_project(db.conn)
    finally:
        db.conn.close()
    assert path.parent == backup_dir(project)
    assert check_file(path).labels == 10


def test_pruning_keeps_the_newest_of_the_last_days_and_the_most_recent(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db", n_items=3, n_labels=1)
    folder = backup_dir(project)
    taken = [at(day, hour) for day in range(10) for hour in (8, 18)] + [
        at(9, 19),
        at(9, 20),
    ]
    for when in taken:
        backup_project(project, now=when, keep_days=7, keep_recent=3)
    folder.joinpath("notes.txt").write_text("mine")
    stray = folder / "p-20240301T120000.000Z.db.old"
    stray.write_text("not a backup name")
    other = folder / "q-20240301T120000.000Z.db"
    other.write_text("another stem")
    backup_project(project, now=at(9, 21), keep_days=7, keep_recent=3)

    kept = {b.taken_at for b in list_backups(project)}
    newest_three = {at(9, 21), at(9, 20), at(9, 19)}
    daily = {at(day, 18) for day in range(3, 9)} | {at(9, 21)}  # 7 days, newest of each
    assert kept == newest_three | daily
    assert all(p.exists() for p in (folder / "notes.txt", stray, other))


def test_one_backup_a_day_on_open(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db")
    assert backup_due(project, now=at(0, 9))
    assert backup_if_due(project, now=at(0, 9)) is not None
    assert not backup_due(project, now=at(0, 23))
    assert backup_if_due(project, now=at(0, 23)) is None
    assert backup_if_due(project, now=at(1, 1)) is not None
    assert len(list_backups(project)) == 2


def test_list_backups_reads_time_and_counts(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db")
    backup_project(project, now=at(0))
    db = open_db(project)
    delete_labels(db.conn)
    db.conn.close()
    backup_project(project, now=at(1))
    listed = list_backups(project)
    assert [(b.taken_at, b.items, b.labels) for b in listed] == [(at(1), 40, 0), (at(0), 40, 10)]
    assert "40 items, 10 labels" in listed[1].describe()


# ---- restore ---------------------------------------------------------------------------------
def test_restore_brings_back_deleted_labels_and_keeps_the_state_before(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db")
    good = backup_project(project, now=at(0))
    app = open_db(project)  # the project stays open elsewhere, as in the app
    delete_labels(app.conn)

    result = restore_backup(good, project)

    assert (result.items, result.labels) == (40, 10)
    assert app.conn.execute("SELECT count(*) FROM labels").fetchone()[0] == 10
    app.conn.close()
    before = [b for b in list_backups(project) if b.reason == BEFORE_RESTORE]
    assert [b.path for b in before] == [result.saved]
    assert before[0].labels == 0
    restore_backup(result.saved, project)  # and the restore can be undone
    assert label_count(project) == 0
    assert check_file(project).ok


def test_restore_of_a_backup_the_policy_is_about_to_drop(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db")
    now = datetime.now(UTC)
    oldest = backup_project(project, now=now - timedelta(seconds=30))
    db = open_db(project)
    delete_labels(db.conn)
    db.conn.close()
    for seconds in (20, 10):
        backup_project(project, now=now - timedelta(seconds=seconds))
    # the state saved before the restore makes it the fourth newest of the day
    assert restore_backup(oldest, project).labels == 10
    assert label_count(project) == 10


def test_restore_refuses_while_another_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "p.db")
    good = backup_project(project, now=at(0))
    monkeypatch.setattr(backups, "BUSY_TIMEOUT_S", 0.3)
    script = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); c.execute('DELETE FROM labels')\n"
        "print('writing', flush=True); sys.stdin.readline(); c.execute('COMMIT')\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script, str(project)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "writing\n"
        with pytest.raises(BackupError, match="in use by another program that is writing"):
            restore_backup(good, project)
    finally:
        writer.communicate("\n", timeout=30)
    assert label_count(project) == 0  # the other program's commit went through untouched


def test_restore_refuses_a_damaged_backup(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db")
    fake = backup_dir(project) / "p-20240301T120000.000Z.db"
    fake.parent.mkdir(parents=True)
    fake.write_text("not a database")
    with pytest.raises(BackupError, match="cannot restore"):
        restore_backup(fake, project)
    assert label_count(project) == 10


# ---- prefmark check --------------------------------------------------------------------------
def damaged_copy_with_backup(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of a project (made through SQLite), backed up, then damaged while closed."""
    source = make_project(tmp_path / "source.db", n_items=300, n_labels=50)
    copy = tmp_path / "copy.db"
    src, dst = sqlite3.connect(source), sqlite3.connect(copy)
    src.backup(dst)
    dst.close()
    src.close()
    good = backup_project(copy, now=at(0))
    size = copy.stat().st_size
    with copy.open("r+b") as fh:  # no connection has the copy open now
        fh.seek(size // 2)
        fh.write(b"\xa5" * 3 * 16384)
    return copy, good


def test_check_says_ok_for_a_healthy_project(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p.db")
    result = CliRunner().invoke(main, ["check", str(project)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{project}: ok (40 items, 10 labels)"


def test_check_on_a_damaged_project_lists_good_backups_and_how_to_restore(
    tmp_path: Path,
) -> None:
    copy, good = damaged_copy_with_backup(tmp_path)
    result = CliRunner().invoke(main, ["check", str(copy)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert f"{copy}: damaged" in result.output
    assert str(good) in result.output
    assert "300 items, 50 labels" in result.output
    assert "Restore from backup…" in result.output
    assert f"prefmark check {copy} --restore BACKUP" in result.output
    assert f'sqlite3 {copy} ".recover"' in result.output

    restored = CliRunner().invoke(main, ["check", str(copy), "--restore", good.name])
    assert restored.exit_code == 0, restored.output
    assert "300 items, 50 labels" in restored.output
    again = CliRunner().invoke(main, ["check", str(copy)])
    assert again.exit_code == 0, again.output
    damaged = [b for b in list_backups(copy) if b.reason == BEFORE_RESTORE]
    assert len(damaged) == 1
    assert not check_file(damaged[0].path).ok


def test_check_on_a_text_file_says_it_is_not_a_project(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("just some notes\n" * 100)
    result = CliRunner().invoke(main, ["check", str(text)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"Error: {text}: not a prefmark project (not an SQLite file)"
    ]


def test_check_on_an_sqlite_file_that_is_not_a_project(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    result = CliRunner().invoke(main, ["check", str(other)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "not a prefmark project" in result.output
