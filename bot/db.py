"""Database engines and migrations.

The bot talks to the database through an async engine (aiosqlite or psycopg's async mode), so
nothing blocks the event loop. Alembic runs on a sync engine, once, before the bot starts.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)
Row = TypeVar("Row", bound=SQLModel)
T = TypeVar("T")

_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}


def _with_driver(url: str, drivers: dict[str, str]) -> sa.URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in drivers:
        raise ValueError(f"unsupported DATABASE_URL backend {backend!r}: use sqlite or postgresql")
    return parsed.set(drivername=drivers[backend])


def sync_url(url: str) -> sa.URL:
    return _with_driver(url, _SYNC_DRIVERS)


def async_url(url: str) -> sa.URL:
    return _with_driver(url, _ASYNC_DRIVERS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the poller read while a command writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives a crash of the process (kill -9 included); only a power cut
    # can lose the last commits, and it saves an fsync on every acked command.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_sync_engine(url: str) -> sa.Engine:
    """A sync engine with the async one's pragmas: the group commit's on SQLite."""
    engine = sa.create_engine(sync_url(url))
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def create_engine(url: str) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        engine = create_async_engine(target)
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(target, pool_pre_ping=True, pool_size=10, max_overflow=10)


class CommitUnknown(Exception):
    """The connection broke with the COMMIT on its way: the server may have applied it or not.
    `result` is what the work returned before it, good if the commit did land."""

    def __init__(self, result: object) -> None:
        super().__init__("the connection broke during COMMIT")
        self.result = result
        # Whether the broken session is known to be over on the server (see `_fence`): only
        # then do the tables tell whether the COMMIT landed.
        self.fenced = False


def _run_on(conn: sa.Connection, work: Callable[[sa.Connection], T]) -> T:
    """`work`, then its COMMIT: sent here rather than in `work`, to know which one failed."""
    committing = False
    try:
        done = work(conn)
        committing = True
        conn.commit()
        return done
    except BaseException as error:
        if conn.invalidated:  # the database went away: the next one connects again
            conn.close()
        else:
            conn.rollback()
            if _driver_in_transaction(conn):
                # A COMMIT that failed (SQLITE_BUSY, say) can leave the driver's transaction
                # open after SQLAlchemy's is gone; the next batch would commit its rows too.
                conn.invalidate()
        if committing and _dropped(error):
            raise CommitUnknown(done) from error
        raise


# Waits (up to 5 s) until the session is gone; a session already gone gives a warning only.
_TERMINATE = sa.text("SELECT pg_terminate_backend(:pid, 5000)")
_ALIVE = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")


def _dropped(error: BaseException) -> bool:
    """The server dropped the connection (a restart, a failover, a pooler's idle timeout)."""
    return isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated


def _driver_in_transaction(conn: sa.Connection) -> bool:
    try:
        return bool(getattr(conn.connection.dbapi_connection, "in_transaction", False))
    except sa.exc.SQLAlchemyError:
        return False


def _sqlite_busy(error: sa.exc.OperationalError) -> bool:
    """Another connection holds the write lock (SQLITE_BUSY and its extended codes)."""
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class Database:
    """An async engine and the sessions made from it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        # SQLite has one writer at a time, and blocked writers sleep and retry in no order, so
        # under load a write could wait seconds. Queue this process's writers fairly instead.
        self._write_lock = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # `in_writer` on SQLite: made when first needed.
        self._sync_engine: sa.Engine | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._writer_conn: sa.Connection | None = None
        self._inline_conn: sa.Connection | None = None  # SQLite: the loop's own
        self._pg_conn: AsyncConnection | None = None  # PostgreSQL: the batches'
        self._pg_turn = asyncio.Lock()
        self._closed = False
        self._pg_pid: int | None = None  # the server's process for the kept connection

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for work that writes; on SQLite one at a time in this process."""
        if self._write_lock is None:
            async with self.session() as session:
                yield session
            return
        async with self._write_lock, self.session() as session:
            yield session

    async def in_writer(self, work: Callable[[sa.Connection], T]) -> T:
        """Run `work` on a sync connection as one piece, for the group commit's batches.

        PostgreSQL: on a connection of the async engine (`run_sync`: psycopg's async mode needs
        no thread, so the loop goes on while the batch waits for the server). SQLite: through
        the async engine every statement is four hand-offs to aiosqlite's thread and back, so
        it runs in the process's write turn on the event loop itself, while no other process
        holds the file's write lock (its connection waits for none): a commit there (WAL,
        synchronous=NORMAL: no fsync) costs less than the hand-offs and the GIL's to and fro
        around them. When another process writes, the batch goes to the writer thread, whose
        connection waits as every other does."""
        if self._write_lock is None:
            async with self._pg_turn:
                self._refuse_if_closed()
                try:
                    return await self._on_pg(work)
                except CommitUnknown as unknown:
                    unknown.fenced = not self._closed and await self._fence(self._pg_pid)
                    raise
                except sa.exc.DBAPIError as error:
                    # The kept connection saves a ping per batch; the price is finding it
                    # dead here rather than at a check-out. Found dead before the COMMIT was
                    # sent: the batch never commits, but the server may not know yet that its
                    # session is gone (only our side broke) and hold its locks; once it is
                    # over, the batch runs again, on a new connection.
                    if not _dropped(error) or self._closed:
                        raise
                    if not await self._fence(self._pg_pid):
                        raise
                    log.warning("the database dropped lockbot's connection; writing again")
                return await self._on_pg(work)
        async with self._write_lock:
            self._refuse_if_closed()
            try:
                return _run_on(self._inline_connection(), work)
            except sa.exc.OperationalError as error:
                if not _sqlite_busy(error):
                    raise
            return await self._in_thread(work)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            # Its connections are gone; one opened now would outlive the process's shutdown.
            raise RuntimeError("the database is closed")

    async def _on_pg(self, work: Callable[[sa.Connection], T]) -> T:
        conn = await self._pg_connection()
        try:
            return await conn.run_sync(lambda sync_conn: _run_on(sync_conn, work))
        except BaseException:
            if conn.invalidated or conn.in_transaction():  # cancelled mid-way, say
                await conn.invalidate()
            raise

    async def _fence(self, pid: int | None) -> bool:
        """End the server's side of a broken batch session, and say whether it is over: its
        transaction then has committed or rolled back for good, and holds no locks."""
        if pid is None:
            return False
        try:
            async with self.engine.connect() as conn:
                await conn.execute(_TERMINATE, {"pid": pid})
                return not (await conn.execute(_ALIVE, {"pid": pid})).scalar()
        except sa.exc.DBAPIError as error:
            log.warning("could not end the broken batch session %d: %s", pid, error)
            return False

    async def _pg_connection(self) -> AsyncConnection:
        """One connection kept for the batches: a check-out per batch cost a ping and a reset,
        two round trips, which one client waited for on every ack."""
        held = self._pg_conn
        if held is not None and not held.closed and not held.invalidated:
            return held
        if held is not None:
            await held.close()
        conn = await self.engine.connect()
        raw = await conn.get_raw_connection()
        self._pg_pid = int(raw.driver_connection.info.backend_pid)  # type: ignore[union-attr]
        self._pg_conn = conn
        return conn

    def _sync(self) -> sa.Engine:
        if self._sync_engine is None:
            self._sync_engine = _sqlite_sync_engine(self.url)
        return self._sync_engine

    def _inline_connection(self) -> sa.Connection:
        held = self._inline_conn
        if held is not None and not held.closed and not held.invalidated:
            return held
        if held is not None:
            held.close()
        conn = self._sync().connect()
        try:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.commit()
        except BaseException:
            conn.invalidate()
            raise
        self._inline_conn = conn
        return conn

    async def _in_thread(self, work: Callable[[sa.Connection], T]) -> T:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="lockbot-writer")
        engine = self._sync()

        def run() -> T:
            # One connection kept for the thread: no pool check-out, ping and reset per batch.
            if self._writer_conn is None or self._writer_conn.closed:
                self._writer_conn = engine.connect()
            return _run_on(self._writer_conn, work)

        return await asyncio.get_running_loop().run_in_executor(self._writer, run)

    def _close_writer(self) -> None:
        if self._writer_conn is not None:
            self._writer_conn.close()

    async def update(self, model: type[Row], row_id: int, **values: Any) -> Row:
        """Set columns of one row by primary key, and return it as written."""
        async with self.writing() as session:
            row = await session.get(model, row_id)
            assert row is not None, f"{model.__name__} {row_id} is gone"
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            await session.commit()
            await session.refresh(row)
            return row

    async def advance(
        self, model: type[SQLModel], column: str, to: datetime, *where: sa.ColumnElement[bool]
    ) -> None:
        """Move a time column of the rows `where` picks forward to `to`, never back: a writer
        that comes late with an older time changes nothing."""
        async with self.writing() as session:
            await session.exec(
                sa.update(model).where(*where, getattr(model, column) < to).values({column: to})
            )
            await session.commit()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception:
            return False
        return True

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self, batch_wait_s: float = 5.0) -> None:
        """After the batch in flight (unless it hangs past `batch_wait_s`: a shutdown must
        end), and none after it."""
        self._closed = True
        try:
            await asyncio.wait_for(self._pg_turn.acquire(), batch_wait_s)
        except TimeoutError:
            log.warning("closing the database with a batch still in flight")
            if self._pg_conn is not None:
                # A close would wait for the statement in flight; this cuts the socket, and
                # the server rolls the batch back.
                await self._pg_conn.invalidate()
        else:
            self._pg_turn.release()
        if self._pg_conn is not None:
            await self._pg_conn.close()
        await self.engine.dispose()
        if self._inline_conn is not None:
            # Never back to the pool: it waits for no lock, and the writer thread's must.
            self._inline_conn.invalidate()
            self._inline_conn.close()
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(self._writer, self._close_writer)
            self._writer.shutdown(wait=False)
        if self._sync_engine is not None:
            self._sync_engine.dispose()


@asynccontextmanager
async def all_or_nothing(session: AsyncSession, clash: Exception) -> AsyncIterator[None]:
    """Commit what the block writes; when a unique or foreign key says someone else changed the
    same rows meanwhile, roll all of it back and raise `clash` instead."""
    try:
        yield
        await session.commit()
    except sa.exc.IntegrityError:
        await session.rollback()
        raise clash from None


def migrations_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations", here.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("lockbot's migrations directory is missing from this install")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # Alembic's ini interpolation treats % specially; URLs with escaped characters need doubling.
    config.set_main_option(
        "sqlalchemy.url", sync_url(url).render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest revision. Safe to run on every start."""
    command.upgrade(alembic_config(url), "head")


async def migrate_async(url: str) -> None:
    await asyncio.to_thread(migrate, url)


def pending_migrations(url: str) -> list[str]:
    """Revisions not yet applied; empty when the schema is current."""
    script = ScriptDirectory.from_config(alembic_config(url))
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    heads = set(script.get_heads())
    if current == heads:
        return []
    return [rev.revision for rev in script.walk_revisions() if rev.revision not in current]
