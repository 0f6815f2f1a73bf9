"""Never lose a lock command: in-flight dedupe, rate limit, Seam key/device errors, Slack fallbacks.

Every test ends with `assert_all_final`: whatever happened, each recorded request ended.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.util import await_only

from bot.access import grant
from bot.db import Database
from bot.models import LockStatus
from tests.conftest import PG_URL
from tests.e2e.conftest import ALERTS, LiveBot, assert_all_final, lock_rows, quiet
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import Call, FakeSlack

UNAUTHORIZED = '{"error":{"type":"unauthorized","message":"Unauthorized"}}'
DEVICE_NOT_FOUND = '{"error":{"type":"device_not_found","message":"Device not found"}}'


def roots(slack: FakeSlack, channel: str = "C1") -> list[Call]:
    """Top-level messages the bot posted in `channel` (the root of each lock's thread)."""
    return [c for c in slack.messages(channel) if "thread_ts" not in c.args]


def thread(slack: FakeSlack, root: Call) -> list[str]:
    assert root.response is not None
    ts = root.response["ts"]
    return [str(c.args["text"]) for c in slack.messages(root.args["channel"])
            if c.args.get("thread_ts") == ts]  # fmt: skip


async def add_grant(database_url: str, subject: str, door: str) -> None:
    db = Database(database_url)
    async with db.session() as s:
        await grant(s, subject, door)
        await s.commit()
    await db.close()


# -- 1. one lock per door in flight; the others join it ----------------------------------------


async def test_locks_of_a_door_in_flight_join_it_and_share_the_outcome(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    await add_grant(database_url, "U2", "Front Door")
    seam.hold_attempts = True
    first = await live.command("front door")
    assert first.response.text == ""
    attempt = await seam.wait_for_attempt()

    joiners = ["U1", "U2", "UADMIN"]  # a double tap, another granted user, an admin
    for user in joiners:
        ack = (await live.command("main", user_id=user)).response.json()
        assert ack.get("response_type", "ephemeral") == "ephemeral"
        assert ack["text"].startswith("⏳ *Front Door* is already being locked"), ack["text"]
        assert "(asked by <@U1>)" in ack["text"]
        assert "in its thread" in ack["text"]
    await asyncio.sleep(0.2)
    assert len(seam.calls_to("/locks/lock_door")) == 1, "a joined request asked Seam again"

    await seam.resolve(attempt, "success")
    rows = await assert_all_final(database_url)
    await quiet(slack)

    assert len(seam.calls_to("/locks/lock_door")) == 1
    [root] = roots(slack)
    replies = thread(slack, root)
    # Everyone who joined is told in one line: a burst of taps is not a burst of posts.
    said = [r for r in replies if "asked for *Front Door* too" in r]
    assert said == [
        "<@U1>, <@U2> and <@UADMIN> asked for *Front Door* too: same outcome, ✅ locked."
    ], replies
    assert len(slack.calls_to("chat.update")) == 1
    assert slack.calls_to("chat.update")[0].args["text"].startswith("✅ *Front Door* is locked.")
    leader, *followers = rows
    assert [r.user_id for r in rows] == ["U1", *joiners]
    assert all(r.status is LockStatus.LOCKED for r in rows)
    assert leader.joined_id is None and all(f.joined_id == leader.id for f in followers)
    assert slack.messages(ALERTS) == []


async def test_someone_who_joins_from_a_dm_is_answered_there_and_not_named_in_the_channel(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.hold_attempts = True
    await live.command("front door")
    attempt = await seam.wait_for_attempt()
    in_dm = await live.command(
        "front door",
        user_id="UADMIN",
        channel_id="DADMIN",
        response_url=slack.response_url("dm"),
    )
    assert "I didn't ask again. You'll see the outcome here." in in_dm.response.json()["text"]

    await seam.resolve(attempt, "success")
    await assert_all_final(database_url)
    await quiet(slack)

    [root] = roots(slack)
    assert not any("UADMIN" in line for line in thread(slack, root)), thread(slack, root)
    [answer] = slack.calls_to("response_url")
    assert answer.args["text"] == (
        "*Front Door*: ✅ locked. It was already being locked when you asked, so I didn't "
        "ask twice."
    )
    assert len(seam.calls_to("/locks/lock_door")) == 1


async def test_joined_requests_share_a_failure_and_it_is_alerted_once(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.hold_attempts = True
    await live.command("front door")
    attempt = await seam.wait_for_attempt()
    for user in ("U1", "UADMIN"):
        ack = (await live.command("front door", user_id=user)).response.json()
        assert ack["text"].startswith("⏳") and "<@U1>" in ack["text"]

    await seam.resolve(attempt, "error", ("device_offline", "Device is offline"))
    rows = await assert_all_final(database_url)
    await quiet(slack)

    assert len(seam.calls_to("/locks/lock_door")) == 1
    assert [(r.status, r.error_type) for r in rows] == [(LockStatus.FAILED, "device_offline")] * 3
    [root] = roots(slack)
    replies = thread(slack, root)
    said = [r for r in replies if "same outcome" in r]
    assert said == [
        "<@U1> and <@UADMIN> asked for *Front Door* too: same outcome, ❌ failed (`device_offline`)."
    ], replies
    assert len(slack.calls_to("chat.update")) == 1
    [alert] = slack.messages(ALERTS)
    assert "device_offline" in alert.args["text"] and "<@U1>" in alert.args["text"]


async def test_two_concurrent_locks_of_a_door_make_one_seam_call(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    for round_ in range(1, 4):
        sent = await asyncio.gather(
            live.command("front door"), live.command("front door", user_id="UADMIN")
        )
        assert [s.response.status_code for s in sent] == [200, 200]
        acks = sorted(s.response.json()["text"] if s.response.text else "" for s in sent)
        assert acks[0] == "" and acks[1].startswith("⏳"), acks  # one leads, one joins
        rows = await assert_all_final(database_url)
        assert len(seam.calls_to("/locks/lock_door")) == round_
        assert all(r.status is LockStatus.LOCKED for r in rows)
    assert sum(r.joined_id is None for r in rows) == 3
    await quiet(slack)


@pytest.mark.skipif(
    not PG_URL,
    reason="on SQLite one process queues its writers, so the join and the leader's settlement "
    "cannot interleave here (tests/unit/test_locking.py covers the catch-up itself)",
)
async def test_a_request_that_joins_as_the_leader_settles_still_gets_the_outcome(
    live: LiveBot,
    seam: SeamProxy,
    slack: FakeSlack,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The join is read-then-insert: the leader may settle (and tell its followers) in between.

    The burst test hits this under load; here it is forced: the group commit's transaction
    (PostgreSQL's runs in `run_sync`, whose statements await the driver, so it can wait here
    for the test without stopping the event loop) reads the leader as in flight, then the
    leader settles, then the second request's row is written, and finds the leader no longer
    pending.
    """
    seam.hold_attempts = True
    await live.command("front door")
    attempt = await seam.wait_for_attempt()

    service = live.bot.runtime.service
    receipts = service.intake.receipts
    leaders, reached, go = receipts._leaders, asyncio.Event(), asyncio.Event()

    def slow_leaders(*args: Any) -> Any:
        found = leaders(*args)
        reached.set()
        await_only(asyncio.wait_for(go.wait(), 10))
        return found

    monkeypatch.setattr(receipts, "_leaders", slow_leaders)
    second = asyncio.create_task(live.command("front door", user_id="UADMIN"))
    try:
        await asyncio.wait_for(reached.wait(), 5)
        await seam.resolve(attempt, "success")
        await slack.wait_for(lambda c: c.method == "chat.update")
        await quiet(slack)
    finally:
        go.set()  # whatever failed above, the held request must not outlive the test
    ack = (await second).response.json()
    assert ack["text"].startswith("⏳") and "<@U1>" in ack["text"]

    rows = await assert_all_final(database_url, timeout_s=5)
    assert [(r.user_id, r.status) for r in rows] == [
        ("U1", LockStatus.LOCKED),
        ("UADMIN", LockStatus.LOCKED),
    ]
    await quiet(slack)
    [root] = roots(slack)
    assert "<@UADMIN> asked for *Front Door* too: same outcome, ✅ locked." in thread(slack, root)
    assert len(seam.calls_to("/locks/lock_door")) == 1


# -- 2. per-user rate limit -------------------------------------------------------------------


@pytest.mark.settings(LOCKBOT_RATE_LIMIT="3")
async def test_fourth_lock_in_a_minute_is_refused_without_asking_seam(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    for door in ("front door", "back door", "front door"):
        assert (await live.command(door)).response.text == ""
        await assert_all_final(database_url)
    calls_before = len(seam.calls_to("/locks/lock_door"))
    assert calls_before == 3

    ack = (await live.command("back door")).response.json()
    assert ack.get("response_type", "ephemeral") == "ephemeral"
    assert ack["text"].startswith("🐢") and "more than 3 lock commands in a minute" in ack["text"]
    await asyncio.sleep(0.3)
    assert len(seam.calls_to("/locks/lock_door")) == calls_before

    # Someone else is not slowed down by U1.
    assert (await live.command("garage", user_id="U7")).response.text == ""
    rows = await assert_all_final(database_url)
    assert len(seam.calls_to("/locks/lock_door")) == calls_before + 1
    limited = [r for r in rows if r.error_type == "rate_limited"]
    assert [(r.user_id, r.status, r.text) for r in limited] == [
        ("U1", LockStatus.REJECTED, "back door")
    ]
    assert rows[-1].user_id == "U7" and rows[-1].status is LockStatus.LOCKED
    await quiet(slack)


# -- 3, 4. Seam errors an admin must fix ------------------------------------------------------


async def test_rejected_seam_key_is_explained_and_admins_hear_once(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.fail("/locks/lock_door", status=401, body=UNAUTHORIZED, times=9)
    for door in ("front door", "back door"):
        await live.command(door)
        await assert_all_final(database_url)
    await quiet(slack)

    rows = await lock_rows(database_url)
    assert [(r.door_name, r.status, r.error_type) for r in rows] == [
        ("Front Door", LockStatus.FAILED, "seam_unauthorized"),
        ("Back Door", LockStatus.FAILED, "seam_unauthorized"),
    ]
    threads = roots(slack)
    assert len(threads) == 2
    for root in threads:
        assert (
            "The Seam API key is invalid; an admin must fix `SEAM_API_KEY`."
            in (thread(slack, root)[-1])
        )
    [dm] = slack.messages("UADMIN")
    assert "SEAM_API_KEY" in dm.args["text"] and "Seam rejected" in dm.args["text"]
    assert len(slack.messages(ALERTS)) == 1


async def test_device_unknown_to_seam_points_at_lockbot_doors(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.fail("/locks/lock_door", status=404, body=DEVICE_NOT_FOUND)
    await live.command("front door")
    [row] = await assert_all_final(database_url)
    await quiet(slack)
    assert row.status is LockStatus.FAILED
    assert row.error_type in ("device_not_found", "not_found")
    [root] = roots(slack)
    final = thread(slack, root)[-1]
    what_to_do = final.split("*What to do:*", 1)[1]
    assert "device Seam does not know" in what_to_do
    assert "`lockbot doors" in what_to_do
    assert len(slack.messages(ALERTS)) == 1


# -- 5, 6. Slack refusing to take the message -------------------------------------------------


async def test_missing_alert_channel_is_told_to_admins_once(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    slack.fail("chat.postMessage", error="channel_not_found", channel=ALERTS, times=99)
    seam.fail("/locks/lock_door", status=503, body="unavailable", content_type="text/plain",
              times=2)  # fmt: skip
    for door in ("front door", "back door"):
        await live.command(door)
        await assert_all_final(database_url)
    await quiet(slack)

    rows = await lock_rows(database_url)
    assert [(r.status, r.error_type) for r in rows] == [(LockStatus.FAILED, "seam_unavailable")] * 2
    threads = roots(slack)
    assert len(threads) == 2
    for root in threads:
        assert "`seam_unavailable`" in thread(slack, root)[-1]
    tried = [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == ALERTS]
    assert len(tried) == 2 and all(c.failed for c in tried)
    [dm] = slack.messages("UADMIN")
    assert dm.args["text"].startswith("📭") and "channel_not_found" in dm.args["text"]
    assert ALERTS in dm.args["text"]


async def test_when_neither_channel_nor_response_url_work_the_user_gets_a_dm(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    slack.fail("chat.postMessage", error="not_in_channel", channel="CPRIVATE", times=99)
    slack.fail("response_url", status=500, times=99)
    await live.command("front door", channel_id="CPRIVATE", response_url=slack.response_url())
    [row] = await assert_all_final(database_url)
    await quiet(slack)

    assert row.status is LockStatus.LOCKED and row.message_ts is None
    assert slack.calls_to("response_url") and all(c.failed for c in slack.calls_to("response_url"))
    dms = [c.args["text"] for c in slack.messages("U1")]
    assert dms[0] == "🔒 Locking *Front Door* for <@U1>…"
    assert dms[-1].startswith("✅ *Front Door* is locked.")
    assert slack.messages("CPRIVATE") == [] and slack.calls_to("chat.update") == []
