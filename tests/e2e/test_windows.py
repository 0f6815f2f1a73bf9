"""Lock windows end to end (#15): a schedule with an end locks the door at its start; an unlock
inside it (the fake lock unlocked through its harness, and Seam's signed `lock.unlocked` posted
to the webhook) is told in the schedule's channel with Lock now and Keep open, and lockbot locks
the door again once the relock is due, unless someone keeps it open.

Relocks are short here (`relock after 3s`, allowed by LOCKBOT_RELOCK_MIN_SECONDS; people get at
least a minute) and the leader looks for due ones every 0.2 s. A window other than the first
opens as the schedules' tests make a run happen: a daily cron whose time was a minute ago,
caught up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from bot.db import Database
from bot.models import (
    AuditEvent,
    LockRequest,
    LockStatus,
    Relock,
    Schedule,
    ScheduleRun,
    utcnow,
)
from bot.runtime import Bot
from bot.schedules import notify_change
from bot.slack.modal_views import SCHEDULE_VIEW
from bot.slack.words.windows import (
    KEEP_OPEN_ACTION_ID,
    KEEP_OPEN_TO_END_ACTION_ID,
    LOCK_NOW_ACTION_ID,
)
from tests.conftest import PG_URL
from tests.e2e.conftest import (
    ALERTS,
    LiveBot,
    assert_all_final,
    bot_env,
    quiet,
    seed_doors,
    set_locked,
)
from tests.e2e.test_modals import answer, schedule_values, submit
from tests.e2e.test_replicas import leaders, metric, wait_until
from tests.e2e.test_schedules import (
    CHANNEL,
    cover_until,
    fired_ago,
    say,
    schedule_id,
    schedules,
    terminal,
)
from tests.e2e.test_seam_webhook import SECRET, post_event, seam_event
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import API_KEY, AUGUST_1
from tests.fakes.slack_api import Call, FakeSlack
from tests.support.bot_process import BotProcess

LOCK_DOOR = "/locks/lock_door"
windows = pytest.mark.settings(
    SEAM_WEBHOOK_SECRET=SECRET,
    LOCKBOT_RELOCK_MIN_SECONDS="1",
    LOCKBOT_RELOCK_LOOK="0.2",
    LOCKBOT_KEEP_OPEN_MINUTES="0.1",  # 6 s
)
# Locks without events: only the leader's state read hears of an unlock.
checked = pytest.mark.settings(
    LOCKBOT_RELOCK_MIN_SECONDS="1",
    LOCKBOT_RELOCK_LOOK="0.2",
    LOCKBOT_WINDOW_CHECK_MINUTES="0.02",  # a state read every 1.2 s
)


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], timeout_s: float, what: str
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        done = check()
        if not isinstance(done, bool):
            done = await done
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:g} s")
        await asyncio.sleep(0.05)


async def rows(database_url: str, table: Any) -> list[Any]:
    db = Database(database_url)
    async with db.session() as s:
        found = list((await s.exec(select(table).order_by(col(table.id)))).all())
    await db.close()
    return found


async def window_opened(live: LiveBot, seam: SeamProxy, relock: str) -> int:
    """A daily window over Front Door (by U1, reporting in CHANNEL) whose start was a minute
    ago and ends in two hours, caught up: the door is locked at its start."""
    fired = fired_ago(1)
    until = fired + timedelta(hours=2)
    reply = await say(
        live,
        f"schedule front door cron {fired.minute} {fired.hour} * * * until {until:%H:%M} in UTC "
        f"relock {relock}",
    )
    number = schedule_id(reply)
    await cover_until(live.bot.settings.database_url, number, fired - timedelta(minutes=1))
    await live.bot.schedule_runner.catch_up(number)
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 1, 10, "the window's lock")
    await assert_all_final(live.bot.settings.database_url)
    return number


async def access_code(lock: httpx.AsyncClient, name: str) -> str:
    """A keypad code on Front Door, made in Seam's fake; its id."""
    made = await lock.post(
        "/access_codes/create",
        json={"device_id": AUGUST_1, "name": name, "code": "4321"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    made.raise_for_status()
    code_id: str = made.json()["access_code"]["access_code_id"]
    return code_id


async def unlocked_by_keypad(
    live: LiveBot, lock: httpx.AsyncClient, slack: FakeSlack, code_id: str | None = None
) -> Call:
    """Someone opens Front Door with its keypad; Seam tells the webhook. The message told."""
    await set_locked(lock, False)
    fields = {} if code_id is None else {"access_code_id": code_id}
    event = seam_event("lock.unlocked", method="keycode", **fields)
    response = await post_event(live.http, event)
    assert response.json() == {"ok": True, "outcome": "relayed"}
    [told] = [c for c in slack.messages(CHANNEL) if "should stay locked" in c.args["text"]]
    return told


def button_ids(message: Call) -> list[str]:
    return [
        element["action_id"]
        for block in message.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def thread(slack: FakeSlack, root: Call) -> list[str]:
    assert root.response is not None
    ts = root.response["ts"]
    return [c.args["text"] for c in slack.messages(CHANNEL) if c.args.get("thread_ts") == ts]


def tapped(root: Call) -> dict[str, Any]:
    """The unlock message as Slack sends it along with a tap on one of its buttons."""
    assert root.response is not None
    return {
        "type": "message",
        "ts": root.response["ts"],
        "text": root.args["text"],
        "blocks": root.args["blocks"],
    }


async def tap(live: LiveBot, slack: FakeSlack, root: Call, action_id: str, user: str) -> None:
    [relock] = await rows(live.bot.settings.database_url, Relock)
    answer = await live.action(
        str(relock.id),
        action_id=action_id,
        user_id=user,
        channel_id=CHANNEL,
        message=tapped(root),
        response_url=slack.response_url(),
    )
    assert answer.status_code == 200


@windows
async def test_a_window_locks_at_its_start_and_locks_an_unlock_inside_it_again(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    # A window that starts at the next whole minute (at least 5 s away) and ends 2 h later.
    start = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)
    if start - utcnow() < timedelta(seconds=5):
        start += timedelta(minutes=1)
    end = start + timedelta(hours=2)
    reply = await say(
        live,
        f"schedule front door cron {start.minute} {start.hour} * * * until {end:%H:%M} in UTC "
        "relock after 3s",
    )
    assert f"every day at {start:%H:%M} until {end:%H:%M} (UTC, relock after 3 s)" in reply
    listed = await say(live, "schedules")
    assert f"until {end:%H:%M} (UTC, relock after 3 s)" in listed

    # It locks the door at its start.
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 1, 75, "the lock at the start")
    [run] = await rows(database_url, ScheduleRun)
    assert run.fire_at == start and run.outcome == "ran"
    await quiet(slack)

    # An unlock inside it: told at once in the window's channel, with who, and both buttons.
    cleaner = await access_code(lock_itself, "Cleaner")
    told = await unlocked_by_keypad(live, lock_itself, slack, cleaner)
    assert told.args["text"].startswith(
        "🔓 *Front Door* was unlocked with the keypad code “Cleaner” at "
    )
    assert f"it should stay locked until {end:%H:%M}. I'll lock it again at " in told.args["text"]
    assert button_ids(told) == [
        LOCK_NOW_ACTION_ID,
        KEEP_OPEN_ACTION_ID,
        KEEP_OPEN_TO_END_ACTION_ID,
    ]

    # Nobody keeps it open: about 3 s later it is locked again, once, and the thread says so.
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 15, "the relock")
    await quiet(slack)
    assert len(seam.calls_to(LOCK_DOOR)) == 2
    lines = thread(slack, told)
    assert lines[-1].startswith("✅ Locked again in ") and "as the lock window asks" in lines[-1]
    assert len([line for line in lines if line.startswith("✅")]) == 1
    [relock] = await rows(database_url, Relock)
    assert (relock.state, relock.outcome, relock.tries) == ("done", "relocked", 1)
    relocked = [r for r in await rows(database_url, LockRequest) if r.source == "relock"]
    assert [(r.status, r.request_id, r.user_id) for r in relocked] == [
        (LockStatus.LOCKED, f"relock-{relock.id}-1", "U1")
    ]
    assert relocked[0].created_at >= relock.due_at
    # The unlock message keeps its story: the relock is told in its thread, not over it.
    assert not [c for c in slack.calls_to("chat.update") if c.args["ts"] == told.response["ts"]]


@windows
async def test_keep_open_postpones_the_relock_for_those_who_may_lock_the_door(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    await window_opened(live, seam, "after 3s")
    told = await unlocked_by_keypad(live, lock_itself, slack)
    [waiting] = await rows(database_url, Relock)
    assert waiting.due_at is not None

    # Someone who may not lock the door, and a person who is not an admin asking for the whole
    # window: told alone, and nothing changes.
    assert told.args["text"].startswith("🔓 *Front Door* was unlocked (keypad code) at ")
    await tap(live, slack, told, KEEP_OPEN_ACTION_ID, "U9")
    await tap(live, slack, told, KEEP_OPEN_TO_END_ACTION_ID, "U1")
    refusals = [c.args["text"] for c in slack.calls_to("response_url")]
    assert refusals == [
        "🙅 Only people who may lock *Front Door* may keep it open.",
        "🙅 Only admins may keep *Front Door* open until the window ends.",
    ]
    # U1 may lock it: the relock moves 6 s (LOCKBOT_KEEP_OPEN_MINUTES) from the tap.
    await tap(live, slack, told, KEEP_OPEN_ACTION_ID, "U1")
    [kept] = await rows(database_url, Relock)
    assert kept.due_at is not None and kept.due_at > waiting.due_at
    await quiet(slack)  # the thread's line is posted after the tap's ack
    [line] = thread(slack, told)
    assert line.startswith("⏸️ <@U1> kept *Front Door* open: I'll lock it again at ")
    [audited] = [a for a in await rows(database_url, AuditEvent) if a.action == "keep_open"]
    assert (audited.actor, audited.target) == ("U1", "Front Door")

    # Past the first relock time nothing is locked; at the new one, the door is.
    await eventually(lambda: utcnow() > waiting.due_at + timedelta(seconds=1), 10, "first due")
    assert len(seam.calls_to(LOCK_DOOR)) == 1
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 20, "the postponed relock")
    [relock] = [r for r in await rows(database_url, LockRequest) if r.source == "relock"]
    assert relock.created_at >= kept.due_at
    await quiet(slack)
    assert thread(slack, told)[-1].startswith("✅ Locked again")


@windows
async def test_an_admin_may_keep_the_door_open_until_the_window_ends(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    await window_opened(live, seam, "after 2s")
    told = await unlocked_by_keypad(live, lock_itself, slack)
    [waiting] = await rows(database_url, Relock)

    await tap(live, slack, told, KEEP_OPEN_TO_END_ACTION_ID, "UADMIN")
    [kept] = await rows(database_url, Relock)
    assert kept.due_at == kept.window_end
    await quiet(slack)  # the thread's line is posted after the tap's ack
    [line] = thread(slack, told)
    end = f"{kept.window_end:%H:%M}"
    assert line == (
        f"⏸️ <@UADMIN> kept *Front Door* open until the window ends at {end}; I won't lock it again."
    )
    [audited] = [a for a in await rows(database_url, AuditEvent) if a.action == "keep_open"]
    assert audited.actor == "UADMIN" and f"until {kept.window_end:%Y-%m-%d %H:%M}" in audited.detail
    assert waiting.due_at is not None
    await eventually(lambda: utcnow() > waiting.due_at + timedelta(seconds=1.5), 10, "first due")
    assert len(seam.calls_to(LOCK_DOOR)) == 1  # the window's own lock only


@windows
async def test_quiet_hours_and_mutes_do_not_silence_a_window_and_lock_now_locks_it(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    for admin, said in (
        (f"quiet <#{CHANNEL}> 00:00-23:59", f"🌙 <#{CHANNEL}> is quiet 00:00–23:59"),
        ('mute "Front Door" lock.unlocked', "🔇 No more `lock.unlocked` news"),
    ):
        sent = await live.command(f"admin {admin}", user_id="UADMIN", channel_id=ALERTS)
        assert sent.response.json()["text"].startswith(said), sent.response.text
    await window_opened(live, seam, "never")

    told = await unlocked_by_keypad(live, lock_itself, slack)
    assert "I won't lock it again by myself" in told.args["text"]
    assert button_ids(told) == [LOCK_NOW_ACTION_ID]  # nothing to keep open

    await tap(live, slack, told, LOCK_NOW_ACTION_ID, "U1")
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 10, "Lock now")
    await quiet(slack)
    assert thread(slack, told)[-1].startswith("✅ Locked in ")
    [locked] = [r for r in await rows(database_url, LockRequest) if r.source == "slack"]
    assert (locked.user_id, locked.status) == ("U1", LockStatus.LOCKED)


@windows
async def test_a_failed_relock_is_tried_once_more_then_alerted_and_left(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    await window_opened(live, seam, "after 1s")
    seam.fail(LOCK_DOOR, status=503, times=5)
    told = await unlocked_by_keypad(live, lock_itself, slack)

    await eventually(
        lambda: any("I could not lock" in line for line in thread(slack, told)), 20, "giving up"
    )
    await asyncio.sleep(1.5)  # a third try would be asked by now
    [relock] = await rows(database_url, Relock)
    assert (relock.state, relock.outcome, relock.tries) == ("done", "failed", 2)
    relocks = [r for r in await rows(database_url, LockRequest) if r.source == "relock"]
    assert [r.status for r in relocks] == [LockStatus.FAILED, LockStatus.FAILED]
    gave_up = [
        c.args["text"] for c in slack.messages(ALERTS) if "I could not lock" in c.args["text"]
    ]
    assert len(gave_up) == 1 and "after 2 tries" in gave_up[0]


@windows
async def test_a_window_is_made_and_listed_as_one_in_slack_the_form_and_the_terminal(
    live: LiveBot, slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    typed = await say(
        live, "schedule front door weekdays at 22:00 until 07:00 in Europe/Berlin relock after 10m"
    )
    assert "every weekday at 22:00 until 07:00 (Europe/Berlin, relock after 10 min)" in typed
    formed = answer(await submit(live, SCHEDULE_VIEW, schedule_values(until="06:30")))
    told = formed["view"]["blocks"][0]["text"]["text"]
    assert "every weekday at 22:00 until 06:30 (America/New_York, relock after 5 min)" in told
    same = answer(await submit(live, SCHEDULE_VIEW, schedule_values(until="22:00")))
    assert same["errors"] == {"until": "Choose an end other than the start time."}
    cli = await terminal(
        database_url,
        tmp_path,
        "schedules",
        "add",
        "Back Door",
        "every day at 18:30 until 06:00 in Europe/Berlin",
        "--channel",
        CHANNEL,
        "--relock-after",
        "never",
    )
    assert cli.code == 0, cli
    assert "every day at 18:30 until 06:00 (Europe/Berlin, never relock)" in cli.out
    short = await terminal(
        database_url,
        tmp_path,
        "schedules",
        "add",
        "Back Door",
        "daily at 22:00 until 07:00",
        "--channel",
        CHANNEL,
        "--relock-after",
        "20s",
    )
    assert short.code == 1 and "Relock after at least 1 min." in short.out + short.err

    rows = await schedules(database_url)
    assert [(r.cron, r.window_minutes, r.relock_after_s) for r in rows] == [
        ("0 22 * * 1-5", 540, 600),
        ("0 22 * * 1-5", 510, 300),
        ("30 18 * * *", 690, None),
    ]
    listed = await say(live, "schedules")
    assert "until 07:00 (Europe/Berlin, relock after 10 min)" in listed
    assert "until 06:00 (Europe/Berlin, never relock)" in listed
    listing = await terminal(database_url, tmp_path, "schedules", "list")
    assert "until 06:30 (America/New_York, relock after 5 min)" in listing.out


@checked
async def test_without_events_a_state_check_finds_the_door_unlocked_and_it_is_relocked(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    await window_opened(live, seam, "after 2s")
    await set_locked(lock_itself, False)  # and Seam's event never comes

    def found() -> bool:
        return any("found unlocked by a check" in c.args["text"] for c in slack.messages(CHANNEL))

    await eventually(found, 10, "the check finding it unlocked")
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 10, "the relock")
    await asyncio.sleep(2.5)  # two more checks: the door is locked, nothing more to do
    assert len(seam.calls_to(LOCK_DOOR)) == 2
    assert [(r.method, r.outcome) for r in await rows(database_url, Relock)] == [(None, "relocked")]


@windows
async def test_a_relock_due_while_the_bot_was_down_runs_when_it_is_back(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    await window_opened(live, seam, "after 2s")
    told = await unlocked_by_keypad(live, lock_itself, slack)
    settings = live.bot.settings
    await live.bot.stop()
    [waiting] = await rows(database_url, Relock)
    assert waiting.state == "waiting" and waiting.due_at is not None
    await eventually(lambda: utcnow() > waiting.due_at + timedelta(seconds=1), 10, "due")
    assert len(seam.calls_to(LOCK_DOOR)) == 1

    # The same database, a new process: the relock row is still owed, and is carried out.
    restarted = Bot(settings, http=True, port=0)
    live.bot = restarted  # the fixture stops this one
    await restarted.start()
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 15, "the relock after restart")
    await quiet(slack)
    assert thread(slack, told)[-1].startswith("✅ Locked again")
    [done] = await rows(database_url, Relock)
    assert (done.outcome, done.tries) == ("relocked", 1)


@pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")
async def test_two_replicas_relock_once_and_a_leader_killed_mid_wait_still_relocks_on_time(
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    lock_itself: httpx.AsyncClient,
    tmp_path: Path,
    processes: list[BotProcess],
) -> None:
    await seed_doors(database_url)
    env = bot_env(
        database_url, seam.url, slack.api_url, SEAM_WEBHOOK_SECRET=SECRET, LOCKBOT_RELOCK_LOOK="0.2"
    )
    bots = [BotProcess(env, tmp_path) for _ in "ab"]
    processes.extend(bots)
    await asyncio.gather(*(b.start() for b in bots))
    async with httpx.AsyncClient() as client:

        async def one_leader() -> bool:
            return sorted(await leaders(client, bots)) == [0, 1]

        await wait_until(one_leader, 10, "exactly one leader")
        states = await leaders(client, bots)
        leader, follower = (bots[0], bots[1]) if states[0] == 1 else (bots[1], bots[0])

        # A window over Front Door that started a minute ago, relock after 6 s: the leader
        # catches it up and locks the door.
        fired = fired_ago(1)
        db = Database(database_url)
        async with db.session() as session:
            session.add(
                Schedule(
                    target="Front Door",
                    cron=f"{fired.minute} {fired.hour} * * *",
                    timezone="UTC",
                    channel_id=CHANNEL,
                    created_by="U1",
                    covered_until=fired - timedelta(minutes=1),
                    window_minutes=120,
                    relock_after_s=6,
                )
            )
            await notify_change(session)
            await session.commit()
        await db.close()
        await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 1, 10, "the window's lock")
        await assert_all_final(database_url)

        async def unlock() -> None:
            await set_locked(lock_itself, False)
            async with httpx.AsyncClient(base_url=follower.url) as webhook:
                answer = await post_event(webhook, seam_event("lock.unlocked", method="manual"))
            assert answer.json() == {"ok": True, "outcome": "relayed"}

        # 1. An unlock told through either replica: relocked once, by the leader.
        await unlock()
        await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 15, "the relock")
        await asyncio.sleep(1.5)  # a second relock would be asked by now
        assert len(seam.calls_to(LOCK_DOOR)) == 2
        await assert_all_final(database_url)

        # 2. Another unlock, and the leader is killed while the relock waits: the other replica
        # leads and relocks when it is due.
        await unlock()
        await leader.kill9()
        await wait_until(lambda: _leads(client, follower), 10, "the follower leading", every_s=0.1)
        await eventually(
            lambda: len(seam.calls_to(LOCK_DOOR)) == 3, 20, "the relock after failover"
        )
        await asyncio.sleep(1.5)
        assert len(seam.calls_to(LOCK_DOOR)) == 3
    relocks = await rows(database_url, Relock)
    assert [(r.outcome, r.tries) for r in relocks] == [("relocked", 1), ("relocked", 1)]
    asked = [r for r in await rows(database_url, LockRequest) if r.source == "relock"]
    assert [r.request_id for r in asked] == [f"relock-{r.id}-1" for r in relocks]
    late = asked[1].created_at - relocks[1].due_at
    print(f"relock after failover: {late.total_seconds():.2f} s after it was due")
    assert timedelta(0) <= late < timedelta(seconds=10)


async def _leads(client: httpx.AsyncClient, bot: BotProcess) -> bool:
    return await metric(client, bot, "lockbot_scheduler_leader") == 1
