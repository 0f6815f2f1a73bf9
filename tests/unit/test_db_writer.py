"""`Database.in_writer`'s transactions on a sync connection: a failure leaves nothing open, and
a batch runs again only where it cannot have been written."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.db import CommitUnknown, Database, _run_on, sync_url
from tests.conftest import PG_URL


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


postgres_only = pytest.mark.skipif(not PG_URL, reason="a server that drops connections")


@pytest.fixture
async def probe(db: Database, database_url: str) -> AsyncIterator[sa.Engine]:
    """A table of the test's own, and a second connection's engine to act as the server's admin."""
    admin = sa.create_engine(sync_url(database_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS writer_probe")
        conn.exec_driver_sql("CREATE TABLE writer_probe (n INTEGER)")
    yield admin
    await db.close()
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP TABLE writer_probe")
    admin.dispose()


_THE_BOTS = (
    " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND (CAST(:pid AS integer) IS NULL OR pid = :pid)"
)
_TERMINATE = sa.text("SELECT pg_terminate_backend(pid)" + _THE_BOTS)
_COUNT = sa.text("SELECT count(*)" + _THE_BOTS)


def terminate(admin: sa.Engine, pid: int | None = None) -> None:
    """Drop the bot's connection (`pid`, or every other one) and wait until it is gone."""
    with admin.connect() as conn:
        conn.execute(_TERMINATE, {"pid": pid})
        deadline = time.monotonic() + 5
        while conn.execute(_COUNT, {"pid": pid}).scalar():
            assert time.monotonic() < deadline, "the backend did not go"
            time.sleep(0.01)


def probed(admin: sa.Engine) -> list[int]:
    with admin.connect() as conn:
        return [n for (n,) in conn.exec_driver_sql("SELECT n FROM writer_probe ORDER BY n")]


@postgres_only
async def test_a_batch_that_finds_its_connection_dropped_is_written_once_on_a_new_one(
    db: Database, probe: sa.Engine
) -> None:
    runs: list[int] = []

    def work(n: int) -> Callable[[sa.Connection], None]:
        def insert(conn: sa.Connection) -> None:
            runs.append(n)
            conn.exec_driver_sql("INSERT INTO writer_probe VALUES (%(n)s)", {"n": n})

        return insert

    await db.in_writer(work(1))  # the kept connection is open now
    terminate(probe)  # a restart, as the bot sees one
    await db.in_writer(work(2))
    assert runs == [1, 2, 2]  # the first try found the connection gone, before anything ran
    assert probed(probe) == [1, 2]


@postgres_only
async def test_a_batch_whose_commit_was_lost_on_the_way_is_not_written_again(
    db: Database, probe: sa.Engine
) -> None:
    """A COMMIT sent into a dropped connection may have been applied, for all the bot can tell:
    written again it could be written twice. `in_writer` says so (`CommitUnknown`, carrying
    what the work returned) and leaves the asking to its caller."""
    runs: list[int] = []

    def insert_then_lose_the_connection(conn: sa.Connection) -> str:
        runs.append(1)
        conn.exec_driver_sql("INSERT INTO writer_probe VALUES (1)")
        terminate(probe, conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        return "what the work found"

    with pytest.raises(CommitUnknown) as lost:
        await db.in_writer(insert_then_lose_the_connection)
    assert lost.value.result == "what the work found"
    assert isinstance(lost.value.__cause__, sa.exc.OperationalError)
    assert runs == [1]
    await db.in_writer(lambda conn: conn.exec_driver_sql("INSERT INTO writer_probe VALUES (2)"))
    assert probed(probe) == [2]


@postgres_only
async def test_close_waits_for_the_batch_in_flight_and_then_refuses_more(
    db: Database, probe: sa.Engine
) -> None:
    """Shutting down mid-batch: the batch commits whole, then the kept connection closes, and
    no batch after that opens another (it would outlive the process's shutdown)."""
    await db.in_writer(lambda conn: conn.exec_driver_sql("INSERT INTO writer_probe VALUES (1)"))
    holder = probe.connect()
    holder.exec_driver_sql("BEGIN")
    holder.exec_driver_sql("LOCK TABLE writer_probe IN ACCESS EXCLUSIVE MODE")
    batch = asyncio.create_task(
        db.in_writer(lambda conn: conn.exec_driver_sql("INSERT INTO writer_probe VALUES (2)"))
    )
    await asyncio.sleep(0.2)  # the batch waits on the server for the table
    closing = asyncio.create_task(db.close())
    await asyncio.sleep(0.2)
    assert not closing.done()  # it waits for the batch
    holder.exec_driver_sql("COMMIT")
    holder.close()
    await asyncio.wait_for(batch, 5)
    await asyncio.wait_for(closing, 5)
    with pytest.raises(RuntimeError, match="closed"):
        await db.in_writer(lambda conn: conn.exec_driver_sql("INSERT INTO writer_probe VALUES (3)"))
    assert probed(probe) == [1, 2]
    with probe.connect() as conn:
        assert conn.execute(_COUNT, {"pid": None}).scalar() == 0  # no connection left behind


@postgres_only
async def test_close_does_not_wait_for_ever_on_a_batch_that_hangs(
    db: Database, probe: sa.Engine
) -> None:
    """A shutdown must end: a batch stuck on the server (a lock nobody lets go of, a network
    that swallows packets) is abandoned after the wait; it never committed, so nothing is lost
    that its requests were told was kept."""
    holder = probe.connect()
    holder.exec_driver_sql("BEGIN")
    holder.exec_driver_sql("LOCK TABLE writer_probe IN ACCESS EXCLUSIVE MODE")
    batch = asyncio.create_task(
        db.in_writer(lambda conn: conn.exec_driver_sql("INSERT INTO writer_probe VALUES (1)"))
    )
    try:
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await asyncio.wait_for(db.close(batch_wait_s=0.3), 5)
        assert time.monotonic() - started < 2
        with pytest.raises(sa.exc.DBAPIError):
            await asyncio.wait_for(batch, 5)
    finally:
        holder.exec_driver_sql("COMMIT")
        holder.close()
    assert probed(probe) == []
