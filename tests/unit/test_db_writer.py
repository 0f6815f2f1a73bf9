"""`Database.in_writer`'s transactions on a sync connection: a failure leaves nothing open."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import _run_on


def test_a_commit_refused_as_busy_leaves_no_transaction_for_the_next_batch(
    tmp_path: Path,
) -> None:
    # Not WAL (a file system without shared memory, say): there a reader makes COMMIT busy.
    path = tmp_path / "rollback-journal.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE receipt (n INTEGER)")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM receipt").fetchall()  # a shared lock, held

    def write(n: int) -> Callable[[sa.Connection], None]:
        def work(conn: sa.Connection) -> None:
            conn.exec_driver_sql("INSERT INTO receipt VALUES (?)", (n,))
            conn.commit()

        return work

    conn = engine.connect()
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    conn.commit()
    with pytest.raises(sa.exc.OperationalError, match="locked"):
        _run_on(conn, write(1))
    reader.execute("COMMIT")
    reader.close()

    # The next batch runs on a fresh connection (the old one was let go), and commits only its own.
    if conn.invalidated:
        conn.close()
        conn = engine.connect()
    _run_on(conn, write(2))
    conn.close()
    with engine.connect() as check:
        assert [n for (n,) in check.exec_driver_sql("SELECT n FROM receipt")] == [2]
    engine.dispose()
