"""A TCP proxy in front of the real PostgreSQL that can cut a connection as its COMMIT goes by.

The ways a COMMIT meets a network blip, a failover or a proxy restart, each as the bot sees
it (a broken connection) while the server does one thing or the other:
- "applied": the server applies it; its answer never comes back;
- "lost": it never reaches the server, which rolls back once it sees the session is gone;
- "late": the client's side breaks first and the COMMIT reaches the server a moment later
  (a packet still in flight), so a look at the table right away would find nothing yet.
`down_s` then refuses and drops every connection for a while, as a restarting server does.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

# psycopg sends COMMIT as a simple query: 'Q', its length (4 + 7), the text, a NUL.
COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"
Cut = Literal["applied", "lost", "late"]


@dataclass(eq=False)  # each one itself, in a set
class _Session:
    """One client connection: did it send the marker in this transaction, and is its
    COMMIT's answer to be dropped."""

    client: asyncio.StreamWriter
    marked: bool = False
    cutting: bool = False


class PostgresProxy:
    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.cuts = 0  # connections cut so far
        self.late_s = 0.05
        self._marker: bytes | None = None
        self._cut: Cut = "applied"
        self._down_s = 0.0
        self._down_until = 0.0
        self._sessions: set[_Session] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> PostgresProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def url_for(self, database_url: str) -> str:
        """`database_url`, through the proxy."""
        url = sa.make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def cut_next_commit(self, after: bytes, cut: Cut, down_s: float = 0.0) -> None:
        """Cut the connection at the next COMMIT of a transaction that sent `after` (a piece of
        its SQL), once, the way `cut` says; then be down for `down_s`."""
        self._marker, self._cut, self._down_s = after, cut, down_s

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _cut_done(self) -> None:
        self.cuts += 1
        if self._down_s:
            self._down_until = time.monotonic() + self._down_s
            for session in list(self._sessions):
                session.client.transport.abort()

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        if time.monotonic() < self._down_until:
            client_out.transport.abort()
            return
        try:
            server_in, server_out = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_out.transport.abort()
            return
        session = _Session(client_out)
        self._sessions.add(session)
        pumps = [
            asyncio.create_task(self._to_server(client_in, server_out, session)),
            asyncio.create_task(self._to_client(server_in, client_out, session)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._sessions.discard(session)
            for pump in pumps:
                pump.cancel()
                self._tasks.discard(pump)
            for out in (client_out, server_out):
                out.transport.abort()

    async def _to_server(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, session: _Session
    ) -> None:
        while chunk := await source.read(65536):
            marker = self._marker
            if marker is not None and marker in chunk:
                session.marked = True
            if COMMIT in chunk:
                if session.marked and self._marker is not None:
                    self._marker = None
                    if self._cut == "lost":  # the server never sees it
                        self._cut_done()
                        return
                    if self._cut == "applied":
                        session.cutting = True
                    else:  # late: the client hears first, the server a moment later
                        session.client.transport.abort()
                        self._cut_done()
                        await asyncio.sleep(self.late_s)
                session.marked = False
            sink.write(chunk)
            await sink.drain()

    async def _to_client(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, session: _Session
    ) -> None:
        while chunk := await source.read(65536):
            if session.cutting:
                # The server has answered the COMMIT, so it has applied it; the client never
                # hears so.
                sink.transport.abort()
                self._cut_done()
                return
            sink.write(chunk)
            await sink.drain()
