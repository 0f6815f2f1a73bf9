"""P4: the bot process's memory idle and after commands, and how long it takes to be ready.

Ready: from spawning `python -m bot serve --http` (fresh database, so migrations run) to the
first 200 from /healthz, polled every 10 ms. Memory: VmRSS of that process, idle after start-up,
then every 100 commands over two rounds of `commands` signed /lock commands sent one after
another (a mix: locks that Seam confirms at once, locks joining one in flight, denied users,
unknown doors, help), each round followed by a wait until nothing is pending.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from typing import Any

import httpx
from sqlmodel import col, func, select

from bench.common import ALLOWED, DENIED, RawClient, Stack, rss_mb, seed, signed_lock
from bot.db import Database
from bot.models import LockRequest, LockStatus
from tests.e2e.conftest import bot_env
from tests.support.bot_process import BotProcess

MIX = (
    (ALLOWED, "front door"),
    (ALLOWED, "rear"),
    (DENIED, "front door"),
    (ALLOWED, "nowhere"),
    ("UADMIN", "garage"),
    (ALLOWED, "front door"),
    (ALLOWED, "help"),
)


async def timed_start(stack: Stack, database_url: str) -> tuple[BotProcess, float]:
    """Start the bot; (the process, seconds from spawn to the first healthy /healthz)."""
    await seed(database_url)
    env = bot_env(database_url, stack.seam.url, stack.slack.api_url,
                  LOCKBOT_RATE_LIMIT="0", LOCKBOT_LOCK_TIMEOUT="60")  # fmt: skip
    bot = BotProcess(env, stack.workdir)
    started = time.perf_counter()
    bot.process = await asyncio.create_subprocess_exec(
        *_command(bot), env=bot.env, cwd=bot.cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    async with httpx.AsyncClient(timeout=2) as client:
        while time.perf_counter() - started < 30:
            try:
                if (await client.get(f"{bot.url}/healthz")).status_code == 200:
                    ready = time.perf_counter() - started
                    stack.bots.append(bot)
                    return bot, ready
            except httpx.TransportError:
                pass
            if bot.process.returncode is not None:
                raise RuntimeError("the bot exited during start-up")
            await asyncio.sleep(0.01)
    await bot.stop()
    raise RuntimeError("the bot was not healthy within 30 s")


def _command(bot: BotProcess) -> list[str]:
    return [sys.executable, "-m", "bot", "serve", "--http", "--port", str(bot.port)]


async def _pending(db: Database) -> int:
    async with db.session() as s:
        query = select(func.count()).where(col(LockRequest.status) == LockStatus.PENDING)
        return int((await s.exec(query)).one())


async def _settle(db: Database, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while await _pending(db):
        if time.monotonic() > deadline:
            raise AssertionError("requests still pending after the commands")
        await asyncio.sleep(0.1)


async def p4(
    stack: Stack, commands: int = 1000, starts: int = 5, idle_s: float = 2.0
) -> dict[str, Any]:
    ready: list[float] = []
    for _ in range(starts - 1):
        bot, seconds = await timed_start(stack, stack.new_database())
        ready.append(seconds)
        await stack.stop_bot(bot)
    url = stack.new_database()
    bot, seconds = await timed_start(stack, url)
    ready.append(seconds)
    assert bot.process is not None
    pid = bot.process.pid
    stack.seam.resolve_after = lambda: 0.0  # Seam confirms each lock at once
    db = Database(url)
    try:
        await asyncio.sleep(idle_s)
        idle = rss_mb(pid)
        requests = [signed_lock(text, user, bot.port) for user, text in MIX]

        def send(round_: int) -> list[tuple[int, float]]:
            trace = []
            with RawClient(bot.port) as client:
                for i in range(commands):
                    status, body = client.send(requests[i % len(requests)])
                    if status != 200:
                        raise AssertionError(f"{status}: {body[:200]!r}")
                    if (i + 1) % 100 == 0:
                        trace.append((round_ * commands + i + 1, rss_mb(pid)))
            return trace

        trace = [(0, idle)]
        after: list[float] = []
        for round_ in range(2):
            trace += await asyncio.to_thread(send, round_)
            await _settle(db)
            await asyncio.sleep(idle_s)
            after.append(rss_mb(pid))
            trace.append((commands * (round_ + 1), after[-1]))
    finally:
        stack.seam.resolve_after = None
        await db.close()
        await stack.stop_bot(bot)
    return {
        "ready_s": ready,
        "ready_median_s": statistics.median(ready),
        "ready_max_s": max(ready),
        "rss_idle_mb": idle,
        "rss_after_mb": after[0],
        "growth_mb": after[0] - idle,
        "rss_after_second_round_mb": after[1],
        "growth_second_round_mb": after[1] - after[0],
        "commands": commands,
        "trace": trace,
    }
