"""Build the HTTP requests Slack sends to the bot, correctly signed."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

# Deliberately unresolvable: pass ``FakeSlack.response_url()`` to capture responses.
DEFAULT_RESPONSE_URL = "https://hooks.slack.test/commands/T1/1/fake"


def slash_payload(
    text: str,
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    response_url: str = DEFAULT_RESPONSE_URL,
    command: str = "/lock",
    team_id: str = "T1",
) -> dict[str, str]:
    """The fields Slack sends for a slash command (a form over HTTP, an envelope over a socket)."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": "test",
        "channel_id": channel_id,
        "channel_name": f"chan-{channel_id.lower()}",
        "user_id": user_id,
        "user_name": f"user_{user_id.lower()}",
        "command": command,
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": "1700000000.1.fake-trigger",
    }


def slash_command(text: str, **fields: str) -> str:
    """The form-encoded body Slack POSTs for a slash command."""
    return urlencode(slash_payload(text, **fields))


def signed_headers(body: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Headers that make ``body`` pass Slack's request-signature check for ``secret``.

    ``timestamp`` defaults to now; pass an old one to test replay protection.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
