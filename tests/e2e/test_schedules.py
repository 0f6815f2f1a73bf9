"""Recurring locks end to end: `/lock schedule…` through the live bot over HTTP, and runs made
by its ScheduleRunner against Seam's fake server, told in the schedule's channel.

A run is brought about without waiting for the clock: a daily cron whose time was a few minutes
ago, and the row's covered_until moved back to just before it, is exactly what the bot finds
after downtime. The runner's own cron job for such a schedule is a day away, so it never fires
during a test and every Seam call counted here comes from the catch-up under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.models import LockStatus, Schedule, ScheduleRun, utcnow
from bot.runtime import Bot
from tests.e2e.conftest import ALERTS, LiveBot, bot_settings, followed_up, lock_rows, quiet
from tests.e2e.test_cli import OURS, Cli, Result, lockbot
from tests.e2e.test_seam_webhook import SECRET, post_event, seam_event, with_secret
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2
from tests.fakes.slack_api import FakeSlack

CHANNEL = "CSCHED"
# "Mon 03 Jun 22:00": how the bot writes a run time.
RUN = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d [A-Z][a-z]{2} \d\d:\d\d"


async def say(live: LiveBot, text: str, user_id: str = "U1", channel_id: str = CHANNEL) -> str:
    """`/lock <text>`; the answer only the asker sees."""
    sent = await live.command(text, user_id=user_id, channel_id=channel_id)
    assert sent.response.status_code == 200
    body = sent.response.json()
    assert body.get("response_type") == "ephemeral", body
    text_out: str = body["text"]
    return text_out


async def schedule(live: LiveBot, slack: FakeSlack, text: str, user_id: str = "U1") -> str:
    """`/lock schedule <text>` without a zone: acked at once, answered at the response_url once
    Slack has said the asker's time zone."""
    note, answer = await followed_up(
        live, slack, f"schedule {text}", user_id=user_id, channel_id=CHANNEL
    )
    assert note.startswith("⏳ Scheduling *") and note.endswith("in your Slack time zone…"), note
    return answer


def schedule_id(reply: str) -> int:
    match = re.match(r"⏰ Schedule `(\d+)`", reply)
    assert match, reply
    return int(match.group(1))


async def schedules(database_url: str) -> list[Schedule]:
    db = Database(database_url)
    async with db.session() as s:
        rows = list((await s.exec(select(Schedule).order_by(col(Schedule.id)))).all())
    await db.close()
    return rows


async def schedule_runs(database_url: str) -> list[ScheduleRun]:
    db = Database(database_url)
    async with db.session() as s:
        rows = list((await s.exec(select(ScheduleRun).order_by(col(ScheduleRun.id)))).all())
    await db.close()
    return rows


async def cover_until(database_url: str, schedule_id: int, moment: datetime) -> None:
    """Say the schedule was settled up to `moment`, as if the bot had been away since."""
    db = Database(database_url)
    async with db.writing() as s:
        await s.exec(
            sa.update(Schedule).where(col(Schedule.id) == schedule_id).values(covered_until=moment)
        )
        await s.commit()
    await db.close()


def fired_ago(minutes: int) -> datetime:
    return utcnow().replace(second=0, microsecond=0) - timedelta(minutes=minutes)


async def schedule_at(live: LiveBot, fired: datetime, target: str = "front door") -> int:
    """A daily schedule (through Slack, by U1) at `fired`'s time of day, covered until now."""
    reply = await say(live, f"schedule {target} cron {fired.minute} {fired.hour} * * * in UTC")
    return schedule_id(reply)


async def schedule_fired(live: LiveBot, fired: datetime, target: str = "front door") -> int:
    """A daily schedule (through Slack, by U1) that last fired at `fired`, not yet covered."""
    number = await schedule_at(live, fired, target)
    await cover_until(live.bot.settings.database_url, number, fired - timedelta(minutes=1))
    return number


async def test_scheduling_answers_in_words_with_the_next_runs_in_the_users_zone(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    slack.timezones["U1"] = "America/New_York"
    reply = await schedule(live, slack, "front door weekdays at 22:00")
    assert reply.startswith(
        "⏰ Schedule `1`: I'll lock *Front Door* every weekday at 22:00 (America/New_York) and "
        f"report here in <#{CHANNEL}>. Next runs: "
    ), reply
    runs = re.findall(RUN, reply)
    assert len(runs) == 3 and all(r.endswith("22:00") and r[:3] not in "SatSun" for r in runs)
    assert "`/lock pause 1`" in reply and "`/lock unschedule 1`" in reply
    [row] = await schedules(database_url)
    assert (row.target, row.cron, row.timezone) == (
        "Front Door",
        "0 22 * * 1-5",
        "America/New_York",
    )
    assert (row.channel_id, row.created_by, row.paused) == (CHANNEL, "U1", False)

    berlin = await say(live, "schedule back door daily at 6:30am in Europe/Berlin")
    assert "every day at 06:30 (Europe/Berlin)" in berlin
    assert [r.timezone for r in await schedules(database_url)] == [
        "America/New_York",
        "Europe/Berlin",
    ]


async def test_a_bad_when_or_a_door_out_of_reach_is_refused(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    bad = await say(live, "schedule front door at 25:00 on mondays")
    assert bad.startswith("⚠️ `25:00` is not a time of day") and "every weekday at 22:00" in bad
    no_when = await say(live, "schedule front door")
    assert "/lock schedule front door every weekday at 22:00" in no_when
    assert slack.calls_to("users.info") == []  # told at once, without asking Slack
    garage = await schedule(live, slack, "garage daily at 22:00")
    assert garage.startswith("⚠️ You may schedule only what you may lock") and "Garage" in garage
    assert await schedules(database_url) == []
    # U7 may lock Garage through the SNIGHT user group, so may schedule it.
    assert schedule_id(await schedule(live, slack, "garage daily at 22:00", user_id="U7")) == 1


async def test_list_pause_resume_and_unschedule(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    number = schedule_id(await schedule(live, slack, "front door every weekday at 22:00"))
    listed = await say(live, "schedules")
    assert listed.startswith("⏰ *Schedules*\n")
    assert re.search(
        rf"`{number}` \*Front Door\*: every weekday at 22:00 \(Europe/Berlin\), next {RUN}, "
        rf"in <#{CHANNEL}>, by <@U1>",
        listed,
    ), listed
    assert (await say(live, "schedules", user_id="U9")).startswith("📭 No schedules")

    assert await say(live, f"pause {number}") == f"⏸️ Paused schedule `{number}`: *Front Door*."
    assert "⏸️ paused" in await say(live, "schedules")
    assert [r.paused for r in await schedules(database_url)] == [True]
    resumed = await say(live, f"resume {number}")
    assert resumed.startswith(f"▶️ Resumed: `{number}` *Front Door*") and "next " in resumed

    refused = await say(live, f"unschedule {number}", user_id="U7")
    assert "belongs to U1; only they or an admin may change it" in refused
    assert len(await schedules(database_url)) == 1
    assert (
        await say(live, f"unschedule {number}") == f"🗑️ Removed schedule `{number}` (*Front Door*)."
    )
    assert await schedules(database_url) == []


async def test_an_admin_may_remove_anyones_schedule(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    number = schedule_id(await schedule(live, slack, "back door daily at 23:00"))
    assert "belongs to U1" in await say(live, f"pause {number}", user_id="U7")
    assert f"`{number}` *Back Door*" in await say(live, "schedules", user_id="UADMIN")
    removed = await say(live, f"unschedule {number}", user_id="UADMIN")
    assert removed == f"🗑️ Removed schedule `{number}` (*Back Door*)."
    assert await schedules(database_url) == []


async def test_scheduling_is_acked_while_slack_is_still_asked_for_the_zone(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    gate = slack.hold("users.info")
    sent = await live.command(
        "schedule front door daily at 22:00",
        channel_id=CHANNEL,
        response_url=slack.response_url(),
    )
    assert sent.response.status_code == 200
    assert sent.response.json()["text"] == "⏳ Scheduling *front door* in your Slack time zone…"
    await gate.arrived()  # users.info is at Slack, held: the ack above did not wait for it
    assert slack.calls_to("response_url") == []
    assert await schedules(database_url) == []
    gate.release()
    answer = await slack.wait_for(lambda c: c.method == "response_url")
    assert answer.args["text"].startswith(
        "⏰ Schedule `1`: I'll lock *Front Door* every day at 22:00 (Europe/Berlin)"
    )
    assert [r.timezone for r in await schedules(database_url)] == ["Europe/Berlin"]


async def test_a_due_run_locks_and_tells_the_channel_once(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    fired = fired_ago(2)
    number = await schedule_fired(live, fired)

    await live.bot.schedule_runner.catch_up(number)
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    [root] = [c for c in slack.messages(CHANNEL) if "thread_ts" not in c.args]
    assert root.args["text"] == "⏰ Scheduled lock: *Front Door* (1 door), set by <@U1>…"
    assert update.args["channel"] == CHANNEL and update.args["ts"] == root.response["ts"]  # type: ignore[index]
    assert update.args["text"].startswith(
        "⏰ Scheduled lock: *Front Door*, 1 of 1 locked. Set by <@U1>, took"
    ), update.args["text"]
    assert len(seam.calls_to("/locks/lock_door")) == 1

    # A second catch-up, and a second runner on the same database that still thinks the fire
    # is open: the run's row is claimed, so neither locks again.
    await live.bot.schedule_runner.catch_up(number)
    await cover_until(database_url, number, fired - timedelta(minutes=1))
    other = Bot(live.bot.settings, http=True, port=0)
    try:
        await other.schedule_runner.catch_up(number)
    finally:
        await other.runtime.close()
    await quiet(slack)
    assert len(seam.calls_to("/locks/lock_door")) == 1
    assert [(r.fire_at, r.outcome) for r in await schedule_runs(database_url)] == [(fired, "late")]
    assert not [c for c in slack.messages(CHANNEL) if "missed" in c.args["text"]]


async def test_a_run_missed_while_the_bot_was_down_is_reported_after_the_restart(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    fired = fired_ago(20)  # beyond the default 10 minutes of grace
    reply = await say(live, f"schedule front door cron {fired.minute} {fired.hour} * * * in UTC")
    number = schedule_id(reply)
    await live.bot.stop()
    await cover_until(database_url, number, fired - timedelta(minutes=1))

    # The same database, a new process: the runner's first reload settles the downtime.
    restarted = Bot(bot_settings(database_url, seam.url, slack.api_url), http=True, port=0)
    live.bot = restarted  # the fixture stops this one
    await restarted.start()
    notice = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "missed" in c.args.get("text", ""),
        timeout=15,
    )
    assert notice.args["channel"] == CHANNEL
    assert (
        notice.args["text"].startswith(f"⏰❗ Schedule {number} (lock *Front Door*) missed the ")
        and "(UTC): the bot was down" in notice.args["text"]
    )
    # The alert channel hears of it too, right after the schedule's own channel.
    await quiet(slack)
    assert [c.args["channel"] for c in slack.messages() if "missed" in c.args["text"]] == [
        CHANNEL,
        ALERTS,
    ]
    assert seam.calls_to("/locks/lock_door") == []
    assert [(r.fire_at, r.outcome) for r in await schedule_runs(database_url)] == [
        (fired, "missed")
    ]
    [row] = await schedules(database_url)
    assert row.covered_until > fired + timedelta(minutes=19)


async def test_a_run_whose_creator_lost_access_is_reported_not_run(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    fired = fired_ago(3)
    number = await schedule_at(live, fired, target="back door")
    revoked = await say(live, 'admin revoke <@U1> "Back Door"', user_id="UADMIN")
    assert "U1" in revoked, revoked
    # Due only now: the runner may catch up on its own as soon as a run is due.
    await cover_until(database_url, number, fired - timedelta(minutes=1))

    await live.bot.schedule_runner.catch_up(number)
    notice = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "did not lock" in c.args.get("text", "")
    )
    assert notice.args["channel"] == CHANNEL
    assert notice.args["text"] == (
        f"⏰🚫 Schedule {number} did not lock *Back Door*: <@U1> may no longer lock Back Door. "
        f"Ask an admin, or remove it with `/lock unschedule {number}`."
    )
    await quiet(slack)
    assert seam.calls_to("/locks/lock_door") == []
    assert [r.outcome for r in await schedule_runs(database_url)] == ["denied"]


# -- trust at the edges (#12): channel limits, floods, lost claims -----------------------------


async def admin(live: LiveBot, text: str) -> str:
    return await say(live, f"admin {text}", user_id="UADMIN", channel_id="C1")


async def terminal(database_url: str, tmp_path: Path, *args: str) -> Result:
    """`lockbot …` as a child process, an operator at the terminal (cli:<login>)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env |= {"DATABASE_URL": database_url, "USER": "alice", "LOGNAME": "alice"}
    return await lockbot(*args, cli=Cli(env, tmp_path))


async def test_a_schedule_must_report_where_its_doors_may_be_locked_from(
    live: LiveBot, database_url: str, tmp_path: Path
) -> None:
    await admin(live, 'add-group "Floor" "Front Door" "Back Door"')
    limited = await admin(live, 'channels "Front Door" <#CSEC|security>')
    assert "CSEC" in limited, limited

    # From a DM: refused, with the channel that would do; nothing is stored.
    for target in ("front door", "floor"):
        refused = await say(
            live, f"schedule {target} daily at 22:00 in Europe/Berlin", channel_id="D42"
        )
        assert refused == (
            "⚠️ A schedule's runs lock from the channel they report in, and <#D42> is not one "
            "its doors may be locked from: *Front Door* only from <#CSEC>. Schedule it from there."
        )
    cli = await terminal(
        database_url, tmp_path, "schedules", "add", "Floor", "daily at 22:00", "--channel", "D42"
    )
    assert cli.code == 1 and "Front Door only from CSEC" in cli.err + cli.out, cli
    assert await schedules(database_url) == []

    # From the channel the door allows: fine, in Slack and at the terminal.
    assert (
        schedule_id(
            await say(live, "schedule floor daily at 22:00 in Europe/Berlin", channel_id="CSEC")
        )
        == 1
    )
    cli = await terminal(
        database_url, tmp_path, "schedules", "add", "Floor", "daily at 23:00", "--channel", "CSEC"
    )
    assert cli.code == 0, cli
    assert [s.channel_id for s in await schedules(database_url)] == ["CSEC", "CSEC"]


@with_secret
async def test_a_run_skips_and_names_a_door_limited_to_other_channels_since(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy
) -> None:
    await admin(live, 'add-group "Floor" "Front Door" "Back Door"')
    group_fired, door_fired = fired_ago(2), fired_ago(3)
    group = await schedule_at(live, group_fired, target="floor")
    door = await schedule_at(live, door_fired, target="front door")
    # The limit comes after the schedules were made; their runs still obey it. Their missed runs
    # are made due only then: the runner may catch up on its own as soon as a run is due.
    await admin(live, 'channels "Front Door" <#CSEC|security>')
    url = live.bot.settings.database_url
    await cover_until(url, group, group_fired - timedelta(minutes=1))
    await cover_until(url, door, door_fired - timedelta(minutes=1))

    await live.bot.schedule_runner.catch_up(group)
    await live.bot.schedule_runner.catch_up(door)
    await quiet(slack)
    assert len(seam.calls_to("/locks/lock_door")) == 1
    rows = await lock_rows(live.bot.settings.database_url)
    assert sorted((r.door_name, r.status, r.error_type) for r in rows) == [
        ("Back Door", LockStatus.LOCKED, None),
        ("Front Door", LockStatus.REJECTED, "wrong_channel"),
        ("Front Door", LockStatus.REJECTED, "wrong_channel"),
    ]
    finals = sorted(c.args["text"] for c in slack.calls_to("chat.update"))
    assert [f.split(". Set by")[0] for f in finals] == [
        "⚠️ Scheduled lock: *Floor*, 1 of 2 locked, 1 skipped: Front Door (not from this channel)",
        "⚠️ Scheduled lock: *Front Door*, 0 of 1 locked, 1 skipped: Front Door "
        "(not from this channel)",
    ]
    # No run locked Front Door, so its unlock is ordinary news; Back Door's is unexpected.
    assert await unlock_news(live.http, slack) == [
        "🔓 *Front Door* was unlocked (manual)",
        "⚠️ Unexpected: *Back Door* was unlocked (manual)",
    ]


async def test_a_run_whose_channel_refuses_posts_reports_in_the_alert_channel(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy
) -> None:
    fired = fired_ago(2)
    number = await schedule_at(live, fired)
    slack.fail("chat.postMessage", error="not_in_channel", channel=CHANNEL)
    # Due only now: the runner may catch up on its own as soon as a run is due.
    await cover_until(live.bot.settings.database_url, number, fired - timedelta(minutes=1))

    await live.bot.schedule_runner.catch_up(number)
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    await quiet(slack)
    [refused] = [c for c in slack.calls_to("chat.postMessage") if c.failed]
    assert refused.args["channel"] == CHANNEL
    [root] = [c for c in slack.messages(ALERTS) if "thread_ts" not in c.args]
    assert root.args["text"] == (
        f"📭 I can't post in <#{CHANNEL}> (`not_in_channel`), so this scheduled run reports here. "
        "Invite me there (`/invite @lockbot`), or move the schedule.\n"
        "⏰ Scheduled lock: *Front Door* (1 door), set by <@U1>…"
    )
    assert root.response is not None and update.args["ts"] == root.response["ts"]
    assert update.args["channel"] == ALERTS
    assert update.args["text"].startswith(
        f"📭 I can't post in <#{CHANNEL}>, so this scheduled run reports here. Invite me there "
        "(`/invite @lockbot`), or move the schedule.\n⏰ Scheduled lock: *Front Door*, 1 of 1 "
        "locked. Set by <@U1>"
    ), update.args["text"]
    assert len(seam.calls_to("/locks/lock_door")) == 1


@pytest.mark.settings(LOCKBOT_SCHEDULES_PER_PERSON="2")
async def test_people_who_are_not_admins_cannot_flood_a_channel(
    live: LiveBot, database_url: str, tmp_path: Path
) -> None:
    often = await say(live, "schedule front door cron * * * * * in Europe/Berlin")
    assert often == (
        "⚠️ cron `* * * * *` (Europe/Berlin) runs as often as every 1 min; a schedule may run at "
        "most once every 1 h. Pick a longer interval, or ask an admin."
    )
    assert "every 5 min" in await say(live, "schedule front door cron */5 * 1 * * in Europe/Berlin")
    assert schedule_id(
        await say(live, "schedule front door cron * * * * * in Europe/Berlin", user_id="UADMIN")
    )

    first = schedule_id(
        await say(live, "schedule front door cron 0 * * * * in Europe/Berlin")
    )  # hourly: fine
    schedule_id(await say(live, "schedule back door daily at 22:00 in Europe/Berlin"))
    too_many = await say(live, "schedule back door daily at 23:00 in Europe/Berlin")
    assert too_many == (
        "⚠️ <@U1> already has 2 active schedules, the most one person may have. Pause or remove "
        "one first (`/lock schedules` lists them)."
    )
    assert (await say(live, f"pause {first}")).startswith("⏸️ Paused")
    third = schedule_id(await say(live, "schedule back door daily at 23:00 in Europe/Berlin"))
    assert await say(live, f"resume {first}") == too_many
    assert (await say(live, f"resume {first}", user_id="UADMIN")).startswith("▶️ Resumed")

    # The terminal's operator is an admin there, and may even make one for U1 beyond the cap.
    cli = await terminal(
        database_url,
        tmp_path,
        "schedules",
        "add",
        "Front Door",
        "cron * * * * *",
        "--channel",
        "C1",
        "--as",
        "U1",
    )
    assert cli.code == 0, cli
    rows = await schedules(database_url)
    assert [(r.created_by, r.cron, r.paused) for r in rows] == [
        ("UADMIN", "* * * * *", False),
        ("U1", "0 * * * *", False),
        ("U1", "0 22 * * *", False),
        ("U1", "0 23 * * *", False),
        ("U1", "* * * * *", False),
    ]
    assert rows[3].id == third


@with_secret
async def test_a_closed_runner_leaves_a_new_schedules_due_run_to_the_next_leader(
    live: LiveBot, seam: SeamProxy, database_url: str
) -> None:
    # Shutting down: a schedule made now must not run on this replica on its way out, whether
    # its change's reload comes late or a job fires (as `fire` is called here: its run is due).
    runner = live.bot.schedule_runner
    await runner.close()
    number = await schedule_fired(live, fired_ago(2))
    await runner.reload()
    await runner.fire(number)
    await asyncio.sleep(0.3)
    assert await schedule_runs(database_url) == []
    assert seam.calls_to("/locks/lock_door") == []


@with_secret
async def test_a_run_lost_between_claim_and_lock_is_reported_missed_once_and_not_counted(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    # The test drives these runs itself: the running leader must not reach them first.
    await live.bot.schedule_runner.close()
    fired = fired_ago(2)
    lost = await schedule_fired(live, fired)
    ran = await schedule_fired(live, fired_ago(3), target="back door")

    # The process fails between claiming the run and recording its lock.
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    live.bot.runtime.service.submit = broken  # type: ignore[method-assign]
    with contextlib.suppress(RuntimeError):
        await live.bot.schedule_runner.catch_up(lost)
    await live.bot.stop()
    assert [(r.schedule_id, r.batch_id) for r in await schedule_runs(database_url)] == [
        (lost, None)
    ]
    # Down a while: the claim is older than the bound when the next leader starts. The other
    # schedule's run is due then, and runs.
    await backdate_runs(database_url, timedelta(minutes=3))
    await cover_until(database_url, ran, fired_ago(3) - timedelta(minutes=1))
    restarted = Bot(
        bot_settings(database_url, seam.url, slack.api_url, SEAM_WEBHOOK_SECRET=SECRET),
        http=True,
        port=0,
    )
    live.bot = restarted  # the fixture stops this one
    await restarted.start()
    await slack.wait_for(lambda c: c.method == "chat.update", timeout=15)
    await quiet(slack)
    missed = [c for c in slack.messages() if " missed " in c.args.get("text", "")]
    assert [c.args["channel"] for c in missed] == [CHANNEL, ALERTS]
    assert (
        missed[0].args["text"].startswith(f"⏰❗ Schedule {lost} (lock *Front Door*) missed the ")
        and "the bot stopped or failed as it began, and nothing was locked"
        in missed[0].args["text"]
    )
    assert len(seam.calls_to("/locks/lock_door")) == 1
    assert [(r.door_name, r.status) for r in await lock_rows(database_url)] == [
        ("Back Door", LockStatus.LOCKED)
    ]
    outcomes = {
        r.schedule_id: (r.outcome, r.batch_id is None) for r in await schedule_runs(database_url)
    }
    assert outcomes == {lost: ("missed", True), ran: ("late", False)}

    # Unlocks now: only the door a run really locked is "unexpected".
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{restarted.port}") as http:
        assert await unlock_news(http, slack) == [
            "🔓 *Front Door* was unlocked (manual)",
            "⚠️ Unexpected: *Back Door* was unlocked (manual)",
        ]
    # Reported once: a reload later finds nothing left to tell.
    await restarted.schedule_runner.reload()
    await quiet(slack)
    assert len([c for c in slack.messages() if " missed " in c.args.get("text", "")]) == 2


async def backdate_runs(database_url: str, by: timedelta) -> None:
    db = Database(database_url)
    async with db.writing() as s:
        for run in (await s.exec(select(ScheduleRun))).all():
            run.started_at -= by
            s.add(run)
        await s.commit()
    await db.close()


async def unlock_news(http: httpx.AsyncClient, slack: FakeSlack) -> list[str]:
    """Seam says Front Door, then Back Door, was unlocked by hand; what the alert channel is
    told of each, up to the time."""
    for device in (AUGUST_1, AUGUST_2):
        response = await post_event(http, seam_event("lock.unlocked", device, method="manual"))
        assert response.status_code in (200, 204), response.text
    await quiet(slack)
    news = [c.args["text"] for c in slack.messages(ALERTS) if " was unlocked " in c.args["text"]]
    return [re.sub(r" at \d\d:\d\d, .*", "", text) for text in news]
