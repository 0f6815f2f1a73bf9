"""One Seam call per request across replicas, and no late lock after downtime (#12, items 2-3).

The bots are real `lockbot serve` processes. Seam's fake sits behind the proxy, which can hold
a `lock_door` call before it reaches Seam; a held call whose bot was killed meanwhile is
dropped, as if the bot had died before its call left.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.access import revoke
from bot.db import Database
from bot.models import LockRequest, LockStatus
from tests.conftest import PG_URL
from tests.e2e.conftest import SIGNING_SECRET, bot_env, lock_rows, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import signed_headers, slash_command

LOCK_DOOR = "/locks/lock_door"
LEASE_S = 1.5  # the bound on a takeover is LEASE_S * 4/3 (bot/locking/lease.py)
replicas_only = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")


async def send_lock(bot: BotProcess, text: str = "front door", **fields: str) -> None:
    body = slash_command(text, **fields)
    async with httpx.AsyncClient() as client:
        ack = await client.post(
            f"{bot.url}/slack/events", content=body, headers=signed_headers(body, SIGNING_SECRET)
        )
    assert ack.status_code == 200


async def final_rows(database_url: str, timeout_s: float = 15) -> list[LockRequest]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = await lock_rows(database_url)
        if rows and all(r.status.final for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"still pending: {[(r.id, r.status) for r in rows]}")
        await asyncio.sleep(0.05)


def roots(slack: FakeSlack) -> list[str]:
    return [c.args["text"] for c in slack.messages("C1") if "thread_ts" not in c.args]


async def seeded_env(database_url: str, seam: SeamProxy, slack: FakeSlack) -> dict[str, str]:
    await seed_doors(database_url)
    # A deadline far beyond a takeover, so only the test's own shift back in time expires one.
    return bot_env(
        database_url, seam.url, slack.api_url, LOCKBOT_LEASE=str(LEASE_S), LOCKBOT_LOCK_TIMEOUT="60"
    )


async def start_bot(env: dict[str, str], tmp_path: Path, processes: list[BotProcess]) -> BotProcess:
    bot = BotProcess(env, tmp_path)
    processes.append(bot)
    await bot.start()
    return bot


@replicas_only
async def test_a_replica_that_starts_mid_lock_door_leaves_the_request_to_its_owner(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    env = await seeded_env(database_url, seam, slack)
    first = await start_bot(env, tmp_path, processes)
    seam.hold(LOCK_DOOR)
    await send_lock(first)
    await seam.wait_for_arrivals(LOCK_DOOR)

    # A rolling deploy: the new replica starts while the old one is inside lock_door, and
    # looks for work at start-up and then every third of a lease.
    await start_bot(env, tmp_path, processes)
    await asyncio.sleep(LEASE_S * 3)
    assert seam.arrived(LOCK_DOOR) == 1, "the second replica asked Seam again"

    seam.release(LOCK_DOOR)
    (row,) = await final_rows(database_url)
    assert row.status is LockStatus.LOCKED
    assert len(seam.calls_to(LOCK_DOOR)) == 1
    assert roots(slack) == ["🔒 Locking *Front Door* for <@U1>…"]


@replicas_only
async def test_a_killed_owners_request_is_taken_over_within_the_lease_bound(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    env = await seeded_env(database_url, seam, slack)
    first = await start_bot(env, tmp_path, processes)
    await start_bot(env, tmp_path, processes)
    seam.hold(LOCK_DOOR)
    await send_lock(first)
    await seam.wait_for_arrivals(LOCK_DOOR)
    await first.kill9()
    killed_at = time.monotonic()
    seam.release(LOCK_DOOR)  # the dead bot's call is dropped: it never reached Seam

    await seam.wait_for_arrivals(LOCK_DOOR, 2, timeout_s=LEASE_S * 4 / 3 + 5)
    taken_over_after = time.monotonic() - killed_at
    (row,) = await final_rows(database_url)
    assert row.status is LockStatus.LOCKED
    assert seam.dropped == [LOCK_DOOR] and len(seam.calls_to(LOCK_DOOR)) == 1
    # The survivor reused the thread the dead one had started.
    assert roots(slack) == ["🔒 Locking *Front Door* for <@U1>…"]
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert update.args["text"].startswith("✅ *Front Door* is locked")
    assert taken_over_after >= LEASE_S * 0.5, "taken over while the lease still ran"


async def kill_mid_lock_door(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
    env: dict[str, str],
) -> None:
    """A /lock acked and recorded, its root posted, then the bot killed before Seam heard."""
    first = await start_bot(env, tmp_path, processes)
    seam.hold(LOCK_DOOR)
    await send_lock(first)
    await seam.wait_for_arrivals(LOCK_DOOR)
    await slack.wait_for(lambda c: c.args.get("text", "").startswith("🔒 Locking"))
    await first.kill9()
    seam.release(LOCK_DOOR)


async def shift_back(database_url: str, by: timedelta) -> None:
    """As if the bot came back `by` later: the request and its lease are that much older."""
    db = Database(database_url)
    async with db.session() as session:
        for row in (await session.exec(select(LockRequest))).all():
            row.created_at -= by
            row.deadline_at = row.deadline_at and row.deadline_at - by
            row.lease_until = row.lease_until and row.lease_until - by
            session.add(row)
        await session.commit()
    await db.close()


async def test_a_request_found_days_after_its_deadline_is_not_sent_and_its_asker_is_told(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    env = await seeded_env(database_url, seam, slack)
    await kill_mid_lock_door(database_url, seam, slack, tmp_path, processes, env)
    await shift_back(database_url, timedelta(days=3))

    await start_bot(env, tmp_path, processes)
    (row,) = await final_rows(database_url)
    assert (row.status, row.error_type) == (LockStatus.EXPIRED, "expired")
    assert seam.calls_to(LOCK_DOOR) == [], "a lock three days late"
    (root,) = slack.messages("C1")[:1]
    assert root.response is not None
    reply = await slack.wait_for(lambda c: c.args.get("thread_ts") == root.response["ts"])  # type: ignore[index]
    assert "lockbot was not running when it was due" in reply.args["text"]
    assert "ask again" in reply.args["text"]
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert update.args["text"].startswith("⌛ Did not lock *Front Door*")
    assert "Asked by <@U1> 3.0 d earlier" in update.args["text"]
    await slack.wait_for(lambda c: c.args.get("channel") == "CALERTS")


async def test_a_request_still_in_time_is_authorized_again_before_it_is_sent(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    env = await seeded_env(database_url, seam, slack)
    await kill_mid_lock_door(database_url, seam, slack, tmp_path, processes, env)
    db = Database(database_url)
    async with db.session() as session:
        await revoke(session, "U1", "Front Door")  # while nobody carried the request out
        await session.commit()
    await db.close()

    await start_bot(env, tmp_path, processes)
    (row,) = await final_rows(database_url)
    assert (row.status, row.error_type) == (LockStatus.DENIED, "access_changed")
    assert seam.calls_to(LOCK_DOOR) == []
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert "access_changed" in update.args["text"]
