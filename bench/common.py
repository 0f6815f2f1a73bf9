"""What every benchmark shares: the fakes on loopback, the bot as a child process, a raw client.

Seam is its vendor's fake server behind `DelayProxy` (the tests' `SeamProxy`, which also stamps
every call and resolves each new attempt after a planned delay); Slack is `StampedSlack` (the
tests' `FakeSlack`, which also stamps every call). Times are `time.perf_counter()` in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.access import grant
from bot.config import Settings
from bot.db import Database, migrate, sync_url
from bot.door_admin import add_door
from tests.e2e.conftest import SIGNING_SECRET, bot_env, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, FakeSeamServer
from tests.fakes.slack_api import Call, FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.raw_http import http_request
from tests.support.slack_requests import signed_headers, slash_command

# PostgreSQL for the figures measured on both databases (P1a, P1b): a server the bench may make
# databases on. Without one, those figures are measured on SQLite only, and the page says so.
PG_URL = os.environ.get("LOCKBOT_BENCH_PG_URL") or os.environ.get("LOCKBOT_TEST_DATABASE_URL", "")
ALLOWED = "U1"  # may lock Front Door, Back Door and every bench door
DENIED = "U2"  # may lock nothing: the ack path without a lock behind it


# -- numbers ------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": pct(values, 0.5),
        "p90": pct(values, 0.9),
        "p99": pct(values, 0.99),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
    }


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_at_start": [round(x, 2) for x in load],
    }


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


# -- a plain keep-alive HTTP/1.1 client on a raw socket ------------------------------------------


class RawClient:
    """Sends prepared requests one after another on one keep-alive connection (blocking).

    Cheaper and steadier than any client library, so the time measured is the server's.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, request: bytes) -> tuple[int, bytes]:
        """One request and its response: (status, body)."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise RuntimeError(f"response without Content-Length: {head!r}")
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, body

    def timed(self, request: bytes, count: int, expect: int = 200) -> list[float]:
        """Send `request` `count` times; the seconds each took."""
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            status, body = self.send(request)
            timings.append(time.perf_counter() - started)
            if status != expect:
                raise AssertionError(f"expected {expect}, got {status}: {body[:200]!r}")
        return timings

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk


def signed_lock(text: str, user: str, port: int, timestamp: int | None = None) -> bytes:
    """A signed `/lock <text>` from `user`, as Slack POSTs it to /slack/events."""
    body = slash_command(text, user_id=user)
    return http_request(
        "/slack/events", body, signed_headers(body, SIGNING_SECRET, timestamp=timestamp), port
    )


# -- the fakes, with timestamps -----------------------------------------------------------------


@dataclass
class AttemptTrace:
    """One action attempt as the proxy saw it."""

    attempt_id: str
    locked_at: float  # lock_door answered
    resolve_after_s: float | None = None
    resolved_at: float | None = None  # when the proxy told the fake it succeeded
    detected_at: float | None = None  # the first read that saw it succeed
    calls: int = 1  # lock_door, then every /action_attempts/get of it
    device_id: str | None = None
    reads_at: list[float] = field(default_factory=list)  # each /action_attempts/get of it


class DelayProxy(SeamProxy):
    """SeamProxy that holds each new attempt pending and resolves it after `resolve_after()` s
    (or its device's own, `by_device`), then calls `on_resolved` with its trace."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.hold_attempts = True
        self.resolve_after: Callable[[], float] | None = None
        self.by_device: dict[str, Callable[[], float]] = {}
        self.on_resolved: Callable[[AttemptTrace], Awaitable[None]] | None = None
        self.traces: dict[str, AttemptTrace] = {}
        self._timers: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        await super().stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        response = await super()._handle(request)
        now = time.perf_counter()
        call = self.calls[-1]  # appended by the parent with no await since: this request's
        attempt = call.body.get("action_attempt") if call.status == 200 else None
        if not isinstance(attempt, dict):
            return response
        attempt_id = str(attempt.get("action_attempt_id"))
        if call.path == "/locks/lock_door":
            trace = self.traces[attempt_id] = AttemptTrace(attempt_id, now)
            trace.device_id = json.loads(await request.read() or b"{}").get("device_id")
            planned = self.by_device.get(str(trace.device_id), self.resolve_after)
            if planned is not None:
                trace.resolve_after_s = planned()
                timer = asyncio.get_running_loop().create_task(self._resolve_later(trace))
                self._timers.add(timer)
                timer.add_done_callback(self._timers.discard)
        elif call.path == "/action_attempts/get" and attempt_id in self.traces:
            trace = self.traces[attempt_id]
            trace.calls += 1
            trace.reads_at.append(now)
            if attempt.get("status") == "success" and trace.detected_at is None:
                trace.detected_at = now
        return response

    async def _resolve_later(self, trace: AttemptTrace) -> None:
        assert trace.resolve_after_s is not None
        await asyncio.sleep(max(0.0, trace.locked_at + trace.resolve_after_s - time.perf_counter()))
        trace.resolved_at = time.perf_counter()
        await self.resolve(trace.attempt_id, "success")
        if self.on_resolved is not None:
            await self.on_resolved(trace)


class StampedSlack(FakeSlack):
    """FakeSlack that remembers when each call arrived."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrived: dict[int, float] = {}

    async def _record(self, request: web.Request, method: str) -> Call:
        call = await super()._record(request, method)
        self.arrived[id(call)] = time.perf_counter()
        return call

    def root_updates(self) -> dict[str, float]:
        """ts of each root message → when its first chat.update arrived."""
        updates: dict[str, float] = {}
        for call in self.calls_to("chat.update"):
            ts = str(call.args.get("ts"))
            updates.setdefault(ts, self.arrived[id(call)])
        return updates


# -- the stack: fakes, databases, bot processes -------------------------------------------------


@dataclass
class Stack:
    seam: DelayProxy
    slack: StampedSlack
    workdir: Path
    bots: list[BotProcess] = field(default_factory=list)
    _databases: int = 0

    pg_databases: list[str] = field(default_factory=list)

    def new_database(self, backend: str = "sqlite") -> str:
        """A fresh, migrated database: a SQLite file, or one on the PG_URL server."""
        self._databases += 1
        if backend == "sqlite":
            url = f"sqlite:///{self.workdir / f'bench-{self._databases}.db'}"
        else:
            assert PG_URL, "no PostgreSQL server for the bench (LOCKBOT_BENCH_PG_URL)"
            name = f"lockbot_bench_{os.getpid()}_{self._databases}"
            _on_pg_server(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
            self.pg_databases.append(name)
            url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        migrate(url)
        return url

    async def start_bot(
        self, database_url: str, bench_doors: int = 0, stderr: int | None = None, **env: str
    ) -> BotProcess:
        """A seeded database and the bot serving HTTP on it; `env` overrides the settings."""
        await seed(database_url, bench_doors)
        defaults = Settings.model_fields  # the shipped poll cadence, not the tests' quick one
        settings = {"LOCKBOT_LOCK_TIMEOUT": "60", "LOCKBOT_RATE_LIMIT": "0",
                    "LOCKBOT_POLL_FIRST": str(defaults["poll_first_s"].default),
                    "LOCKBOT_POLL_BACKOFF": str(defaults["poll_backoff"].default),
                    "LOCKBOT_POLL_MAX": str(defaults["poll_max_s"].default)} | env  # fmt: skip
        bot = BotProcess(
            bot_env(database_url, self.seam.url, self.slack.api_url, **settings),
            self.workdir, stderr=stderr,
        )  # fmt: skip
        await bot.start()
        self.bots.append(bot)
        return bot

    async def stop_bot(self, bot: BotProcess) -> None:
        await bot.stop()
        self.bots.remove(bot)


def _on_pg_server(*statements: str) -> None:
    if not statements:
        return
    server = sa.create_engine(sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        server.dispose()


def bench_door(i: int) -> str:
    return f"Bench {i}"


async def seed(database_url: str, bench_doors: int = 0) -> None:
    """The tests' doors and grants, plus `bench_doors` doors (all on one fake lock) for U1."""
    await seed_doors(database_url)
    if not bench_doors:
        return
    db = Database(database_url)
    async with db.session() as s:
        for i in range(1, bench_doors + 1):
            await add_door(s, bench_door(i), AUGUST_1)
            await grant(s, ALLOWED, bench_door(i))
        await s.commit()
    await db.close()


@contextlib.asynccontextmanager
async def stack(seam_url: str | None = None) -> AsyncIterator[Stack]:
    """Seam's fake (started here unless `seam_url` is given), the proxy, fake Slack, a workdir."""
    with contextlib.ExitStack() as cleanup:
        if seam_url is None:
            fake = FakeSeamServer().start()
            cleanup.callback(fake.stop)
            seam_url = fake.url
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="lockbot-bench-")))
        seam = await DelayProxy(seam_url).start()
        try:
            async with StampedSlack("xoxb-test-token") as slack:
                s = Stack(seam, slack, workdir)
                try:
                    yield s
                finally:
                    for bot in list(s.bots):
                        await s.stop_bot(bot)
                    _on_pg_server(*(f'DROP DATABASE IF EXISTS "{n}"' for n in s.pg_databases))
        finally:
            await seam.stop()


def jittered(delay_s: float) -> Callable[[], float]:
    """Around `delay_s`: uniform over ±0.5 s (±half the delay when shorter), so a poll cadence
    meets every phase of the resolution instead of one lucky or unlucky one."""
    width = min(0.5, delay_s / 2)
    return lambda: random.uniform(delay_s - width, delay_s + width)


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"· {name}…", file=sys.stderr, flush=True)
    yield
    print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
