"""Seam's webhook, end to end: Svix-signed POSTs to the live bot in HTTP mode.

Payloads are signed with svix's own signer (what Seam's sender uses), so the bot's check is the
real scheme, timestamps and all; the events then go through the real EventRelay to fake Slack.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from seam.resources import seam_event_from_dict
from sqlmodel import col, select
from svix.webhooks import Webhook

from bot.db import Database
from bot.models import SeamEvent
from bot.runtime import Bot, StartupError
from bot.seam import to_device_event
from tests.e2e.conftest import ALERTS, LiveBot, bot_settings, quiet
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2
from tests.fakes.slack_api import FakeSlack

# A Svix secret is "whsec_" and base64 of the key.
SECRET = "whsec_" + base64.b64encode(b"lockbot-e2e-webhook-signing-key").decode()
WEBHOOK = "/seam/webhook"
with_secret = pytest.mark.settings(SEAM_WEBHOOK_SECRET=SECRET)


def seam_event(event_type: str, device_id: str = AUGUST_1, **fields: Any) -> dict[str, Any]:
    """An event as Seam sends it: ids, both timestamps, workspace and account."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "device_id": device_id,
        "workspace_id": "seed_workspace_1",
        "connected_account_id": "john_connected_account_id",
        "created_at": now,
        "occurred_at": now,
        **fields,
    }


def signed(
    payload: str, *, msg_id: str | None = None, at: datetime | None = None, secret: str = SECRET
) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    return {
        "content-type": "application/json",
        "svix-id": msg_id,
        "svix-timestamp": str(int(at.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, at, payload),
    }


async def post_event(http: httpx.AsyncClient, event: dict[str, Any], **sign: Any) -> httpx.Response:
    payload = json.dumps(event)
    return await http.post(WEBHOOK, content=payload, headers=signed(payload, **sign))


async def seam_events(database_url: str) -> list[SeamEvent]:
    db = Database(database_url)
    async with db.session() as s:
        rows = (await s.exec(select(SeamEvent).order_by(col(SeamEvent.id)))).all()
    await db.close()
    return list(rows)


def alerts(slack: FakeSlack) -> list[str]:
    return [c.args.get("text", "") for c in slack.messages(ALERTS)]


@with_secret
async def test_a_signed_event_is_relayed(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    event = seam_event("lock.unlocked", method="manual")
    response = await post_event(live.http, event)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "outcome": "relayed"}
    assert alerts(slack) == ["🔓 *Front Door* was unlocked (manual)"]
    [row] = await seam_events(database_url)
    assert (row.event_id, row.event_type, row.device_id, row.via, row.outcome) == (
        event["event_id"],
        "lock.unlocked",
        AUGUST_1,
        "webhook",
        "relayed",
    )


@with_secret
async def test_a_tampered_body_is_refused_and_nothing_is_done(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    signed_payload = json.dumps(seam_event("lock.unlocked", method="manual"))
    tampered = signed_payload.replace(AUGUST_1, AUGUST_2)
    response = await live.http.post(WEBHOOK, content=tampered, headers=signed(signed_payload))
    assert response.status_code == 401
    # A signature made with another secret is no better.
    other = "whsec_" + base64.b64encode(b"not-the-secret-seam-gave-us-000").decode()
    response = await live.http.post(
        WEBHOOK, content=signed_payload, headers=signed(signed_payload, secret=other)
    )
    assert response.status_code == 401
    # Nor is a header svix cannot even parse (a 500 here would make a sender retry for days).
    headers = signed(signed_payload) | {"svix-signature": "garbage"}
    response = await live.http.post(WEBHOOK, content=signed_payload, headers=headers)
    assert response.status_code == 401
    await quiet(slack, 0.2)
    assert alerts(slack) == []
    assert await seam_events(database_url) == []


@with_secret
async def test_a_stale_or_future_timestamp_is_refused(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    event = seam_event("lock.unlocked", method="manual")
    stale = await post_event(live.http, event, at=datetime.now(UTC) - timedelta(minutes=6))
    future = await post_event(live.http, event, at=datetime.now(UTC) + timedelta(minutes=6))
    assert (stale.status_code, future.status_code) == (401, 401)
    assert await seam_events(database_url) == []
    # The same event signed now is accepted: it was only the timestamp.
    assert (await post_event(live.http, event)).status_code == 200
    assert len(await seam_events(database_url)) == 1
    assert len(alerts(slack)) == 1


@with_secret
async def test_a_replayed_message_is_answered_but_handled_once(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    event = seam_event("device.low_battery", battery_level=0.08)
    payload = json.dumps(event)
    headers = signed(payload)
    first = await live.http.post(WEBHOOK, content=payload, headers=headers)
    replay = await live.http.post(WEBHOOK, content=payload, headers=headers)
    # Seam sending the same event again under a new message id: the relay's dedupe catches it.
    resent = await post_event(live.http, event)
    assert [r.status_code for r in (first, replay, resent)] == [200, 200, 200]
    assert [r.json()["outcome"] for r in (first, replay, resent)] == [
        "relayed",
        "duplicate",
        "duplicate",
    ]
    await quiet(slack, 0.2)
    assert alerts(slack) == ["🪫 *Front Door* battery is low (8%)"]
    assert [(r.event_id, r.outcome) for r in await seam_events(database_url)] == [
        (event["event_id"], "relayed")
    ]


async def test_without_a_secret_there_is_no_webhook(live: LiveBot) -> None:
    payload = json.dumps(seam_event("lock.unlocked"))
    response = await live.http.post(WEBHOOK, content=payload, headers=signed(payload))
    assert response.status_code == 404
    assert live.bot.poller is not None  # the poller reads the events instead


async def test_socket_mode_polls_even_with_a_secret(
    database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    """Seam cannot reach a bot that has no public URL, so the secret alone does not count."""
    settings = bot_settings(
        database_url,
        seam.url,
        slack.api_url,
        SEAM_WEBHOOK_SECRET=SECRET,
        SLACK_APP_TOKEN="xapp-1-test",
    )
    bot = Bot(settings, http=False, port=0)
    assert bot.socket_mode and bot.seam_webhook is None
    http = Bot(settings, http=True, port=0)
    assert http.seam_webhook is not None


async def test_a_malformed_secret_stops_the_start(
    database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    settings = bot_settings(
        database_url, seam.url, slack.api_url, SEAM_WEBHOOK_SECRET="whsec_abcde"
    )
    with pytest.raises(StartupError, match="SEAM_WEBHOOK_SECRET"):
        Bot(settings, http=True, port=0)


# -- translating the SDK's events ---------------------------------------------------------------


def test_a_lock_event_keeps_its_method_and_attempt() -> None:
    raw = seam_event(
        "lock.locked",
        method="keycode",
        action_attempt_id="aa-9",
        occurred_at="2026-03-01T10:00:00.250Z",
        created_at="2026-03-01T10:00:05Z",
    )
    event = to_device_event(seam_event_from_dict(raw))
    assert event is not None
    assert (event.event_type, event.device_id, event.method, event.action_attempt_id) == (
        "lock.locked",
        AUGUST_1,
        "keycode",
        "aa-9",
    )
    assert event.occurred_at == datetime(2026, 3, 1, 10, 0, 0, 250000, tzinfo=UTC)
    # A keypad unlock names its code, which a lock window tells by name.
    unlocked = seam_event("lock.unlocked", method="keycode", access_code_id="ac-7")
    keypad = to_device_event(seam_event_from_dict(unlocked))
    assert keypad is not None and (keypad.method, keypad.access_code_id) == ("keycode", "ac-7")


def test_a_failed_attempt_takes_its_error_from_the_raw_payload() -> None:
    raw = seam_event(
        "action_attempt.lock_door.failed",
        action_attempt_id="aa-1",
        action_type="LOCK_DOOR",
        status="error",
        error={"type": "device_offline", "message": "Device is offline"},
    )
    # The SDK's class has no `error` field; without the raw JSON the error is simply unknown.
    bare = to_device_event(seam_event_from_dict(raw))
    assert bare is not None and bare.error_type is None
    event = to_device_event(seam_event_from_dict(raw), raw)
    assert event is not None
    assert (event.action_attempt_id, event.error_type, event.error_message, event.method) == (
        "aa-1",
        "device_offline",
        "Device is offline",
        None,
    )


def test_battery_prefers_the_devices_own_level() -> None:
    low = to_device_event(
        seam_event_from_dict(
            seam_event("device.low_battery", battery_level=0.5, device_battery_level=0.1)
        )
    )
    changed = to_device_event(
        seam_event_from_dict(
            seam_event("device.battery_status_changed", battery_level=0.9, battery_status="good")
        )
    )
    assert low is not None and (low.battery_level, low.battery_status) == (0.1, None)
    assert changed is not None and (changed.battery_level, changed.battery_status) == (0.9, "good")


def test_missing_fields_do_not_break_translation() -> None:
    # An event type newer than the SDK arrives as a plain mapping.
    newer = to_device_event(
        seam_event_from_dict({"event_id": "e1", "event_type": "device.brand_new_thing"})
    )
    assert newer is not None and newer.device_id is None and newer.occurred_at.tzinfo is not None
    # Only created_at, and a naive one: taken as UTC.
    dated = to_device_event(
        {"event_id": "e2", "event_type": "x", "created_at": "2026-01-02T03:04:05"}
    )
    assert dated is not None and dated.occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # Junk where numbers and strings belong is dropped, not trusted.
    junk = to_device_event(
        {
            "event_id": "e3",
            "event_type": "device.low_battery",
            "battery_level": "low",
            "device_id": 7,
            "occurred_at": "yesterday",
        }
    )
    assert junk is not None and (junk.battery_level, junk.device_id) == (None, None)
    assert to_device_event({"event_type": "lock.locked"}) is None
    assert to_device_event({"event_id": "e4"}) is None
