"""A lock in flight survives `kill -9`: the next start picks it up and posts the outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.models import LockStatus
from tests.e2e.conftest import BOT_TOKEN, bot_env, lock_rows, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command

SECRET = "test-signing-secret-0123"


@pytest.fixture
async def processes() -> AsyncIterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for process in started:
        await process.stop()


async def test_kill_9_mid_attempt_then_restart_still_posts_the_outcome(
    database_url: str, seam: SeamProxy, slack: FakeSlack, tmp_path: Path,
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
        ack = await client.post(f"{first.url}/slack/events", content=body,
                                headers=signed_headers(body, SECRET))
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
    update = await slack.wait_for(lambda c: c.method == "chat.update", timeout=15)
    root = slack.messages("C1")[0]
    assert update.args["ts"] == root.response["ts"]  # type: ignore[index]
    assert update.args["text"].startswith("✅ *Front Door* is locked. Asked by <@U1>")
    rows = await lock_rows(database_url)
    assert [r.status for r in rows] == [LockStatus.LOCKED]
    # One lock_door in all: the restart tracked the old attempt instead of locking again.
    assert len(seam.calls_to("/locks/lock_door")) == 1
    # And exactly one root message: the restart reused the thread.
    assert len([c for c in slack.messages("C1") if "thread_ts" not in c.args]) == 1
