"""The lock path keeps doors and grants in memory (bot/locking/snapshot.py), yet an admin change
counts from the very next request: on the replica it was made on, on any other replica, and
when another process made it (`lockbot grant` at a terminal on the same SQLite file)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bot import admin
from bot.db import Database
from tests.conftest import PG_URL
from tests.e2e.conftest import SIGNING_SECRET, LiveBot, bot_env, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command

DENIED = "🚫 You are not allowed to lock *Front Door*"


async def lock_as(client: httpx.AsyncClient, url: str, user: str, text: str) -> str:
    """`/lock <text>` from `user`; the text of the ack ("" when it went ahead)."""
    body = slash_command(text, user_id=user, channel_id="C1")
    response = await client.post(
        f"{url}/slack/events", content=body, headers=signed_headers(body, SIGNING_SECRET)
    )
    assert response.status_code == 200
    return str(response.json().get("text", "")) if response.content else ""


async def test_a_grant_made_elsewhere_counts_from_the_next_request(
    live: LiveBot, database_url: str
) -> None:
    url = live.url
    async with httpx.AsyncClient() as client:
        assert (await lock_as(client, url, "U2", "front door")).startswith(DENIED)
        # Another process (the terminal) changes the grants: the bot is told nothing.
        other = Database(database_url)
        try:
            async with other.session() as s:
                assert await admin.grant(s, "cli:ops", "U2", "Front Door")
            assert not (await lock_as(client, url, "U2", "front door")).startswith(DENIED)
            async with other.session() as s:
                assert await admin.revoke(s, "cli:ops", "U2", "Front Door")
            assert (await lock_as(client, url, "U2", "front door")).startswith(DENIED)
        finally:
            await other.close()


@pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")
async def test_an_admin_change_on_one_replica_counts_on_the_other_at_its_next_request(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    await seed_doors(database_url)
    env = bot_env(database_url, seam.url, slack.api_url)
    a, b = BotProcess(env, tmp_path), BotProcess(env, tmp_path)
    processes += [a, b]
    await asyncio.gather(a.start(), b.start())
    async with httpx.AsyncClient() as client:
        for bot in (a, b):  # each has read the directory by now
            assert (await lock_as(client, bot.url, "U2", "front door")).startswith(DENIED)
        granted = await lock_as(client, a.url, "UADMIN", 'admin grant <@U2> "Front Door"')
        assert granted.startswith("✅"), granted
        assert not (await lock_as(client, b.url, "U2", "front door")).startswith(DENIED)
        revoked = await lock_as(client, a.url, "UADMIN", 'admin revoke <@U2> "Front Door"')
        assert revoked.startswith("✅"), revoked
        assert (await lock_as(client, b.url, "U2", "front door")).startswith(DENIED)
        assert (await lock_as(client, a.url, "U2", "front door")).startswith(DENIED)
