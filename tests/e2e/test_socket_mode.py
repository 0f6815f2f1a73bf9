"""`/lock` end to end in Socket Mode: envelopes over the fake Slack's websocket, no public URL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.models import LockStatus
from bot.runtime import Bot, StartupError
from tests.e2e.conftest import ALERTS, bot_settings, lock_rows
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import APP_ID, FakeSlack
from tests.fakes.slack_api import TEST_APP_TOKEN as APP_TOKEN
from tests.support.block_kit import plain_angles
from tests.support.slack_requests import block_actions_payload


async def test_the_bot_connects_with_its_app_token(socket_bot: Bot, slack: FakeSlack) -> None:
    assert socket_bot.socket_mode
    calls = slack.calls_to("apps.connections.open")
    # One call checks the token at start-up, the next opens the socket.
    assert len(calls) == 2
    assert all(c.headers["authorization"] == f"Bearer {APP_TOKEN}" for c in calls)
    opened = calls[-1]
    assert not opened.failed and opened.response is not None
    assert opened.response["url"].startswith(f"ws://127.0.0.1:{slack.base_url.rsplit(':', 1)[1]}/")
    assert len(slack.sockets) == 1


async def test_lock_over_the_socket_acks_empty_then_locks(
    socket_bot: Bot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    ack = await slack.send_slash_command("front door", user_id="U1", channel_id="C1")
    assert ack == {}  # a plain ack: the story is told in the channel

    update = await slack.wait_for(lambda c: c.method == "chat.update")
    root = slack.messages("C1")[0]
    assert root.args["text"] == "🔒 Locking *Front Door* for <@U1>…"
    assert "thread_ts" not in root.args
    assert root.headers["authorization"] == "Bearer xoxb-test-token"  # the bot token, not xapp
    assert root.response is not None and update.args["ts"] == root.response["ts"]
    assert update.args["text"].startswith("✅ *Front Door* is locked. Asked by <@U1>, took ")
    assert [c.path for c in seam.calls][:2] == ["/locks/lock_door", "/action_attempts/get"]
    assert slack.messages(ALERTS) == []
    assert len(slack.calls_to("socket_ack")) == 1
    rows = await lock_rows(database_url)
    assert [(r.user_id, r.door_name, r.status) for r in rows] == [
        ("U1", "Front Door", LockStatus.LOCKED)
    ]


async def test_denied_user_gets_an_ephemeral_ack_and_seam_is_never_called(
    socket_bot: Bot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    ack = await slack.send_slash_command("front door", user_id="U2")
    assert ack.get("response_type", "ephemeral") == "ephemeral"
    assert ack["text"].startswith("🚫 You are not allowed to lock *Front Door*.")
    assert "<@UADMIN>" in ack["text"]
    assert seam.calls == []
    assert slack.messages() == []
    rows = await lock_rows(database_url)
    assert [(r.user_id, r.status) for r in rows] == [("U2", LockStatus.DENIED)]


async def test_help_comes_back_in_the_ack(
    socket_bot: Bot, seam: SeamProxy, slack: FakeSlack
) -> None:
    ack = await slack.send_slash_command("help")
    assert "`/lock &lt;door or group&gt;`" in ack["text"]
    assert not plain_angles(ack["text"]), "Slack would read these as links"
    assert "`/lock help`" in ack["text"]
    assert seam.calls == [] and slack.messages() == []


async def test_healthz_is_served_but_the_events_endpoint_is_not(socket_bot: Bot) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{socket_bot.port}") as http:
        health = await http.get("/healthz")
        events = await http.post("/slack/events", content="command=%2Flock&text=front+door")
    assert health.status_code == 200
    assert health.json() == {
        "ok": True,
        "database": "ok",
        "slack": "ok",
        "seam": "ok",
        "slack_socket": "ok",
    }
    assert events.status_code == 404


async def test_healthz_fails_when_the_socket_drops(socket_bot: Bot, slack: FakeSlack) -> None:
    await socket_bot._socket.client.disconnect()  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{socket_bot.port}") as http:
        health = await http.get("/healthz")
    assert health.status_code == 503
    assert health.json()["slack_socket"] == "disconnected"


async def test_a_wrong_app_token_is_refused_by_the_fake(slack: FakeSlack) -> None:
    async with httpx.AsyncClient(base_url=slack.api_url) as http:
        bot_token = await http.post(
            "apps.connections.open", headers={"Authorization": "Bearer xoxb-test-token"}
        )
        app_token = await http.post(
            "apps.connections.open", headers={"Authorization": f"Bearer {APP_TOKEN}"}
        )
        on_chat = await http.post(
            "chat.postMessage",
            data={"channel": "C1", "text": "x"},
            headers={"Authorization": f"Bearer {APP_TOKEN}"},
        )
    assert bot_token.json() == {"ok": False, "error": "not_allowed_token_type"}
    assert app_token.json()["ok"] is True
    assert on_chat.json() == {"ok": False, "error": "invalid_auth"}


async def test_a_rejected_app_token_stops_the_start_with_a_clear_error(
    database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    settings = bot_settings(database_url, seam.url, slack.api_url, SLACK_APP_TOKEN="xapp-revoked")
    bot = Bot(settings, http=False, port=0)
    try:
        with pytest.raises(StartupError, match="Slack refused SLACK_APP_TOKEN"):
            await asyncio.wait_for(bot.start(), 10)
    finally:
        await bot.stop()
    assert slack.sockets == []


async def test_the_picker_and_a_tap_work_over_the_socket(
    socket_bot: Bot, seam: SeamProxy, slack: FakeSlack
) -> None:
    picker = await slack.send_slash_command("")
    assert [b["value"] for b in picker["blocks"][1]["elements"]] == ["Back Door", "Front Door"]
    tap = block_actions_payload("Front Door", response_url=slack.response_url("tap"))
    await slack.send_envelope("interactive", tap | {"api_app_id": APP_ID})
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    assert update.args["text"].startswith("✅ *Front Door* is locked. Asked by <@U1>")
    answer = await slack.wait_for(lambda c: c.method == "response_url")
    assert answer.args["text"].startswith("👍 Locking *Front Door*")
    assert [c.path for c in seam.calls][:1] == ["/locks/lock_door"]
