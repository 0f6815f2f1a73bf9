"""Which replica runs the schedules: exactly one at a time.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own; when
the process dies, the server drops the connection and the lock with it, and another replica's
next try takes over. The same connection LISTENs for schedule changes, so a change made through
any replica or the CLI reaches the leader at once. On SQLite there is one process: it leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

import psycopg
from psycopg.conninfo import make_conninfo

from bot.db import sync_url
from bot.schedules import CHANNEL

log = logging.getLogger(__name__)
# Any fixed 64-bit number; it names lockbot's lock among the server's advisory locks.
LOCK_KEY = 0x10CB07


class Leadership(Protocol):
    async def try_lead(self) -> bool:
        """Become the leader if no one is; True while this process leads."""
        ...

    async def wait_for_change(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for a schedule change elsewhere; False when leadership is
        lost meanwhile (the connection died)."""
        ...

    async def close(self) -> None: ...


class SoleLeader:
    """SQLite: the single process leads. Changes from the CLI are seen by periodic reloads."""

    async def try_lead(self) -> bool:
        return True

    async def wait_for_change(self, timeout_s: float) -> bool:
        await asyncio.sleep(timeout_s)
        return True

    async def close(self) -> None:
        pass


class PostgresLeader:
    def __init__(self, database_url: str) -> None:
        url = sync_url(database_url)
        # A leader whose host vanishes (rather than its process) holds the lock until the server
        # notices the dead connection; keepalives make that seconds, not the OS's two hours.
        self.conninfo = make_conninfo(
            url.set(drivername="postgresql").render_as_string(hide_password=False),
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        self._conn: psycopg.AsyncConnection | None = None
        self.leading = False

    async def try_lead(self) -> bool:
        if self.leading and await self._alive():
            return True
        await self.close()
        try:
            conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        except psycopg.OperationalError as error:
            log.warning("cannot reach PostgreSQL to run for scheduler leader: %s", error)
            return False
        try:
            query = "SELECT pg_try_advisory_lock(%s)"
            row = await (await conn.execute(query, (LOCK_KEY,))).fetchone()
            if not (row and row[0]):
                await conn.close()
                return False
            await conn.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            # Never leave a connection behind that might hold the lock with nobody leading.
            await conn.close()
            raise
        self._conn, self.leading = conn, True
        return True

    async def _alive(self) -> bool:
        if self._conn is None or self._conn.closed:
            return False
        try:
            await self._conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    async def wait_for_change(self, timeout_s: float) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            async for _ in conn.notifies(timeout=timeout_s, stop_after=1):
                break
        except psycopg.Error:
            self.leading = False
            return False
        return await self._alive()

    async def close(self) -> None:
        conn, self._conn, self.leading = self._conn, None, False
        if conn is not None and not conn.closed:
            with contextlib.suppress(psycopg.Error):
                await conn.close()  # closing the session releases the advisory lock


def leadership_for(database_url: str) -> Leadership:
    if sync_url(database_url).get_backend_name() == "postgresql":
        return PostgresLeader(database_url)
    return SoleLeader()
