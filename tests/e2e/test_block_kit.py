"""Block Kit in the channel, end to end: the root message, a failure's Try again button (tapped
through signed interactivity payloads shaped like Slack's), a group's doors as fields, and the
alert's button to the thread, device news. Every message the fake Slack receives is held against
slack_sdk's models."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.db import Database
from bot.door_admin import set_channels
from bot.slack.blockkit import LINK_ACTION_ID, RETRY_ACTION_ID
from tests.e2e.conftest import ALERTS, LiveBot, assert_all_final, quiet
from tests.e2e.test_groups import make_group
from tests.e2e.test_seam_webhook import post_event, seam_event, with_secret
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2
from tests.fakes.slack_api import Call, FakeSlack
from tests.support.block_kit import buttons, field_texts, mrkdwn, valid_blocks

LOCK_DOOR = "/locks/lock_door"


def roots(slack: FakeSlack) -> list[Call]:
    return [c for c in slack.messages("C1") if "thread_ts" not in c.args]


def root_ts(slack: FakeSlack) -> str:
    (root,) = roots(slack)
    assert root.response is not None
    return str(root.response["ts"])


def thread(slack: FakeSlack) -> list[str]:
    ts = root_ts(slack)
    return [c.args["text"] for c in slack.messages("C1") if c.args.get("thread_ts") == ts]


async def updated(slack: FakeSlack, mark: str, seen: int = 0) -> Call:
    """The root's edit whose text starts with `mark`, after the first `seen` edits."""
    return await slack.wait_for(
        lambda c: (
            c.method == "chat.update"
            and c.args["text"].startswith(mark)
            and c in slack.calls_to("chat.update")[seen:]
        )
    )


def as_slack_shows(slack: FakeSlack, update: Call) -> dict[str, Any]:
    """The root message as Slack sends it along with a tap on one of its buttons."""
    return {
        "type": "message",
        "ts": root_ts(slack),
        "user": "UBOT",
        "bot_id": "BBOT",
        "text": update.args["text"],
        "blocks": update.args["blocks"],
    }


def try_again(update: Call) -> str:
    (button,) = [b for b in buttons(valid_blocks(update.args)) if b.action_id == RETRY_ACTION_ID]
    assert button.text is not None and "Try again" in button.text.text
    assert button.value is not None
    return button.value


async def fail_once(live: LiveBot, seam: SeamProxy, slack: FakeSlack) -> Call:
    """`/lock front door` in C1 with the lock offline: its root edited to the failure."""
    seam.failing_devices[AUGUST_1] = ("device_offline", "Lock is offline")
    await live.command("front door")
    failure = await updated(slack, "❌")
    del seam.failing_devices[AUGUST_1]
    await slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args["channel"] == ALERTS)
    return failure


def every_message_is_block_kit(slack: FakeSlack) -> None:
    sent = [c for c in slack.calls if c.method in ("chat.postMessage", "chat.update")]
    assert sent
    for call in sent:
        valid_blocks(call.args)


async def test_a_failure_offers_try_again_and_a_tap_locks_in_the_same_thread(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    failure = await fail_once(live, seam, slack)
    root = valid_blocks(roots(slack)[0].args)
    assert "🔒 Locking *Front Door*…" in mrkdwn(root)
    assert "Asked by <@U1> in <#C1>" in mrkdwn(root)
    shown = mrkdwn(valid_blocks(failure.args))
    assert "❌ Could not lock *Front Door* (`device_offline`)" in shown
    assert "Asked by <@U1> in <#C1> · " in shown  # who, from where, how long
    assert failure.args["text"].startswith("❌ Could not lock *Front Door*")  # the fallback
    assert try_again(failure) == "Front Door"

    # The alert: what to check at an offline lock, and a button to the thread.
    alert = valid_blocks(slack.messages(ALERTS)[0].args)
    assert "*What to check:* Check that the lock has power" in mrkdwn(alert)
    (link,) = buttons(alert)
    assert link.action_id == LINK_ACTION_ID
    permalink = slack.calls_to("chat.getPermalink")[0].response
    assert permalink is not None and link.url == permalink["permalink"]

    answer = await live.action(
        "Front Door",
        action_id=RETRY_ACTION_ID,
        message=as_slack_shows(slack, failure),
        response_url=slack.response_url(),
    )
    assert answer.status_code == 200
    done = await updated(slack, "✅", seen=1)
    assert done.args["ts"] == root_ts(slack)  # the same root, now telling the new outcome
    assert "✅ *Front Door* is locked" in mrkdwn(valid_blocks(done.args))
    assert not [b for b in buttons(valid_blocks(done.args)) if b.action_id == RETRY_ACTION_ID]
    assert len(seam.calls_to(LOCK_DOOR)) == 2  # the failure, and the tap
    await quiet(slack)
    lines = thread(slack)
    assert "🔁 <@U1> asked to try again…" in lines
    assert lines[-1].startswith("✅ Locked in ")
    assert len(roots(slack)) == 1, "the tap answers in the thread, not in a new message"
    assert slack.calls_to("response_url") == []  # nothing to tell the tapper alone
    every_message_is_block_kit(slack)
    await assert_all_final(database_url)


async def test_a_tap_by_someone_who_may_not_lock_the_door_is_refused(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    failure = await fail_once(live, seam, slack)
    answer = await live.action(
        try_again(failure),
        user_id="U9",
        action_id=RETRY_ACTION_ID,
        message=as_slack_shows(slack, failure),
        response_url=slack.response_url(),
    )
    assert answer.status_code == 200
    refusal = await slack.wait_for(lambda c: c.method == "response_url")
    assert refusal.args["text"].startswith("🚫 You are not allowed to lock *Front Door*")
    assert refusal.args["response_type"] == "ephemeral"
    assert refusal.args["replace_original"] is False  # the root keeps its button
    await quiet(slack)
    assert len(seam.calls_to(LOCK_DOOR)) == 1
    assert len(slack.calls_to("chat.update")) == 1
    assert not [line for line in thread(slack) if line.startswith("🔁")]


async def test_a_tap_from_a_channel_the_door_is_not_limited_to_is_refused(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    failure = await fail_once(live, seam, slack)
    db = Database(database_url)
    async with db.session() as s:
        await set_channels(s, "Front Door", ["COTHER"])  # since the failure, only from there
        await s.commit()
    await db.close()

    await live.action(
        try_again(failure),
        action_id=RETRY_ACTION_ID,
        message=as_slack_shows(slack, failure),
        response_url=slack.response_url(),
    )
    refusal = await slack.wait_for(lambda c: c.method == "response_url")
    assert refusal.args["text"].startswith("📍 *Front Door* can only be locked from <#COTHER>")
    await quiet(slack)
    assert len(seam.calls_to(LOCK_DOOR)) == 1


async def test_a_double_tap_asks_seam_once(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    failure = await fail_once(live, seam, slack)
    seam.hold_attempts = True
    tap = {
        "action_id": RETRY_ACTION_ID,
        "message": as_slack_shows(slack, failure),
        "response_url": slack.response_url(),
    }
    first, second = await asyncio.gather(
        live.action("Front Door", **tap), live.action("Front Door", **tap)
    )
    assert first.status_code == second.status_code == 200
    joined = await slack.wait_for(lambda c: c.method == "response_url")
    assert joined.args["text"].startswith("⏳ *Front Door* is already being locked")
    for _ in range(1000):  # the failure's attempt, then the taps' one
        if len(seam.attempt_ids) == 2:
            break
        await asyncio.sleep(0.01)
    await seam.resolve(seam.attempt_ids[1], "success")
    done = await updated(slack, "✅", seen=1)
    assert done.args["ts"] == root_ts(slack)
    await quiet(slack)
    assert len(seam.calls_to(LOCK_DOOR)) == 2  # the failure, and one for both taps
    assert thread(slack).count("🔁 <@U1> asked to try again…") == 1
    assert len(roots(slack)) == 1
    await assert_all_final(database_url)


async def test_a_group_shows_its_doors_as_fields_and_tries_again_in_its_thread(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    await make_group(database_url, "Floor 2", ["Front Door", "Back Door"], "U1")
    seam.failing_devices[AUGUST_2] = ("device_offline", "Lock is offline")
    await live.command("floor 2")
    summary = await updated(slack, "⚠️")
    blocks = valid_blocks(summary.args)
    assert "*Floor 2*: 1 of 2 locked, 1 failed: Back Door (device_offline)" in mrkdwn(blocks)
    fields = field_texts(blocks)
    assert fields[0] == "❌ *Back Door*\nfailed: `device_offline`"  # what failed comes first
    assert fields[1].startswith("✅ *Front Door*\nlocked in ")
    assert try_again(summary) == "Floor 2"
    alert = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args["channel"] == ALERTS
    )
    alert_blocks = valid_blocks(alert.args)
    assert "❌ *Back Door*: `device_offline`" in mrkdwn(alert_blocks)
    assert [b.action_id for b in buttons(alert_blocks)] == [LINK_ACTION_ID]

    del seam.failing_devices[AUGUST_2]
    await live.action(
        "Floor 2",
        action_id=RETRY_ACTION_ID,
        message=as_slack_shows(slack, summary),
        response_url=slack.response_url(),
    )
    done = await updated(slack, "✅", seen=1)
    assert done.args["ts"] == root_ts(slack)
    assert field_texts(valid_blocks(done.args))[0].startswith("✅ ")
    await quiet(slack)
    assert len(seam.calls_to(LOCK_DOOR)) == 4  # two doors, twice
    assert len(roots(slack)) == 1
    every_message_is_block_kit(slack)
    await assert_all_final(database_url)


@with_secret
async def test_device_news_of_a_lock_gone_offline_says_what_to_check(
    live: LiveBot, slack: FakeSlack
) -> None:
    response = await post_event(live.http, seam_event("device.disconnected"))
    assert response.json()["outcome"] == "relayed"
    (posted,) = slack.messages(ALERTS)
    assert posted.args["text"] == "📴 *Front Door* went offline"
    assert mrkdwn(valid_blocks(posted.args)) == (
        "📴 *Front Door* went offline\n"
        "*What to check:* Check that the lock has power and its hub or Wi-Fi is online."
    )
