"""A lock in flight survives `kill -9`: the next start picks it up and posts the outcome."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bot.db import Database
from bot.door_admin import add_door
from bot.models import LockStatus
from tests.e2e.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    assert_one_lock_resumed,
    bot_env,
    lock_rows,
    seed_doors,
)
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2, SCHLAGE
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command


async def test_kill_9_mid_attempt_then_restart_still_posts_the_outcome(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    await seed_doors(database_url)
    env = bot_env(database_url, seam.url, slack.api_url, LOCKBOT_LOCK_TIMEOUT="30")
    assert env["SLACK_BOT_TOKEN"] == BOT_TOKEN
    first = BotProcess(env, tmp_path)
    processes.append(first)
    await first.start()

    seam.hold_attempts = True
    body = slash_command("front door")
    async with httpx.AsyncClient() as client:
        ack = await client.post(
            f"{first.url}/slack/events", content=body, headers=signed_headers(body, SIGNING_SECRET)
        )
    assert ack.status_code == 200
    attempt = await seam.wait_for_attempt()
    # The thread note is posted after the attempt id is stored: the request is now in flight.
    await slack.wait_for(lambda c: "Seam accepted" in c.args.get("text", ""))
    await first.kill9()
    rows = await lock_rows(database_url)
    assert [(r.status, r.action_attempt_id) for r in rows] == [(LockStatus.PENDING, attempt)]

    # While the bot is down, the lock finishes.
    await seam.resolve(attempt, "success")

    second = BotProcess(env, tmp_path)
    second.port, second.url = first.port, first.url
    processes.append(second)
    await second.start()
    await assert_one_lock_resumed(slack, seam, database_url)


async def test_kill_9_with_20_requests_pending_then_every_outcome_posted_once(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    await seed_doors(database_url)
    db = Database(database_url)
    async with db.session() as s:
        for n in range(1, 21):
            await add_door(s, f"Room {n}", (AUGUST_1, AUGUST_2, SCHLAGE)[n % 3])
        await s.commit()
    await db.close()
    env = bot_env(
        database_url, seam.url, slack.api_url, LOCKBOT_LOCK_TIMEOUT="60", LOCKBOT_ADMINS="UADMIN"
    )
    first = BotProcess(env, tmp_path)
    processes.append(first)
    await first.start()

    seam.hold_attempts = True
    async with httpx.AsyncClient() as client:
        for n in range(1, 21):
            body = slash_command(f"room {n}", user_id="UADMIN")
            ack = await client.post(
                f"{first.url}/slack/events",
                content=body,
                headers=signed_headers(body, SIGNING_SECRET),
            )
            assert ack.status_code == 200
    for _ in range(500):
        notes = [c for c in slack.messages("C1") if "Seam accepted" in c.args.get("text", "")]
        if len(notes) == 20:
            break
        await asyncio.sleep(0.02)
    assert len(notes) == 20
    await first.kill9()
    rows = await lock_rows(database_url)
    assert [r.status for r in rows] == [LockStatus.PENDING] * 20

    for attempt in seam.attempt_ids:
        await seam.resolve(attempt, "success")
    second = BotProcess(env, tmp_path)
    second.port, second.url = first.port, first.url
    processes.append(second)
    await second.start()
    for _ in range(750):
        if len(slack.calls_to("chat.update")) >= 20:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)  # a duplicate would show up now
    updates = slack.calls_to("chat.update")
    roots = [c for c in slack.messages("C1") if "thread_ts" not in c.args]
    assert len(roots) == 20
    assert sorted(u.args["ts"] for u in updates) == sorted(r.response["ts"] for r in roots)  # type: ignore[index]
    assert all(u.args["text"].startswith("✅") for u in updates)
    assert [r.status for r in await lock_rows(database_url)] == [LockStatus.LOCKED] * 20
    assert len(seam.calls_to("/locks/lock_door")) == 20
