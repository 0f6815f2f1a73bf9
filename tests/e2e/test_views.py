"""`/lock list`, `/lock status` and `/lock history` end to end: signed commands in, the ephemeral
ack out. Status reads Seam's fake live; its devices are changed through the fake's harness."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.access import grant
from bot.db import Database
from bot.door_admin import add_door
from bot.door_groups import add_group
from bot.models import LockRequest, LockStatus, utcnow
from bot.names import find_door
from bot.slack.words.common import TEXT_MAX
from tests.e2e.conftest import LiveBot, assert_all_final, followed_up
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1, AUGUST_2, FakeSeamServer
from tests.fakes.slack_api import FakeSlack

ASKED = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>")


async def ack(live: LiveBot, text: str, user_id: str = "U1") -> str:
    sent = await live.command(text, user_id=user_id)
    assert sent.response.status_code == 200
    body = sent.response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    text_: str = body["text"]
    return text_


async def status(live: LiveBot, slack: FakeSlack, target: str, user_id: str = "U1") -> str:
    """`/lock status <target>`: acked at once, answered live from Seam at the response_url."""
    note, answer = await followed_up(live, slack, f"status {target}", user_id=user_id)
    assert note.startswith("⏳ Asking Seam about *"), note
    return answer


async def make_group(database_url: str, name: str, doors: list[str]) -> None:
    db = Database(database_url)
    async with db.session() as s:
        await add_group(s, name, doors)
        await s.commit()
    await db.close()


async def add_row(database_url: str, door: str, user: str, **values: Any) -> None:
    db = Database(database_url)
    async with db.session() as s:
        found = await find_door(s, door)
        assert found is not None
        s.add(
            LockRequest(
                source="slack",
                user_id=user,
                text=door,
                door_id=found.id,
                door_name=found.name,
                device_id=found.device_id,
                **values,
            )
        )
        await s.commit()
    await db.close()


@pytest.fixture
async def fake_admin(fake_seam: FakeSeamServer) -> AsyncIterator[httpx.AsyncClient]:
    """Changes the fake's devices; the fake is shared by the session, so it is reset after."""
    async with httpx.AsyncClient(base_url=fake_seam.url, timeout=10) as client:
        try:
            yield client
        finally:
            (await client.post("/_harness/reset", json={})).raise_for_status()


async def set_problems(client: httpx.AsyncClient, device_id: str, **lists: list[Any]) -> None:
    """Give a device Seam `errors` / `warnings` (top-level fields the harness cannot set)."""
    state = (await client.get("/_fake/database")).raise_for_status().json()
    devices = state["devices"]
    for device in devices:
        if device["device_id"] == device_id:
            device.update(lists)
    (await client.post("/_fake/database", json={"devices": devices})).raise_for_status()


# -- /lock list ------------------------------------------------------------------------------


async def test_list_shows_what_you_may_lock_with_its_last_state(
    live: LiveBot, database_url: str
) -> None:
    await live.command("front door")
    await assert_all_final(database_url)
    await add_row(
        database_url,
        "back door",
        "U1",
        status=LockStatus.FAILED,
        error_type="device_offline",
        created_at=utcnow() - timedelta(hours=2, seconds=5),
        finished_at=utcnow() - timedelta(hours=2),
    )
    # Denied requests never reached Seam, so they are not a door's state.
    await add_row(database_url, "back door", "U9", status=LockStatus.DENIED, finished_at=utcnow())
    await make_group(database_url, "Floor 1", ["front door", "back door"])
    await make_group(database_url, "Everything", ["front door", "back door", "garage"])

    text = await ack(live, "list")
    assert text.splitlines() == [
        "🔐 *You can lock 2 doors and 1 group:*",
        "❌ *Back Door* (also `rear`): failed 2 h ago (`device_offline`)",
        "🔒 *Front Door* (also `main`): locked by lockbot (<@U1>) just now",
        "🏢 *Floor 1* (group, 2 doors): Back Door, Front Door",
        "_`/lock &lt;name&gt;` locks one; `/lock status &lt;name&gt;` asks Seam how it is right now._",
    ]

    night = await ack(live, "list", user_id="U7")
    assert "❔ *Garage*: not known yet" in night
    assert "Front Door" not in night and "Floor 1" not in night


async def test_list_notes_a_door_missing_from_seam(live: LiveBot, database_url: str) -> None:
    db = Database(database_url)
    async with db.session() as s:
        garage = await find_door(s, "garage")
        assert garage is not None
        garage.missing_at = utcnow() - timedelta(days=3)
        s.add(garage)
        await s.commit()
    await db.close()
    text = await ack(live, "list", user_id="UADMIN")
    assert (
        "❔ *Garage*: not known yet · 🚪 missing from Seam since 3 d ago, so it can't be locked"
    ) in text
    assert text.startswith("🔐 *You can lock 3 doors:*")


async def test_list_with_nothing_to_lock_says_how_to_get_access(live: LiveBot) -> None:
    assert await ack(live, "list", user_id="U9") == (
        "🔐 You can't lock any door yet. Ask <@UADMIN> for access."
    )


async def test_a_long_list_stays_within_one_section(live: LiveBot, database_url: str) -> None:
    db = Database(database_url)
    async with db.session() as s:
        for i in range(120):
            await add_door(s, f"Room {i:03d} <east wing & annex>", f"device_{i}")
        await grant(s, "ULOTS", "*")
        await s.commit()
    await db.close()
    text = await ack(live, "list", user_id="ULOTS")
    assert len(text) <= TEXT_MAX
    shown = text.count("not known yet")
    assert 10 < shown < 123
    assert f"…and {123 - shown} more" in text
    assert "*Room 000 &lt;east wing &amp; annex&gt;*" in text  # escaped, never a link
    assert text.endswith("asks Seam how it is right now._")


# -- /lock status ----------------------------------------------------------------------------


async def test_status_of_a_door_is_live_from_seam(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    text = await status(live, slack, "front door")
    assert text == "🔒 *Front Door*: locked · online · 🔋 battery 100% (full)"
    assert [c.path for c in seam.calls] == ["/devices/get"]


async def test_status_is_acked_while_seam_is_still_being_asked(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack
) -> None:
    gate = seam.hold("/devices/get")
    sent = await live.command("status front door", response_url=slack.response_url())
    assert sent.response.status_code == 200
    assert sent.response.json() == {
        "text": "⏳ Asking Seam about *Front Door*…",
        "response_type": "ephemeral",
    }
    await gate.arrived()  # the read is at Seam, held: the ack above did not wait for it
    assert slack.calls_to("response_url") == []
    gate.release()
    answer = await slack.wait_for(lambda c: c.method == "response_url")
    assert answer.args["text"] == "🔒 *Front Door*: locked · online · 🔋 battery 100% (full)"
    assert answer.args["response_type"] == "ephemeral"


async def test_status_answers_even_when_reading_fails_or_the_response_url_does(
    live: LiveBot, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(device_id: str) -> None:
        raise RuntimeError("a bug, say")

    monkeypatch.setattr(live.bot.runtime.backend, "get_lock", broken)
    _, answer = await followed_up(live, slack, "status front door")
    assert answer == (
        "⚠️ I couldn't get an answer from Seam about *Front Door*. Try again in a minute."
    )
    # A response_url that fails still leaves a DM: the answer is never lost.
    slack.fail("response_url", status=500, times=99)
    await live.command("status rear", response_url=slack.response_url())
    dm = await slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U1"
    )
    assert (
        dm.args["text"]
        == "⚠️ I couldn't get an answer from Seam about *Back Door*. Try again in a minute."
    )


async def test_status_of_a_group_reads_every_door(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    await make_group(database_url, "Floor 1", ["front door", "rear"])
    text = await status(live, slack, "floor 1")
    assert text.splitlines() == [
        "🏢 *Floor 1*: 2 doors, live from Seam",
        "🔒 *Back Door*: locked · online · 🔋 battery 100% (full)",
        "🔒 *Front Door*: locked · online · 🔋 battery 100% (full)",
    ]
    assert len(seam.calls_to("/devices/get")) == 2


async def test_status_shows_offline_battery_door_and_problems_in_plain_words(
    live: LiveBot, slack: FakeSlack, fake_admin: httpx.AsyncClient
) -> None:
    properties = {
        "online": False,
        "locked": False,
        "battery": {"level": 0.08, "status": "low"},
        "door_open": True,
    }
    update = {"device_id": AUGUST_1, "properties": properties}
    (await fake_admin.post("/_harness/update_device", json=update)).raise_for_status()
    await set_problems(
        fake_admin,
        AUGUST_1,
        errors=[
            {
                "error_code": "hub_disconnected",
                "message": "Hub is disconnected",
                "is_device_error": True,
                "created_at": "2025-01-01T00:00:00.000Z",
            }
        ],
        warnings=[{"warning_code": "some_new_warning", "message": "Keypad <b> is tired"}],
    )
    text = await status(live, slack, "main")
    assert text.splitlines() == [
        "🔓 *Front Door*: unlocked (last reported) · 📴 offline · 🪫 battery 8% (low) · 🚪 door open",
        "    ↳ ⛔ The lock's hub or bridge is offline, so Seam can't reach the lock: check the "
        "hub's power and network.",
        "    ↳ ⚠️ Keypad &lt;b&gt; is tired (`some_new_warning`)",
        "    ↳ ⚠️ The battery is low: replace or charge it soon.",
    ]


async def test_status_of_an_offline_lock_without_errors_still_explains(
    live: LiveBot, slack: FakeSlack, fake_admin: httpx.AsyncClient
) -> None:
    update = {"device_id": AUGUST_2, "properties": {"online": False}}
    (await fake_admin.post("/_harness/update_device", json=update)).raise_for_status()
    text = await status(live, slack, "rear")
    assert text.splitlines() == [
        "🔒 *Back Door*: locked (last reported) · 📴 offline · 🔋 battery 100% (full)",
        "    ↳ ⛔ The lock is offline: check its power and its hub or Wi-Fi.",
    ]


async def test_status_when_seam_fails_says_so_for_that_door(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    seam.fail("/devices/get", status=503, body="")
    text = await status(live, slack, "front door")
    assert text == (
        "⚠️ *Front Door*: couldn't get an answer from Seam (`seam_unavailable`). "
        "Try again in a minute."
    )

    # In a group, one door's failure leaves the others' answers intact.
    await make_group(database_url, "Floor 1", ["front door", "back door"])
    seam.fail("/devices/get", status=500, body="")
    lines = (await status(live, slack, "floor 1")).splitlines()
    assert lines[0] == "🏢 *Floor 1*: 2 doors, live from Seam"
    assert sorted(line.split(":")[1].strip() for line in lines[1:]) == [
        "couldn't get an answer from Seam (`seam_unavailable`). Try again in a minute.",
        "locked · online · 🔋 battery 100% (full)",
    ]


async def test_status_of_a_device_seam_does_not_know(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    db = Database(database_url)
    async with db.session() as s:
        await add_door(s, "Ghost", "ghost_device_404")
        await s.commit()
    await db.close()
    text = await status(live, slack, "ghost", user_id="UADMIN")
    assert text == (
        "⚠️ *Ghost*: Seam doesn't know its lock (`device_not_found`). An admin should run "
        "`lockbot doors sync` and check `lockbot doors list`."
    )


async def test_status_only_for_what_you_may_lock(
    live: LiveBot, seam: SeamProxy, slack: FakeSlack, database_url: str
) -> None:
    assert await ack(live, "status garage") == (
        "🚫 You can only see the status of doors you may lock, and *Garage* isn't one of them. "
        "Ask <@UADMIN> for access."
    )
    await make_group(database_url, "Everything", ["front door", "back door", "garage"])
    assert await ack(live, "status everything") == (
        "🚫 You can only see the status of doors you may lock, and *Everything* has doors you "
        "may not lock (*Garage*). Ask <@UADMIN> for access."
    )
    assert seam.calls == []
    admin = await status(live, slack, "everything", user_id="UADMIN")
    assert admin.startswith("🏢 *Everything*: 3 doors, live from Seam")
    assert "🔒 *Garage*: locked" in admin


async def test_status_of_an_unknown_name_suggests(live: LiveBot, seam: SeamProxy) -> None:
    text = await ack(live, "status frnt door")
    assert text.startswith("🤔 I don't know a door or group called “frnt door”. Did you mean ")
    assert "*Front Door*" in text and "`/lock status front door`" in text
    assert seam.calls == []


# -- /lock history ---------------------------------------------------------------------------


async def test_history_shows_only_doors_you_may_lock_and_admins_everything(
    live: LiveBot, database_url: str
) -> None:
    await live.command("front door")
    await live.command("garage", user_id="U7")
    await assert_all_final(database_url)
    await live.command("front door", user_id="U2")  # denied, but part of Front Door's story
    await live.command("no such door", user_id="U2")

    mine = (await ack(live, "history")).splitlines()
    assert mine[0] == "🕘 Last 2 lock requests for the doors you may lock:"
    assert mine[1].startswith("🚫 *Front Door* not allowed · <@U2> · just now, ")
    assert re.fullmatch(
        rf"✅ \*Front Door\* locked · <@U1> · just now, {ASKED.pattern} · \d+\.\d s", mine[2]
    )
    assert "Garage" not in "\n".join(mine)

    everything = (await ack(live, "history", user_id="UADMIN")).splitlines()
    assert everything[0] == "🕘 Last 4 lock requests for every door:"
    assert everything[1].startswith("🤷 “no such door” no such door · <@U2> · ")
    assert any(line.startswith("✅ *Garage* locked · <@U7> · ") for line in everything)

    night = (await ack(live, "history", user_id="U7")).splitlines()
    assert [line.split(" · ")[0] for line in night[1:]] == ["✅ *Garage* locked"]


async def test_history_of_one_door_with_a_limit(live: LiveBot, database_url: str) -> None:
    for _ in range(3):
        await live.command("front door")
        await assert_all_final(database_url)
    await live.command("back door")
    await assert_all_final(database_url)
    text = await ack(live, "history main 2")
    assert text.splitlines()[0] == "🕘 Last 2 lock requests for *Front Door*:"
    assert len(text.splitlines()) == 3
    assert "Back Door" not in text


async def test_history_of_a_door_you_may_not_lock_is_refused(live: LiveBot) -> None:
    assert await ack(live, "history garage") == (
        "🚫 You can only see the history of doors you may lock, and *Garage* isn't one of them. "
        "Ask <@UADMIN> for access."
    )


async def test_history_with_nothing_to_see_is_polite(live: LiveBot) -> None:
    assert await ack(live, "history", user_id="U9") == (
        "📭 There's no history to show you: you can only see the history of doors you may "
        "lock, and you can't lock any yet. Ask <@UADMIN> for access."
    )
    assert await ack(live, "history") == "📭 No lock requests yet for the doors you may lock."
    assert await ack(live, "history front dor") == (
        "🤔 I don't know a door or group called “front dor”. Did you mean *Front Door*? "
        "Try `/lock history front door`."
    )
