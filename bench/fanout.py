"""P3: how long "lock the whole group" takes when every Seam call is slow.

The bot runs as its own process against Seam's fake server behind the tests' SeamProxy, which
adds `delay_s` to every call (lock_door and every poll alike) and counts the attempts open at
once. Runs on the same doors: the group under the cap, and the same doors one `/lock` at a time,
each after the previous outcome. The ideal for the cap is ceil(doors / cap) times the median time
of one door alone (from the one-by-one run); a group of one door is timed too, for its overhead.

Usage: .venv/bin/python -m bench.fanout [--doors 20] [--delay 0.2] [--cap 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bot import admin
from bot.config import Settings
from bot.db import Database, migrate
from tests.e2e.conftest import SIGNING_SECRET, bot_env
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2, SCHLAGE, FakeSeamServer
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command

OPERATOR = "cli:bench"
USER = "U1"


async def seed(url: str, doors: int) -> list[str]:
    db = Database(url)
    names = [f"Bench Door {i:03d}" for i in range(1, doors + 1)]
    devices = (AUGUST_1, AUGUST_2, SCHLAGE)
    async with db.session() as s:
        for i, name in enumerate(names):
            await admin.add_door(s, OPERATOR, name, devices[i % len(devices)])
        await admin.add_group(s, OPERATOR, "Bench Group", names)
        await admin.add_group(s, OPERATOR, "Bench One", names[:1])
        await admin.grant(s, OPERATOR, USER, "*")
    await db.close()
    return names


async def lock_and_wait(
    client: httpx.AsyncClient, slack: FakeSlack, text: str, expect: str
) -> float:
    """Seconds from the signed /lock to the root message's final edit."""
    before = len(slack.calls_to("chat.update"))
    body = slash_command(text, user_id=USER)
    started = time.perf_counter()
    response = await client.post("/slack/events", content=body,
                                 headers=signed_headers(body, SIGNING_SECRET))
    assert response.status_code == 200 and response.text == "", response.text
    await slack.wait_for(
        lambda c: c.method == "chat.update" and expect in c.args.get("text", "")
        and len(slack.calls_to("chat.update")) > before,
        timeout=600,
    )
    return time.perf_counter() - started


async def p3(doors: int = 20, delay_s: float = 0.2, cap: int = 10) -> dict[str, Any]:
    fake = FakeSeamServer().start()
    workdir = Path(tempfile.mkdtemp())
    url = f"sqlite:///{workdir / 'fanout.db'}"
    migrate(url)
    names = await seed(url, doors)
    seam = await SeamProxy(fake.url).start()
    try:
        async with FakeSlack("xoxb-test-token") as slack:
            # The production poll cadence and deadline, not the tests' quick ones.
            defaults = Settings.model_fields
            env = bot_env(
                url, seam.url, slack.api_url,
                LOCKBOT_FANOUT_LIMIT=str(cap), LOCKBOT_RATE_LIMIT="0", LOCKBOT_LOCK_TIMEOUT="60",
                LOCKBOT_POLL_FIRST=str(defaults["poll_first_s"].default),
                LOCKBOT_POLL_BACKOFF=str(defaults["poll_backoff"].default),
                LOCKBOT_POLL_MAX=str(defaults["poll_max_s"].default),
            )
            bot = BotProcess(env, workdir)
            await bot.start()
            try:
                seam.delay_s = delay_s
                async with httpx.AsyncClient(base_url=bot.url, timeout=30) as client:
                    one = await lock_and_wait(client, slack, "bench one", "1 of 1 locked")
                    seam.peak_open_attempts = 0
                    group = await lock_and_wait(
                        client, slack, "bench group", f"{doors} of {doors} locked"
                    )
                    peak = seam.peak_open_attempts
                    singles = [
                        await lock_and_wait(client, slack, name, "is locked") for name in names
                    ]
            finally:
                await bot.stop()
    finally:
        await seam.stop()
        fake.stop()
    alone = statistics.median(singles)
    ideal = math.ceil(doors / cap) * alone
    serial = sum(singles)
    return {
        "doors": doors, "delay_s": delay_s, "cap": cap,
        "group_s": group, "one_door_s": alone, "group_of_one_s": one, "one_by_one_s": serial,
        "ideal_s": ideal, "vs_ideal": group / ideal, "speedup": serial / group,
        "peak_open_attempts": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--doors", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--cap", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(p3(args.doors, args.delay, args.cap)), indent=2))


if __name__ == "__main__":
    main()
