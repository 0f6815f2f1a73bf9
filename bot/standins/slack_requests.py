"""Build the HTTP requests Slack sends to the bot, correctly signed."""

from __future__ import annotations

import json
import time
from typing import Any
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


def signed_headers(
    body: str,
    secret: str,
    *,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers that make ``body`` pass Slack's request-signature check for ``secret``.

    ``timestamp`` defaults to now; pass an old one to test replay protection.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def block_actions_payload(
    value: str,
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    response_url: str = DEFAULT_RESPONSE_URL,
    action_id: str = "lock_target:0",
    menu: bool = False,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What Slack sends when someone taps a button (or picks from a menu) in a message the bot
    showed only to them: the `payload` form field over HTTP, the envelope's payload in Socket
    Mode. With `message` (as chat.postMessage answered it, blocks included) the tap is on that
    message in the channel, which Slack sends along."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "action_ts": "1.2"}
    if menu:
        action |= {"type": "static_select", "selected_option": {"value": value}}
    else:
        action |= {"type": "button", "value": value, "text": {"type": "plain_text", "text": value}}
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "test"},
        "user": {"id": user_id, "username": f"user_{user_id.lower()}", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"] if message else "1.1",
            "channel_id": channel_id,
            "is_ephemeral": message is None,
        },
        "trigger_id": "1700000000.2.fake-trigger",
        "channel": {"id": channel_id, "name": f"chan-{channel_id.lower()}"},
        "response_url": response_url,
        "actions": [action],
    }
    if message is not None:
        payload["message"] = message
    return payload


def block_action(value: str, **fields: Any) -> str:
    """The form-encoded body Slack POSTs for a tap (see `block_actions_payload`)."""
    return urlencode({"payload": json.dumps(block_actions_payload(value, **fields))})


def app_home_opened_payload(user_id: str = "U1", *, tab: str = "home") -> dict[str, Any]:
    """The Events API envelope Slack sends when someone opens the app's Home (or Messages) tab:
    the JSON body over HTTP, the envelope's payload in Socket Mode."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "api_app_id": "A1",
        "event": {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D{user_id}",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        },
        "type": "event_callback",
        "event_id": f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": "T1", "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened(user_id: str = "U1", *, tab: str = "home") -> str:
    """The JSON body Slack POSTs for `app_home_opened` (see `app_home_opened_payload`)."""
    return json.dumps(app_home_opened_payload(user_id, tab=tab))


def home_action_payload(
    value: str, *, user_id: str = "U1", action_id: str = "home_lock", menu: bool = False
) -> dict[str, Any]:
    """What Slack sends for a tap in the app's Home tab: a `block_actions` whose container is
    the view, with neither a channel nor a response_url."""
    payload = block_actions_payload(value, user_id=user_id, action_id=action_id, menu=menu)
    for field in ("channel", "response_url"):
        del payload[field]
    payload["container"] = {"type": "view", "view_id": "V1"}
    payload["view"] = {"id": "V1", "type": "home", "team_id": "T1", "callback_id": "",
                       "hash": "1.h", "app_id": "A1", "bot_id": "BBOT", "blocks": []}  # fmt: skip
    return payload


def home_action(value: str, **fields: Any) -> str:
    """The form-encoded body Slack POSTs for a tap in the Home tab (`home_action_payload`)."""
    return urlencode({"payload": json.dumps(home_action_payload(value, **fields))})


def _interaction(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def _from(user_id: str) -> dict[str, Any]:
    """Who an interaction comes from, as every payload of one says it."""
    user = {"id": user_id, "username": f"user_{user_id.lower()}", "team_id": "T1"}
    return {"team": {"id": "T1", "domain": "test"}, "user": user, "api_app_id": "A1",
            "token": "legacy-verification-token", "is_enterprise_install": False,
            "enterprise": None}  # fmt: skip


def shortcut_payload(callback_id: str, *, user_id: str = "U1") -> dict[str, Any]:
    """What Slack sends when someone runs a global shortcut (the ⚡ menu or search)."""
    return {
        "type": "shortcut",
        **_from(user_id),
        "action_ts": "1700000000.3",
        "callback_id": callback_id,
        "trigger_id": "1700000000.3.fake-trigger",
    }


def shortcut(callback_id: str, **fields: Any) -> str:
    """The form-encoded body Slack POSTs for a global shortcut."""
    return _interaction(shortcut_payload(callback_id, **fields))


def view_submission_payload(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str = "U1",
    view_id: str = "V1",
) -> dict[str, Any]:
    """What Slack sends when someone submits a modal: `values` is its `view.state.values`
    (block_id → action_id → the element's state, e.g. `{"type": "timepicker",
    "selected_time": "22:00"}`)."""
    return {
        "type": "view_submission",
        **_from(user_id),
        "trigger_id": "1700000000.4.fake-trigger",
        "view": {
            "id": view_id,
            "team_id": "T1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": "",
            "blocks": [],
            "state": {"values": values},
            "hash": "1700000000.fake-hash",
            "app_id": "A1",
            "bot_id": "BBOT",
        },
        "response_urls": [],
    }


def view_submission(
    callback_id: str, values: dict[str, dict[str, dict[str, Any]]], **fields: Any
) -> str:
    """The form-encoded body Slack POSTs for a submitted modal."""
    return _interaction(view_submission_payload(callback_id, values, **fields))
