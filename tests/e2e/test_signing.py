"""No Slack request is served without its signature: `lockbot serve` refuses HTTP mode without
SLACK_SIGNING_SECRET, whatever else is set, and nothing below it mounts POST /slack/events
without one. (An HMAC keyed with "" is a signature anyone can make: with slack-sdk 3.42 such a
request made a stranger an admin.)"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from pathlib import Path

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.runtime import Bot, StartupError
from bot.web import build_web_app
from tests.e2e.conftest import bot_settings
from tests.e2e.test_cli import OURS, Cli, lockbot
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import TEST_APP_TOKEN, FakeSlack
from tests.support.bot_process import free_port
from tests.support.slack_requests import slash_command

REFUSAL = "HTTP mode (POST /slack/events) needs SLACK_SIGNING_SECRET"


def empty_key_headers(body: str) -> dict[str, str]:
    """What a stranger can sign when the bot's key is empty."""
    ts = str(int(time.time()))
    digest = hmac.new(b"", f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@pytest.mark.parametrize(
    ("name", "extra", "args"),
    [
        ("app token, --http", {"SLACK_APP_TOKEN": TEST_APP_TOKEN}, ("--http",)),
        ("--http alone", {}, ("--http",)),
        ("no app token", {}, ()),
        ("a blank secret", {"SLACK_SIGNING_SECRET": "  "}, ("--http",)),
    ],
)
async def test_serve_refuses_http_mode_without_the_signing_secret(
    name: str,
    extra: dict[str, str],
    args: tuple[str, ...],
    database_url: str,
    seam: SeamProxy,
    slack: FakeSlack,
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)} | {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "",
        "SLACK_API_URL": slack.api_url,
        "SEAM_API_KEY": "seam_test_key",
        "SEAM_ENDPOINT": seam.url,
        "DATABASE_URL": database_url,
        **extra,
    }
    port = free_port()
    result = await lockbot("serve", *args, "--port", str(port), cli=Cli(env, tmp_path),
                           timeout_s=20)  # fmt: skip
    assert result.code == 1, name
    assert f"✗ {REFUSAL}" in result.err, result.err
    assert "Traceback" not in result.err
    # It never listened, so a request signed with the empty key has nowhere to go.
    body = slash_command("admin grant <@U0STRANGER> admin", user_id="UADMIN")
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"http://127.0.0.1:{port}/slack/events", content=body,
                              headers=empty_key_headers(body))  # fmt: skip
    assert slack.calls == []  # nothing was started: no auth.test, no socket


async def test_the_bot_and_its_web_app_refuse_to_mount_slack_events_without_a_secret(
    database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    settings = bot_settings(database_url, seam.url, slack.api_url, SLACK_SIGNING_SECRET="",
                            SLACK_APP_TOKEN=TEST_APP_TOKEN)  # fmt: skip
    with pytest.raises(StartupError, match="SLACK_SIGNING_SECRET"):
        Bot(settings, http=True, port=0)
    assert Bot(settings, http=False, port=0).socket_mode  # Socket Mode needs no secret
    bolt = AsyncApp(token="xoxb-test-token", signing_secret="unused")
    for secret in ("", " "):
        with pytest.raises(ValueError, match="/slack/events needs a signing secret"):
            build_web_app(None, bolt, signing_secret=secret)  # type: ignore[arg-type]


def test_slack_sdk_refuses_to_check_signatures_with_an_empty_key() -> None:
    """Why the slack-sdk floor is 3.43: older versions check against an empty key and pass."""
    with pytest.raises(ValueError, match="must not be empty"):
        SignatureVerifier("")
