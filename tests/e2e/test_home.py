"""The App Home end to end (issue #14, part 2): a signed `app_home_opened` (HTTP and Socket
Mode) publishes the person's doors, schedules and, for admins, what needs attention; the Home's
Lock, Pause and Resume taps (signed `block_actions` from a view) go the way typed commands do;
and the view is published again when a lock settles or a Seam event changes a door."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlmodel import col, select

from bot.db import Database
from bot.door_state import Facts, Source, remember
from bot.models import Door, LockStatus, Schedule, utcnow
from bot.runtime import Bot
from tests.e2e.conftest import (
    SIGNING_SECRET,
    LiveBot,
    assert_all_final,
    lock_rows,
    quiet,
)
from tests.e2e.test_seam_webhook import SECRET, post_event, seam_event
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, SCHLAGE
from tests.fakes.slack_api import FakeSlack
from tests.support.block_kit import plain_angles
from tests.support.slack_requests import (
    app_home_opened,
    app_home_opened_payload,
    home_action,
    signed_headers,
)

# A person's Home is published at most once in this many seconds; short, so tests are quick.
pytestmark = pytest.mark.settings(LOCKBOT_HOME_REFRESH="0.2")
Json = dict[str, Any]


async def open_home(live: LiveBot, user_id: str = "U1", *, secret: str = SIGNING_SECRET) -> int:
    """Open the Home tab as Slack says so: a signed Events API POST. Returns the HTTP status."""
    body = app_home_opened(user_id)
    headers = signed_headers(body, secret, content_type="application/json")
    response = await live.http.post("/slack/events", content=body, headers=headers)
    return response.status_code


async def tap(live: LiveBot, value: str, user_id: str = "U1", **fields: Any) -> None:
    """A tap in the Home tab, signed like Slack's."""
    body = home_action(value, user_id=user_id, **fields)
    headers = signed_headers(body, SIGNING_SECRET)
    response = await live.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 200, response.text


async def home(slack: FakeSlack, user_id: str, count: int = 1, timeout_s: float = 10) -> Json:
    """The `count`th Home view published for `user_id` (waited for)."""
    deadline = time.monotonic() + timeout_s
    while len(views := slack.home_views(user_id)) < count:
        assert time.monotonic() < deadline, f"{len(views)} Home views for {user_id}, not {count}"
        await asyncio.sleep(0.02)
    return views[count - 1]


async def home_saying(slack: FakeSlack, user_id: str, text: str, timeout_s: float = 10) -> Json:
    """The first Home view for `user_id` whose words include `text` (waited for)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for view in slack.home_views(user_id):
            if text in words(view):
                return view
        assert time.monotonic() < deadline, f"no Home view for {user_id} says {text!r}"
        await asyncio.sleep(0.02)


def words(view: Json) -> str:
    return json.dumps(view, ensure_ascii=False)


def buttons(view: Json) -> list[tuple[str, str]]:
    """(action_id, value) of every button in the view, top to bottom."""
    found = []
    for block in view["blocks"]:
        elements = [block["accessory"]] if "accessory" in block else block.get("elements", [])
        found += [(e["action_id"], e["value"]) for e in elements if e.get("type") == "button"]
    return found


def dms(slack: FakeSlack, user_id: str) -> list[str]:
    return [c.args.get("text", "") for c in slack.messages(user_id)]


async def test_opening_home_publishes_the_persons_doors_and_only_theirs(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy
) -> None:
    assert await open_home(live, "U1") == 200
    view = await home(slack, "U1")
    View(**view).validate_json()  # a view Slack takes
    assert view["type"] == "home"
    assert buttons(view) == [("home_lock", "Back Door"), ("home_lock", "Front Door")]
    assert "Garage" not in words(view)
    assert "Needs attention" not in words(view)  # U1 is no admin
    assert "Your schedules" in words(view)
    assert not plain_angles(words(view)), "Slack would read these as links"

    # U7 may lock Garage through the SNIGHT user group, and nothing else.
    assert await open_home(live, "U7") == 200
    garage = await home(slack, "U7")
    assert buttons(garage) == [("home_lock", "Garage")]
    assert "Front Door" not in words(garage)
    assert seam.calls == []


async def test_an_unsigned_open_and_the_messages_tab_publish_nothing(
    live: LiveBot, slack: FakeSlack
) -> None:
    assert await open_home(live, "U1", secret="not-the-secret") == 401
    body = app_home_opened("U1", tab="messages")
    headers = signed_headers(body, SIGNING_SECRET, content_type="application/json")
    assert (await live.http.post("/slack/events", content=body, headers=headers)).status_code == 200
    await quiet(slack)
    assert slack.calls_to("views.publish") == []


async def test_a_lock_tap_locks_in_a_dm_thread_and_the_home_follows_it(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    seam.hold_attempts = True
    await open_home(live, "U1")
    await home(slack, "U1")
    await tap(live, "Front Door")
    attempt = await seam.wait_for_attempt()
    # No channel in the Home: the thread is in the person's DM with lockbot.
    root = await slack.wait_for(
        lambda c: c.args.get("text") == "🔒 Locking *Front Door* for <@U1>…"
    )
    assert root.args["channel"] == "U1" and "thread_ts" not in root.args
    pending = await home_saying(slack, "U1", "being locked now")
    assert ("home_lock", "Front Door") in buttons(pending)
    seen = len(slack.home_views("U1"))

    await seam.resolve(attempt, "success")
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert root.response is not None and update.args["ts"] == root.response["ts"]
    assert update.args["channel"] == "U1"
    assert update.args["text"].startswith("✅ *Front Door* is locked. Asked by <@U1>")
    # The lock settled: the Home is published again, and says so.
    settled = await home(slack, "U1", seen + 1)
    assert "locked by lockbot (<@U1>)" in words(settled)
    assert len(seam.calls_to("/locks/lock_door")) == 1
    assert [(r.user_id, r.channel_id, r.status) for r in await lock_rows(database_url)] == [
        ("U1", "U1", LockStatus.LOCKED)
    ]


async def test_a_double_tap_locks_once(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    seam.hold_attempts = True
    await tap(live, "Front Door")
    await tap(live, "Front Door")
    attempt = await seam.wait_for_attempt()
    await seam.resolve(attempt, "success")
    await slack.wait_for(lambda c: c.method == "chat.update")
    await quiet(slack)
    assert len(seam.calls_to("/locks/lock_door")) == 1
    rows = await lock_rows(database_url)
    assert [r.status for r in rows] == [LockStatus.LOCKED, LockStatus.LOCKED]
    assert rows[1].joined_id == rows[0].id


async def test_a_tap_by_someone_who_may_not_lock_is_refused_in_a_dm(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    await tap(live, "Garage", user_id="U1")  # a stale or forged view: U1 may not lock Garage
    await tap(live, "Front Door", menu=True, user_id="U2")  # U2 may lock nothing
    await slack.wait_for(lambda c: c.args.get("channel") == "U2")
    await quiet(slack)
    assert dms(slack, "U1")[0].startswith("🚫 You are not allowed to lock *Garage*.")
    assert dms(slack, "U2")[0].startswith("🚫 You are not allowed to lock *Front Door*.")
    assert seam.calls == []
    rows = await lock_rows(database_url)
    assert [(r.user_id, r.status) for r in rows] == [
        ("U1", LockStatus.DENIED),
        ("U2", LockStatus.DENIED),
    ]


async def schedule_rows(database_url: str) -> list[Schedule]:
    db = Database(database_url)
    async with db.session() as s:
        rows = list((await s.exec(select(Schedule).order_by(col(Schedule.id)))).all())
    await db.close()
    return rows


async def test_pause_and_resume_change_the_schedule_and_the_home(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    made = await live.command("schedule front door daily at 22:00 in UTC")
    assert made.response.json()["text"].startswith("⏰ Schedule `1`")
    await open_home(live, "U1")
    view = await home(slack, "U1")
    assert ("home_pause", "1") in buttons(view)
    assert "no runs yet" in words(view)

    await tap(live, "1", action_id="home_pause")
    paused = await home_saying(slack, "U1", "⏸️ paused")
    assert ("home_resume", "1") in buttons(paused)
    assert [s.paused for s in await schedule_rows(database_url)] == [True]

    # Someone else's schedule: refused, as `/lock resume 1` would be.
    await tap(live, "1", user_id="U2", action_id="home_resume")
    refused = await slack.wait_for(lambda c: c.args.get("channel") == "U2")
    typed = await live.command("resume 1", user_id="U2")
    assert refused.args["text"] == typed.response.json()["text"]
    assert refused.args["text"].startswith("⚠️ Schedule 1 belongs to")
    assert [s.paused for s in await schedule_rows(database_url)] == [True]

    seen = len(slack.home_views("U1"))
    await tap(live, "1", action_id="home_resume")
    resumed = await home(slack, "U1", seen + 1)
    assert ("home_pause", "1") in buttons(resumed)
    assert [s.paused for s in await schedule_rows(database_url)] == [False]


@pytest.mark.settings(LOCKBOT_HOME_REFRESH="0.2", SEAM_WEBHOOK_SECRET=SECRET)
async def test_an_event_refreshes_the_homes_of_those_who_see_the_door(
    live: LiveBot, slack: FakeSlack
) -> None:
    for user in ("U1", "U7"):
        await open_home(live, user)
        await home(slack, user)
    response = await post_event(live.http, seam_event("device.disconnected", AUGUST_1))
    assert response.json() == {"ok": True, "outcome": "relayed"}
    offline = await home(slack, "U1", 2)
    assert "📴 offline" in words(offline)
    await quiet(slack)
    assert len(slack.home_views("U7")) == 1, "U7 cannot see Front Door"
    assert len(slack.home_views("U1")) == 2


async def test_an_admin_sees_what_needs_attention(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    seam.failing_devices[AUGUST_1] = ("device_offline", "Device is offline")
    await live.command("front door", user_id="U1")
    assert [r.status for r in await assert_all_final(database_url)] == [LockStatus.FAILED]
    db = Database(database_url)
    now = utcnow()
    await remember(db, [(SCHLAGE, Facts(now, Source.EVENT, online=False))])
    await remember(db, [(AUGUST_1, Facts(now, Source.EVENT, battery_level=0.1))])
    async with db.session() as s:
        [back] = (await s.exec(select(Door).where(col(Door.name) == "Back Door"))).all()
        back.missing_at = now - timedelta(hours=1)
        s.add(back)
        await s.commit()
    await db.close()
    await open_home(live, "UADMIN")
    text = words(await home(slack, "UADMIN"))
    assert "Needs attention" in text and "`/lock admin help`" in text
    assert "📴 *Garage*: offline" in text
    assert "🪫 *Front Door*: battery low 10%" in text
    assert "🚪 *Back Door* is missing from Seam" in text
    assert "❌ *Front Door* failed (`device_offline`)" in text and "asked by <@U1>" in text
    await open_home(live, "U1")
    assert "Needs attention" not in words(await home(slack, "U1"))


async def test_opening_home_over_the_socket_publishes_it(socket_bot: Bot, slack: FakeSlack) -> None:
    await slack.send_envelope("events_api", app_home_opened_payload("U1"))
    view = await home(slack, "U1")
    assert buttons(view) == [("home_lock", "Back Door"), ("home_lock", "Front Door")]
