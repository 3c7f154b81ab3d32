"""Opening the database: concurrent migrations, start-up failures that exit instead of hanging."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.feature import migration_folders
from bot.features import FEATURES
from bot.store.sqlite.database import connect, migrate, migrations

ROOT = Path(__file__).resolve().parents[1]


def migrate_after(path: str, barrier: Any, results: Any) -> None:
    """Wait for the other processes, then migrate `path`; put the version reached, or the error."""
    barrier.wait()
    try:
        conn = connect(path)
        try:
            results.put(migrate(conn, migration_folders(FEATURES)))
        finally:
            conn.close()
    except sqlite3.Error as error:
        results.put(repr(error))


def test_concurrent_migrations_of_a_fresh_database(tmp_path: Path) -> None:
    """Six processes migrating one new file at the same instant all succeed, twice over."""
    latest = migrations(migration_folders(FEATURES))[-1][0]
    context = multiprocessing.get_context("spawn")
    for attempt in range(2):
        barrier, results = context.Barrier(6), context.Queue()
        workers = [context.Process(target=migrate_after, args=(str(tmp_path / f"{attempt}.db"), barrier, results))
                   for _ in range(6)]  # fmt: skip
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert outcomes == [latest] * 6


def start(db: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    """`phosphore run` in the console with standard input kept open, as under a supervisor."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    with subprocess.Popen([*prefix, sys.executable, "-m", "bot", "--db", str(db), "run"], cwd=ROOT, env=env,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:  # fmt: skip
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"still running after 30 s: {process.communicate()[1]}") from None
        return subprocess.CompletedProcess(process.args, process.returncode, "", err)


def migrated(path: Path) -> Path:
    """A database file at the latest schema."""
    conn = connect(path)
    migrate(conn, migration_folders(FEATURES))
    conn.close()
    return path


def test_a_read_only_database_exits_with_the_error(tmp_path: Path) -> None:
    """A database file the process may not write: the error is printed and the process exits 1."""
    db = migrated(tmp_path / "ro.db")
    db.chmod(0o444)
    # root writes through file modes: drop that capability for the child.
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"] if os.geteuid() == 0 else []
    if prefix and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot make the file read-only")
    result = start(db, *prefix)
    assert result.returncode == 1 and "readonly database" in result.stderr, result.stderr


def test_a_locked_database_exits_with_the_error(tmp_path: Path) -> None:
    """Another connection holding the write lock through start-up: the process exits 1, it does not hang."""
    db = migrated(tmp_path / "locked.db")
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        result = start(db)
    finally:
        other.close()
    assert result.returncode == 1 and "database is locked" in result.stderr, result.stderr
