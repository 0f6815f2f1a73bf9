"""Door groups end to end: `/lock <group>` fans out to Seam's fake server under the in-flight
cap, tells one summary in one thread and one alert; plus the picker and the look-alike buttons,
tapped through signed interactivity payloads."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot import admin
from bot.db import Database
from bot.models import LockBatch, LockRequest, LockStatus
from tests.e2e.conftest import ALERTS, LiveBot, assert_all_final, quiet
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2, SCHLAGE
from tests.fakes.slack_api import Call, FakeSlack

OPERATOR = "cli:test"


async def make_group(database_url: str, name: str, doors: list[str], grant_to: str = "") -> None:
    db = Database(database_url)
    async with db.session() as s:
        await admin.add_group(s, OPERATOR, name, doors)
        if grant_to:
            await admin.grant(s, OPERATOR, grant_to, name)
    await db.close()


async def add_doors(database_url: str, count: int) -> list[str]:
    """`count` more doors, spread over the fake's three locks."""
    devices = [AUGUST_1, AUGUST_2, SCHLAGE]
    db = Database(database_url)
    names = [f"Room {i:02d}" for i in range(1, count + 1)]
    async with db.session() as s:
        for i, name in enumerate(names):
            await admin.add_door(s, OPERATOR, name, devices[i % 3])
    await db.close()
    return names


async def batches(database_url: str) -> list[LockBatch]:
    db = Database(database_url)
    async with db.session() as s:
        rows = list((await s.exec(select(LockBatch).order_by(col(LockBatch.id)))).all())
    await db.close()
    return rows


def thread(slack: FakeSlack, root: Call) -> list[str]:
    ts = root.response["ts"]  # type: ignore[index]
    return [c.args["text"] for c in slack.messages("C1") if c.args.get("thread_ts") == ts]


async def test_a_group_locks_every_door_with_one_root_one_summary_and_one_alert(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    await make_group(database_url, "Floor 2", ["Front Door", "Back Door", "Garage"], "U1")
    seam.failing_devices[AUGUST_2] = ("device_offline", "Lock is offline")

    sent = await live.command("floor 2")
    assert sent.response.status_code == 200 and sent.response.text == ""

    update = await slack.wait_for(lambda c: c.method == "chat.update")
    roots = [c for c in slack.messages("C1") if "thread_ts" not in c.args]
    assert [r.args["text"] for r in roots] == ["🔒 Locking *Floor 2* (3 doors) for <@U1>…"]
    assert update.args["ts"] == roots[0].response["ts"]  # type: ignore[index]
    assert update.args["text"].startswith(
        "⚠️ *Floor 2*: 2 of 3 locked, 1 failed: Back Door (device_offline). Asked by <@U1>"
    )
    lines = thread(slack, roots[0])
    assert len(lines) == 3, lines
    assert sorted(line.split("*")[1] for line in lines) == ["Back Door", "Front Door", "Garage"]
    assert any(line.startswith("❌ *Back Door*: `device_offline`") for line in lines)
    await slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == ALERTS)
    await quiet(slack)
    alerts = slack.messages(ALERTS)
    assert len(alerts) == 1, "one alert for the group, not one per door"
    assert "Back Door" in alerts[0].args["text"] and "Front Door" not in alerts[0].args["text"]

    rows = await assert_all_final(database_url)
    assert {r.door_name: r.status for r in rows} == {
        "Front Door": LockStatus.LOCKED,
        "Back Door": LockStatus.FAILED,
        "Garage": LockStatus.LOCKED,
    }
    (batch,) = await batches(database_url)
    assert batch.status is LockStatus.FAILED and {r.batch_id for r in rows} == {batch.id}
    assert batch.summary == "2 of 3 locked, 1 failed: Back Door (device_offline)"
    assert len(seam.calls_to("/locks/lock_door")) == 3


async def test_a_group_grant_covers_doors_added_later(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    await make_group(database_url, "Night", ["Garage"], "U2")
    (room,) = await add_doors(database_url, 1)
    sent = await live.command(room, user_id="U2")
    assert "not allowed" in sent.response.json()["text"]
    await make_group(database_url, "Night", [room])
    sent = await live.command(room, user_id="U2")
    assert sent.response.text == "", "the grant on the group now covers the new door"
    await slack.wait_for(lambda c: c.method == "chat.update" and "is locked" in c.args["text"])


@pytest.mark.settings(LOCKBOT_FANOUT_LIMIT="3")
async def test_fan_out_never_has_more_attempts_open_than_the_cap(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    rooms = await add_doors(database_url, 9)
    await make_group(database_url, "Wing", rooms, "U1")
    seam.delay_s = 0.2  # every Seam call, lock_door and each poll, takes 200 ms more

    await live.command("wing")
    update = await slack.wait_for(
        lambda c: c.method == "chat.update" and "Wing" in c.args["text"], timeout=30
    )
    assert "9 of 9 locked" in update.args["text"]
    assert len(seam.calls_to("/locks/lock_door")) == 9
    assert seam.peak_open_attempts == 3, "the cap is reached, and never passed"


async def test_a_group_is_denied_whole_when_one_door_is_not_allowed(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    await make_group(database_url, "Floor 2", ["Front Door", "Garage"])
    sent = await live.command("floor 2")  # U1 may lock Front Door, not Garage
    text = sent.response.json()["text"]
    assert text.startswith("🚫 You may not lock every door of *Floor 2* (not: *Garage*)")
    assert seam.calls == [] and slack.messages() == []
    (batch,) = await batches(database_url)
    assert batch.status is LockStatus.DENIED and batch.user_id == "U1"


async def test_picker_shows_what_this_user_may_lock_and_a_tap_locks_it(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    await make_group(database_url, "Ground", ["Front Door", "Back Door"])
    sent = await live.command("")
    body = sent.response.json()
    assert body["response_type"] == "ephemeral"
    buttons = body["blocks"][1]["elements"]
    assert [b["value"] for b in buttons] == ["Ground", "Back Door", "Front Door"]
    assert "Garage" not in str(body), "U1 may not lock Garage, so it is not offered"

    tapped = await live.action("Front Door", response_url=slack.response_url("pick"))
    assert tapped.status_code == 200
    await slack.wait_for(lambda c: c.method == "chat.update" and "Front Door" in c.args["text"])
    (row,) = await assert_all_final(database_url)
    assert (row.user_id, row.door_name, row.status) == ("U1", "Front Door", LockStatus.LOCKED)
    (answer,) = slack.calls_to("response_url")
    assert answer.args["replace_original"] is True
    assert answer.args["text"].startswith("👍 Locking *Front Door*")


async def test_a_forged_tap_goes_through_the_same_permission_check(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    tapped = await live.action("Garage", response_url=slack.response_url("pick"))
    assert tapped.status_code == 200
    answer = await slack.wait_for(lambda c: c.method == "response_url")
    assert answer.args["text"].startswith("🚫 You are not allowed to lock *Garage*")
    assert seam.calls == []
    (row,) = await assert_all_final(database_url)
    assert row.status is LockStatus.DENIED


async def test_an_unsigned_tap_is_refused(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    tapped = await live.action("Front Door", secret="not-the-secret")
    assert tapped.status_code == 401
    assert seam.calls == [] and slack.calls_to("response_url") == []
    db = Database(database_url)
    async with db.session() as s:
        assert (await s.exec(select(LockRequest))).all() == []
    await db.close()


async def test_an_unclear_name_gets_buttons_not_a_guess(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    sent = await live.command("door")
    body = sent.response.json()
    assert body["text"].startswith("🤔 I don't know a door called “door”")
    assert sorted(b["value"] for b in body["blocks"][1]["elements"]) == ["Back Door", "Front Door"]
    assert seam.calls == []
    await live.action("Back Door", response_url=slack.response_url("pick"))
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert update.args["text"].startswith("✅ *Back Door* is locked")
