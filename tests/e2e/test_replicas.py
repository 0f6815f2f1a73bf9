"""Two replicas on one PostgreSQL database: one runs the schedules, each fire runs once, and a
`kill -9` of the leader hands the schedules to the other within seconds (issue #4)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from bot.db import Database
from bot.models import Schedule, ScheduleRun, utcnow
from bot.schedules import notify_change
from tests.conftest import PG_URL
from tests.e2e.conftest import bot_env, seed_doors
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import FakeSlack
from tests.support.bot_process import BotProcess

pytestmark = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")

LOCK_DOOR = "/locks/lock_door"


async def metric(client: httpx.AsyncClient, bot: BotProcess, name: str) -> float | None:
    """The value of an unlabelled metric on the bot's /metrics; None if it cannot be read."""
    try:
        page = (await client.get(f"{bot.url}/metrics", timeout=1)).text
    except httpx.TransportError:
        return None
    for line in page.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return None


async def leaders(client: httpx.AsyncClient, bots: list[BotProcess]) -> list[float | None]:
    return [await metric(client, b, "lockbot_scheduler_leader") for b in bots]


async def wait_until(check, timeout_s: float, what: str, every_s: float = 0.1) -> float:  # type: ignore[no-untyped-def]
    """Poll the async `check` until it is true; the seconds it took."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"{what} not within {timeout_s:g} s")
        await asyncio.sleep(every_s)
    return time.monotonic() - started


async def add_due_schedules(database_url: str, targets: list[str]) -> list[int]:
    """Schedules whose last fire time (a minute ago) is due within the grace and whose one
    before is already missed; their next fire is an hour away, so nothing else runs during
    the test. Committed with a NOTIFY, as the bot's own changes are."""
    minute = utcnow().replace(second=0, microsecond=0)
    fires = [minute - timedelta(seconds=120), minute - timedelta(seconds=60)]
    cron = f"{fires[0].minute},{fires[1].minute} * * * *"
    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = [
                Schedule(
                    target=target,
                    cron=cron,
                    timezone="UTC",
                    channel_id="C1",
                    created_by="UADMIN",
                    covered_until=minute - timedelta(seconds=150),
                )
                for target in targets
            ]
            session.add_all(rows)
            await session.flush()
            ids = [row.id for row in rows]
            await notify_change(session)
            await session.commit()
    finally:
        await db.close()
    assert all(i is not None for i in ids)
    return [i for i in ids if i is not None]


async def schedule_runs(database_url: str) -> list[ScheduleRun]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            query = select(ScheduleRun).order_by(col(ScheduleRun.id))
            return list((await session.exec(query)).all())
    finally:
        await db.close()


def missed_notices(slack: FakeSlack, schedule_id: int) -> int:
    return len(
        [
            c
            for c in slack.messages("C1")
            if c.args.get("text", "").startswith(f"⏰❗ Schedule {schedule_id} ")
            and " missed " in c.args["text"]
        ]
    )


async def test_two_replicas_run_each_fire_once_and_fail_over_after_kill_9(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    started = time.monotonic()
    await seed_doors(database_url)
    env = bot_env(database_url, seam.url, slack.api_url)
    logs: list[int] = []  # each replica's stderr, in tmp_path, for when this fails
    bots = []
    for name in ("a", "b"):
        log = os.open(tmp_path / f"replica-{name}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        logs.append(log)
        bot = BotProcess(env, tmp_path, stderr=log)
        processes.append(bot)
        bots.append(bot)
    await asyncio.gather(*(b.start() for b in bots))

    async with httpx.AsyncClient() as client:
        try:
            await wait_until(lambda: _one_leader(client, bots), 10, "exactly one leader")
            states = await leaders(client, bots)
            leader, follower = (bots[0], bots[1]) if states[0] == 1 else (bots[1], bots[0])

            # 1. Three due schedules: each runs once, on the leader, and reports one miss.
            ids = await add_due_schedules(database_url, ["Front Door", "Back Door", "Garage"])

            async def all_locked() -> bool:
                return len(seam.calls_to(LOCK_DOOR)) >= len(ids)

            took = await wait_until(all_locked, 8, "a lock for every schedule")
            print(f"schedules ran {took:.2f} s after the NOTIFY")
            await asyncio.sleep(1.5)  # a duplicate run or notice would show up by now
            assert len(seam.calls_to(LOCK_DOOR)) == len(ids)
            runs = await schedule_runs(database_url)
            assert len({(r.schedule_id, r.fire_at) for r in runs}) == len(runs)
            for schedule_id in ids:
                outcomes = sorted(r.outcome for r in runs if r.schedule_id == schedule_id)
                assert outcomes in (["late", "missed"], ["missed", "ran"]), (schedule_id, outcomes)
                assert missed_notices(slack, schedule_id) == 1
            for name in ("lockbot_schedule_runs_total", "lockbot_schedule_misses_total"):
                assert await metric(client, leader, name) == len(ids), name
                assert await metric(client, follower, name) == 0, name
            assert await metric(client, follower, "lockbot_scheduler_leader") == 0

            # 2. kill -9 the leader: the follower takes over within seconds.
            killed = time.monotonic()
            await leader.kill9()

            async def follower_leads() -> bool:
                return await metric(client, follower, "lockbot_scheduler_leader") == 1

            await wait_until(follower_leads, 10, "the follower taking over")
            failover = time.monotonic() - killed
            print(f"failover {failover:.2f} s")
            assert failover < 10

            # Taking over re-ran nothing already settled; a new due schedule runs once.
            await asyncio.sleep(0.5)
            assert len(seam.calls_to(LOCK_DOOR)) == len(ids)
            [late_id] = await add_due_schedules(database_url, ["Front Door"])

            async def one_more() -> bool:
                return len(seam.calls_to(LOCK_DOOR)) >= len(ids) + 1

            took = await wait_until(one_more, 8, "the new leader running the new schedule")
            print(f"new leader ran the new schedule {took:.2f} s after the NOTIFY")
            await asyncio.sleep(1.5)
            assert len(seam.calls_to(LOCK_DOOR)) == len(ids) + 1
            runs = await schedule_runs(database_url)
            assert len({(r.schedule_id, r.fire_at) for r in runs}) == len(runs)
            assert len(runs) == 2 * (len(ids) + 1)
            assert sorted(r.outcome for r in runs if r.schedule_id == late_id) in (
                ["late", "missed"],
                ["missed", "ran"],
            )
            assert missed_notices(slack, late_id) == 1
            assert await metric(client, follower, "lockbot_schedule_runs_total") == 1
        finally:
            for bot in bots:
                await bot.stop()
            for log in logs:
                os.close(log)
    assert time.monotonic() - started < 40


async def _one_leader(client: httpx.AsyncClient, bots: list[BotProcess]) -> bool:
    return sorted(await leaders(client, bots)) == [0, 1]
