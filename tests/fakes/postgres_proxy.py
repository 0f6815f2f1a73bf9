"""A TCP proxy in front of the real PostgreSQL that can cut a connection as its COMMIT goes by.

Either the server gets the COMMIT and applies it, and the proxy cuts the client's connection
instead of passing the answer on; or the COMMIT is lost on the way and the server rolls back.
That is what a network blip, a failover or a proxy restart does at the worst moment: either
way the client hears only a broken connection, and cannot know whether its transaction landed.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import sqlalchemy as sa

# psycopg sends COMMIT as a simple query: 'Q', its length (4 + 7), the text, a NUL.
COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"


@dataclass
class _Session:
    """One client connection's state: did it send the marker in this transaction, and is its
    COMMIT's answer to be lost."""

    marked: bool = False
    cutting: bool = False


class PostgresProxy:
    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.cuts = 0  # connections cut so far
        self._marker: bytes | None = None
        self._applied = True
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

    def cut_next_commit(self, after: bytes, *, applied: bool) -> None:
        """Cut the connection at the next COMMIT of a transaction that sent `after` (a piece of
        its SQL), once: after the server `applied` it, or before the server saw it."""
        self._marker, self._applied = after, applied

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_out.close()
            return
        session = _Session()
        pumps = [
            asyncio.create_task(self._to_server(client_in, server_out, session)),
            asyncio.create_task(self._to_client(server_in, client_out, session)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
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
                    if not self._applied:  # the server never sees it, and rolls back
                        self.cuts += 1
                        return
                    session.cutting = True
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
                self.cuts += 1
                with contextlib.suppress(OSError):
                    sink.transport.abort()
                return
            sink.write(chunk)
            await sink.drain()
