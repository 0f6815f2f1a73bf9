"""`/lock` end to end: signed request in, Seam's fake server and the fake Slack Web API out."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
from typing import Any

import pytest
from sqlmodel import select

from bot.db import Database
from bot.door_admin import add_door
from bot.models import Door, LockStatus, utcnow
from tests.e2e.conftest import ALERTS, SIGNING_SECRET, LiveBot, assert_all_final, lock_rows
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2
from tests.fakes.slack_api import Call, FakeSlack
from tests.support.block_kit import plain_angles
from tests.support.slack_requests import signed_headers, slash_command


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def final_update(slack: FakeSlack) -> Call:
    return slack.calls_to("chat.update")[-1]


async def test_lock_success_threads_and_edits_the_root(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    sent = await live.command("front door")
    assert sent.response.status_code == 200
    assert sent.response.text == ""  # a plain ack: the story is told in the channel

    update = await slack.wait_for(lambda c: c.method == "chat.update")
    root = slack.messages("C1")[0]
    assert root.args["text"] == "🔒 Locking *Front Door* for <@U1>…"
    assert "thread_ts" not in root.args
    assert update.args["ts"] == root.response["ts"]  # type: ignore[index]
    assert update.args["text"].startswith("✅ *Front Door* is locked. Asked by <@U1>, took ")
    replies = [c for c in slack.messages("C1") if c.args.get("thread_ts") == root.response["ts"]]  # type: ignore[index]
    assert replies[-1].args["text"].startswith("✅ Locked in ")
    assert [c.path for c in seam.calls][:2] == ["/locks/lock_door", "/action_attempts/get"]
    assert seam.calls[0].body["action_attempt"]["status"] == "pending"
    assert slack.messages(ALERTS) == []


@pytest.mark.parametrize(
    ("typed", "device"),
    [
        ("Front-Door", AUGUST_1),
        ("FRONT_DOOR", AUGUST_1),
        ("  front   door ", AUGUST_1),
        ("rear", AUGUST_2),
        ("MAIN", AUGUST_1),
    ],
)
async def test_name_variants_and_aliases_reach_the_right_device(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str, typed: str, device: str
) -> None:
    await live.command(typed)
    await slack.wait_for(lambda c: c.method == "chat.update")
    lock_calls = seam.calls_to("/locks/lock_door")
    assert len(lock_calls) == 1
    rows = await lock_rows(database_url)
    assert [(r.device_id, r.status) for r in rows] == [(device, LockStatus.LOCKED)]
    assert rows[0].text == typed.strip() or " ".join(typed.split()) == rows[0].text


async def test_unknown_door_suggests_privately_and_never_calls_seam(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    sent = await live.command("frnt door")
    assert sent.response.status_code == 200
    body = sent.response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert "Did you mean *Front Door*?" in body["text"]
    assert "“frnt door”" in body["text"]
    assert seam.calls == []
    assert slack.messages() == []
    rows = await lock_rows(database_url)
    assert [(r.status, r.error_type, r.text) for r in rows] == [
        (LockStatus.REJECTED, "unknown_door", "frnt door")
    ]


async def test_denied_user_is_told_privately_and_the_attempt_recorded(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    sent = await live.command("front door", user_id="U2")
    body = sent.response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert body["text"].startswith("🚫 You are not allowed to lock *Front Door*.")
    assert "<@UADMIN>" in body["text"]
    assert seam.calls == []
    assert slack.messages() == []
    rows = await lock_rows(database_url)
    assert [(r.user_id, r.status, r.door_name) for r in rows] == [
        ("U2", LockStatus.DENIED, "Front Door")
    ]


async def test_user_group_grant_lets_members_lock(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    await live.command("garage", user_id="U7")
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert update.args["text"].startswith("✅ *Garage* is locked. Asked by <@U7>")
    assert slack.calls_to("usergroups.users.list")[0].args["usergroup"] == "SNIGHT"
    assert len(seam.calls_to("/locks/lock_door")) == 1


async def test_help_lists_the_commands(live: LiveBot, seam: SeamProxy) -> None:
    body = (await live.command("help")).response.json()
    for command in (
        "`/lock`",
        "`/lock &lt;door or group&gt;`",
        "`/lock list`",
        "`/lock status",
        "`/lock history",
        "`/lock schedule ",
        "`/lock schedules`",
        "`/lock pause",
        "`/lock resume",
        "`/lock unschedule",
        "`/lock admin help`",
        "`/lock help`",
        "lockbot doors|groups|grant|config",
    ):
        assert command in body["text"], command
    assert not plain_angles(body["text"]), "Slack would read these as links"
    assert seam.calls == []


async def test_forged_signature_is_refused(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    sent = await live.command("front door", secret="not-the-signing-secret")
    assert sent.response.status_code == 401
    assert seam.calls == [] and slack.messages() == []
    assert await lock_rows(database_url) == []


async def test_replayed_timestamp_is_refused(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    stale = int(time.time()) - 10 * 60
    sent = await live.command("front door", timestamp=stale)
    assert sent.response.status_code == 401
    assert seam.calls == [] and slack.messages() == []
    assert await lock_rows(database_url) == []


async def test_pending_then_success_reports_progress_in_the_thread(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    seam.hold_attempts = True
    await live.command("front door")
    attempt = await seam.wait_for_attempt()
    sent_note = await slack.wait_for(lambda c: "Seam accepted" in c.args.get("text", ""))
    root = slack.messages("C1")[0]
    assert sent_note.args["thread_ts"] == root.response["ts"]  # type: ignore[index]
    await asyncio.sleep(0.3)
    assert slack.calls_to("chat.update") == [], "nothing is final while Seam says pending"
    polls_while_pending = len(seam.calls_to("/action_attempts/get"))
    assert polls_while_pending >= 1
    await seam.resolve(attempt, "success")
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert update.args["text"].startswith("✅ *Front Door* is locked.")


async def test_pending_then_error_tells_the_thread_and_the_alert_channel(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.hold_attempts = True
    await live.command("front door")
    attempt = await seam.wait_for_attempt()
    await seam.resolve(attempt, "error", ("device_offline", "Device is offline"))
    alert = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args.get("channel") == ALERTS
    )
    root = slack.messages("C1")[0]
    thread = [
        c.args["text"]
        for c in slack.messages("C1")
        if c.args.get("thread_ts") == root.response["ts"]
    ]  # type: ignore[index]
    assert "`device_offline`: Device is offline" in thread[-1]
    assert "*What to do:* Check that the lock has power" in thread[-1]
    assert final_update(slack).args["text"] == (
        "❌ Could not lock *Front Door* (`device_offline`). Asked by <@U1>; details in the thread."
    )
    text = alert.args["text"]
    assert "*Front Door*" in text and "<@U1>" in text and "device_offline" in text
    permalink = slack.calls_to("chat.getPermalink")[0]
    assert permalink.args["message_ts"] == root.response["ts"]  # type: ignore[index]
    assert permalink.response is not None and permalink.response["permalink"] in text
    rows = await lock_rows(database_url)
    assert (rows[0].status, rows[0].error_type) == (LockStatus.FAILED, "device_offline")
    await assert_all_final(database_url)


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (
            {"status": 503, "body": "<html>unavailable</html>", "content_type": "text/html"},
            "seam_unavailable",
        ),
        (
            {"status": 500, "body": '{"error": {"type": "internal", "message": "boom"}}'},
            "seam_unavailable",
        ),
        # Seam keeps saying 429: lockbot waits as told, twice, then gives up.
        (
            {
                "status": 429,
                "body": "slow down",
                "content_type": "text/plain",
                "headers": {"Retry-After": "0.2"},
                "times": 3,
            },
            "seam_rate_limited",
        ),
    ],
)
async def test_seam_failures_reach_the_thread_and_the_alert_channel(
    live: LiveBot,
    seam: SeamProxy,
    slack: FakeSlack,
    database_url: str,
    fault: dict[str, Any],
    code: str,
) -> None:
    seam.fail("/locks/lock_door", **fault)
    await live.command("back door")
    alert = await slack.wait_for(lambda c: c.args.get("channel") == ALERTS)
    assert code in alert.args["text"] and "*Back Door*" in alert.args["text"]
    assert "Try again in a minute" in final_thread_reply(slack)
    assert final_update(slack).args["text"].startswith("❌ Could not lock *Back Door*")
    rows = await lock_rows(database_url)
    assert (rows[0].status, rows[0].error_type) == (LockStatus.FAILED, code)
    await assert_all_final(database_url)


@pytest.mark.settings(LOCKBOT_SEAM_TIMEOUT="0.5")
async def test_seam_read_timeout_says_the_door_may_not_be_locked(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    seam.fail("/locks/lock_door", stall_s=1.5, status=200, body="{}")
    await live.command("front door")
    await slack.wait_for(lambda c: c.args.get("channel") == ALERTS)
    assert "may or may not be locked" in final_thread_reply(slack)


@pytest.mark.settings(SEAM_ENDPOINT=f"http://127.0.0.1:{closed_port()}")
async def test_seam_refusing_connections_is_reported(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    await live.command("front door")
    alert = await slack.wait_for(lambda c: c.args.get("channel") == ALERTS)
    assert "seam_unreachable" in alert.args["text"]
    assert "could not reach Seam" in final_thread_reply(slack)
    await assert_all_final(database_url)


@pytest.mark.settings(LOCKBOT_LOCK_TIMEOUT="1")
async def test_stuck_attempt_times_out_with_a_clear_message(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.hold_attempts = True
    await live.command("front door")
    update = await slack.wait_for(lambda c: c.method == "chat.update", timeout=5)
    assert update.args["text"].startswith("⌛ *Front Door* did not confirm it locked.")
    assert "may or may not be locked" in final_thread_reply(slack)
    assert (await slack.wait_for(lambda c: c.args.get("channel") == ALERTS)).args["text"]
    rows = await lock_rows(database_url)
    assert rows[0].status is LockStatus.TIMED_OUT
    assert rows[0].elapsed_s is not None and 1.0 <= rows[0].elapsed_s < 3.0
    await assert_all_final(database_url)


async def test_slack_rate_limit_is_retried(live: LiveBot, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1, channel="C1")
    await live.command("front door")
    update = await slack.wait_for(lambda c: c.method == "chat.update", timeout=8)
    posts = [c for c in slack.calls_to("chat.postMessage") if "thread_ts" not in c.args]
    assert [c.failed for c in posts] == [True, False]
    assert update.args["text"].startswith("✅")


async def test_channel_the_bot_is_not_in_falls_back_to_response_url(
    live: LiveBot, slack: FakeSlack
) -> None:
    slack.fail("chat.postMessage", error="not_in_channel", channel="CPRIVATE", times=99)
    await live.command("front door", channel_id="CPRIVATE", response_url=slack.response_url())
    final = await slack.wait_for(
        lambda c: c.method == "response_url" and "✅" in c.args.get("text", "")
    )
    first = slack.calls_to("response_url")[0]
    assert first.args["text"] == "🔒 Locking *Front Door* for <@U1>…"
    assert "✅ *Front Door* is locked." in final.args["text"]
    assert slack.calls_to("chat.update") == []


def final_thread_reply(slack: FakeSlack) -> str:
    replies = [c for c in slack.messages("C1") if "thread_ts" in c.args]
    assert replies, "no thread reply was posted"
    return str(replies[-1].args["text"])


async def test_when_the_request_cannot_be_recorded_the_user_is_told_and_nothing_locks(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise ConnectionError("database is down")

    monkeypatch.setattr(live.bot.runtime.service, "submit", broken)
    body = (await live.command("front door")).response.json()
    assert body["text"].startswith("⚠️ lockbot could not record your request")
    assert seam.calls == [] and slack.messages() == []


async def test_door_names_are_escaped_when_echoed(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    db = Database(database_url)
    async with db.session() as s:
        await add_door(s, "<!channel> & Co", AUGUST_1)
        await s.commit()
    await db.close()
    body = (await live.command("<!channel> & co", user_id="U2")).response.json()
    assert "<!channel>" not in body["text"]
    assert "*&lt;!channel&gt; &amp; Co*" in body["text"]


async def test_a_429_from_seam_is_waited_out_and_the_lock_retried(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    seam.fail(
        "/locks/lock_door",
        status=429,
        body="slow down",
        content_type="text/plain",
        headers={"Retry-After": "0.3"},
    )
    await live.command("front door")
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert update.args["text"].startswith("✅ *Front Door* is locked.")
    assert [c.status for c in seam.calls_to("/locks/lock_door")] == [429, 200]


async def test_slack_server_errors_are_retried(live: LiveBot, slack: FakeSlack) -> None:
    slack.fail("chat.update", status=500, times=1)
    await live.command("front door")
    update = await slack.wait_for(lambda c: c.method == "chat.update" and not c.failed, timeout=8)
    assert update.args["text"].startswith("✅")
    assert [c.failed for c in slack.calls_to("chat.update")] == [True, False]


async def test_a_door_missing_from_seam_is_refused_with_what_to_do(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    db = Database(database_url)
    async with db.session() as s:
        door = (await s.exec(select(Door).where(Door.name == "Front Door"))).one()
        door.missing_at = utcnow()
        s.add(door)
        await s.commit()
    await db.close()
    body = (await live.command("front door")).response.json()
    assert body["response_type"] == "ephemeral"
    assert "lockbot doors sync" in body["text"] and "*Front Door*" in body["text"]
    assert seam.calls == [] and slack.messages() == []
    rows = await lock_rows(database_url)
    assert [(r.status, r.error_type) for r in rows] == [(LockStatus.REJECTED, "door_missing")]


async def test_a_door_or_channel_called_payload_is_locked_like_any_other(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    # Bolt reads any form body holding the word "payload" as an interactive payload, finds
    # none, and answers 404: /lock served by Bolt alone could not lock "Payload Bay".
    db = Database(database_url)
    async with db.session() as session:
        await add_door(session, "Payload Bay", AUGUST_2)
        await session.commit()
    await db.close()
    sent = await live.command("payload bay", user_id="UADMIN")
    assert sent.response.status_code == 200
    await seam.wait_for_attempt()
    rows = await lock_rows(database_url)
    assert [(row.door_name, row.user_id) for row in rows] == [("Payload Bay", "UADMIN")]


async def test_a_timestamp_that_is_not_a_number_is_refused_not_a_server_error(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    body = slash_command("front door")
    for junk in ("soon", "1e9", ""):
        headers = signed_headers(body, SIGNING_SECRET) | {"X-Slack-Request-Timestamp": junk}
        response = await live.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == 401, junk
    assert seam.calls == [] and slack.messages() == []
    assert await lock_rows(database_url) == []


async def test_a_signed_event_cannot_smuggle_a_lock_command_in_its_text(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    # Slack signs an event as it is, text people wrote included: read as a form, this string
    # would be fields, a /lock from an admin among them. Only Bolt reads JSON, as JSON.
    smuggled = "Lab&command=%2Flock&user_id=UADMIN&text=front+door&channel_id=C1&x="
    event = {"type": "event_callback", "event": {"type": "app_home_opened", "user": "U2",
             "tab": "home", "view": {"blocks": [{"text": smuggled}]}}}  # fmt: skip
    body = json.dumps(event)
    headers = signed_headers(body, SIGNING_SECRET, content_type="application/json")
    await live.http.post("/slack/events", content=body, headers=headers)
    await asyncio.sleep(0.3)
    assert await lock_rows(database_url) == []
    assert seam.calls_to("/locks/lock_door") == []


async def test_a_body_that_is_not_text_is_refused_not_a_server_error(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    form = "application/x-www-form-urlencoded"
    odd = [
        (b"command=%2Flock&user_id=U1&text=\xff\xfe", form, (False, True)),  # not UTF-8
        (b'{"type": "\xff"}', "application/json", (False, True)),
        # Signed, this one is a /lock like any other (the front door reads UTF-8 whatever the
        # header says); unsigned, Bolt looked the charset up before checking, and raised.
        (b"command=%2Flock&user_id=U1&text=front+door", form + "; charset=nope", (False,)),
        (b'{"type": ', "application/json", (False, True)),  # broken JSON
        (b"[1, 2]", "application/json", (False, True)),  # JSON, not an object
        (b"payload=%7B", form, (False, True)),  # an interactive payload, broken
    ]
    for body, content_type, signings in odd:
        for signed in signings:
            headers = {"Content-Type": content_type}
            if signed:  # as Slack signs: the bytes as they are (slack_sdk's signer wants text)
                stamp = str(int(time.time()))
                base = b"v0:" + stamp.encode() + b":" + body
                digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
                headers |= {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}
            response = await live.http.post("/slack/events", content=body, headers=headers)
            assert response.status_code in (400, 401), (body, content_type, signed)
    assert seam.calls == [] and slack.messages() == []
    assert await lock_rows(database_url) == []
