"""Recurring locks end to end: `/lock schedule…` through the live bot over HTTP, and runs made
by its ScheduleRunner against Seam's fake server, told in the schedule's channel.

A run is brought about without waiting for the clock: a daily cron whose time was a few minutes
ago, and the row's covered_until moved back to just before it, is exactly what the bot finds
after downtime. The runner's own cron job for such a schedule is a day away, so it never fires
during a test and every Seam call counted here comes from the catch-up under test.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from bot.db import Database
from bot.models import Schedule, ScheduleRun, utcnow
from bot.runtime import Bot
from tests.e2e.conftest import ALERTS, LiveBot, bot_settings, followed_up, quiet
from tests.fakes.seam_proxy import SeamProxy
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


async def schedule_fired(live: LiveBot, fired: datetime, target: str = "front door") -> int:
    """A daily schedule (through Slack, by U1) that last fired at `fired`, not yet covered."""
    reply = await say(live, f"schedule {target} cron {fired.minute} {fired.hour} * * * in UTC")
    number = schedule_id(reply)
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
    assert (row.target, row.cron, row.timezone) == ("Front Door", "0 22 * * 1-5", "America/New_York")
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
    assert await say(live, f"unschedule {number}") == f"🗑️ Removed schedule `{number}` (*Front Door*)."
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
    restarted = Bot(
        bot_settings(database_url, seam.url, slack.api_url), http=True, port=0
    )
    live.bot = restarted  # the fixture stops this one
    await restarted.start()
    notice = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and "missed" in c.args.get("text", ""),
        timeout=15,
    )
    assert notice.args["channel"] == CHANNEL
    assert notice.args["text"].startswith(
        f"⏰❗ Schedule {number} (lock *Front Door*) missed the "
    ) and "(UTC): the bot was down" in notice.args["text"]
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
    number = await schedule_fired(live, fired_ago(3), target="back door")
    revoked = await say(live, 'admin revoke <@U1> "Back Door"', user_id="UADMIN")
    assert "U1" in revoked, revoked

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
