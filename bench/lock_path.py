"""Ack latency of a signed /lock, and the delay from an attempt resolving to the Slack update.

Runs the real bot as its own process (`python -m bot serve --http`) against Seam's fake server and
the fake Slack, which run in this process, all on loopback.
Usage: .venv/bin/python -m bench.lock_path [--acks 500] [--outcomes 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bot.db import migrate
from tests.e2e.conftest import SIGNING_SECRET, bot_env, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import FakeSeamServer
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(acks: int, outcomes: int, user: str, database_url: str) -> None:
    fake = FakeSeamServer().start()
    workdir = Path(tempfile.mkdtemp())
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    migrate(url)
    await seed_doors(url)
    seam = await SeamProxy(fake.url).start()
    try:
        async with FakeSlack("xoxb-test-token") as slack:
            # The production cadence and deadline, not the tests' quick ones.
            env = bot_env(
                url, seam.url, slack.api_url,
                LOCKBOT_POLL_FIRST="0.25", LOCKBOT_POLL_MAX="1.0", LOCKBOT_LOCK_TIMEOUT="60",
                LOCKBOT_RATE_LIMIT="0",
            )
            bot = BotProcess(env, workdir)
            await bot.start()
            async with httpx.AsyncClient(base_url=bot.url) as client:
                timings = []
                for _ in range(acks):
                    body = slash_command("front door", user_id=user)
                    headers = signed_headers(body, SIGNING_SECRET)
                    started = time.perf_counter()
                    response = await client.post("/slack/events", content=body, headers=headers)
                    timings.append(time.perf_counter() - started)
                    assert response.status_code == 200
                await asyncio.sleep(2)
                print(f"ack of a signed /lock over {acks} sequential requests: "
                      f"p50 {pct(timings, 0.5) * 1000:.1f} ms, p99 {pct(timings, 0.99) * 1000:.1f} ms")

                seam.hold_attempts = True
                delays, polls = [], []
                for _ in range(outcomes):
                    slack.calls.clear()
                    seam.calls.clear()
                    seam.attempt_ids.clear()
                    body = slash_command("front door")
                    await client.post("/slack/events", content=body,
                                      headers=signed_headers(body, SIGNING_SECRET))
                    attempt = await seam.wait_for_attempt()
                    root = await slack.wait_for(lambda c: c.method == "chat.postMessage")
                    ts = root.response["ts"] if root.response else None
                    await asyncio.sleep(random.uniform(0.5, 5.0))
                    resolved = time.perf_counter()
                    await seam.resolve(attempt, "success")
                    await slack.wait_for(
                        lambda c, ts=ts: c.method == "chat.update" and c.args.get("ts") == ts
                    )
                    delays.append(time.perf_counter() - resolved)
                    polls.append(len(seam.calls_to("/action_attempts/get")))
                if not delays:
                    await bot.stop()
                    return
                print(f"attempt resolved → root edited, over {outcomes} locks resolving after "
                      f"0.5–5 s: median {statistics.median(delays) * 1000:.0f} ms, "
                      f"max {max(delays) * 1000:.0f} ms; polls per lock: median "
                      f"{statistics.median(polls):.0f}, max {max(polls)}")
            await bot.stop()
    finally:
        await seam.stop()
        fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--acks", type=int, default=500)
    parser.add_argument("--outcomes", type=int, default=20)
    parser.add_argument("--user", default="U1", help="U2 is denied: acks without a lock behind")
    parser.add_argument("--database-url", default="", help="a database it may fill (default: a "
                        "new SQLite file)")
    args = parser.parse_args()
    asyncio.run(main(args.acks, args.outcomes, args.user, args.database_url))
