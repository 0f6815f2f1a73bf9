"""`/lock admin mute|unmute|mutes|alerts|quiet` end to end: signed slash commands through the live
bot, the rows read back from the database, the audit trail checked for who made each change."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel, col, select

from bot.db import Database
from bot.models import AuditEvent, Door, DoorGroup, EventMute, QuietHours
from tests.e2e.conftest import LiveBot
from tests.e2e.test_admin import ADMIN, DENIED, audit_rows, say
from tests.fakes.slack_api import FakeSlack

TABLES: tuple[type[SQLModel], ...] = (Door, DoorGroup, EventMute, QuietHours, AuditEvent)


async def rows(database_url: str) -> dict[str, list[dict[str, Any]]]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            out = {}
            for model in TABLES:
                query = select(model)
                if model is not QuietHours:
                    query = query.order_by(col(model.id))  # type: ignore[attr-defined]
                out[model.__name__] = [r.model_dump() for r in (await session.exec(query)).all()]
            return out
    finally:
        await db.close()


async def test_an_admin_mutes_and_unmutes_news_for_a_door_or_a_group(
    live: LiveBot, database_url: str
) -> None:
    assert await say(live, 'add-group "Floor 2" "Back Door"') == "✅ *Floor 2* has *Back Door*."
    assert await say(live, "mutes") == (
        '🔔 Nothing is muted. Mute news with `/lock admin mute "Front Door" device.disconnected`.'
    )
    assert await say(live, "mute main device.disconnected") == (
        "🔇 No more `device.disconnected` news from *Front Door*."
    )
    assert await say(live, 'mute "floor 2" LOCK.UNLOCKED') == (
        "🔇 No more `lock.unlocked` news from the *Floor 2* group's doors."
    )
    assert await say(live, 'mute "Front Door" device.disconnected') == (
        "👌 `device.disconnected` was already muted for *Front Door*."
    )
    wrong = await say(live, "mute main lock.opened")
    assert wrong.startswith("⚠️ 'lock.opened' is not an event I relay; use one of device.")
    assert "lock.locked" in wrong
    unknown = await say(live, "mute Attic lock.locked")
    assert unknown.startswith("⚠️ No door or group is called 'Attic'")
    assert "`/lock admin doors`" in unknown and "`/lock admin groups`" in unknown
    assert (await say(live, "mute main")).startswith("⚠️ That doesn't fit `mute`.")

    assert await say(live, "mutes") == (
        "🔇 *Muted device news*\n"
        "• *Floor 2* (group): `lock.unlocked`\n"
        "• *Front Door*: `device.disconnected`"
    )
    assert await say(live, 'unmute "Front Door" device.disconnected') == (
        "🔔 `device.disconnected` news from *Front Door* is told again."
    )
    assert await say(live, 'unmute "Front Door" device.disconnected') == (
        "⚠️ `device.disconnected` was not muted for *Front Door*, so nothing changed."
    )

    state = await rows(database_url)
    group_id = state["DoorGroup"][0]["id"]
    assert [
        (m["event_type"], m["door_id"], m["group_id"], m["created_by"]) for m in state["EventMute"]
    ] == [("lock.unlocked", None, group_id, ADMIN)]
    assert (await audit_rows(database_url))[1:] == [
        (ADMIN, "event.mute", "Front Door"),
        (ADMIN, "event.mute", "Floor 2 (group)"),
        (ADMIN, "event.unmute", "Front Door"),
    ]


async def test_an_admin_routes_news_and_sets_quiet_hours(
    live: LiveBot, database_url: str, slack: FakeSlack
) -> None:
    await say(live, 'add-group "Floor 2" "Back Door"')
    assert await say(live, "alerts rear") == (
        "📣 News from *Back Door* goes to the default alert channel."
    )
    assert await say(live, 'alerts "Floor 2" <#CFLOOR|floor-2>') == (
        "📣 News from the *Floor 2* group's doors now goes to <#CFLOOR>."
    )
    assert await say(live, "alerts rear") == (
        "📣 News from *Back Door* goes to <#CFLOOR>, the *Floor 2* group's channel."
    )
    assert await say(live, "alerts main <#CSECURITY>") == (
        "📣 News from *Front Door* now goes to <#CSECURITY>."
    )
    assert await say(live, "alerts main") == "📣 News from *Front Door* goes to <#CSECURITY>."
    plain = await say(live, "alerts main #security")
    assert plain.startswith("⚠️ “#security” reached me as plain text")
    assert await say(live, "alerts main DEFAULT") == (
        "📣 News from *Front Door* goes to the default alert channel again."
    )

    assert await say(live, "quiet") == (
        "🔔 No channel has quiet hours. Set some with `/lock admin quiet #alerts 22:00-07:00`."
    )
    assert await say(live, "quiet <#CALERTS|alerts> 22:00-07:00 Europe/Berlin") == (
        "🌙 <#CALERTS> is quiet 22:00–07:00 (Europe/Berlin): only tampering and unexpected "
        "unlocks are posted then."
    )
    # Without a zone: the bot's LOCKBOT_TIMEZONE, UTC unless the caller passes another.
    assert await say(live, "quiet <#CFLOOR> 12:00-13:30") == (
        "🌙 <#CFLOOR> is quiet 12:00–13:30 (UTC): only tampering and unexpected unlocks are "
        "posted then."
    )
    assert await say(live, "quiet <#CALERTS>") == (
        "🌙 <#CALERTS> is quiet 22:00–07:00 (Europe/Berlin)."
    )
    assert await say(live, "quiet") == (
        "🌙 *Quiet hours*\n"
        "• <#CALERTS> is quiet 22:00–07:00 (Europe/Berlin)\n"
        "• <#CFLOOR> is quiet 12:00–13:30 (UTC)"
    )
    assert (await say(live, "quiet <#CALERTS> 22-7")).startswith(
        "⚠️ '22-7' is not a span of hours; write it like 22:00-07:00"
    )
    assert (await say(live, "quiet <#CALERTS> 22:00-07:00 Mars/Base")).startswith(
        "⚠️ 'Mars/Base' is not a time zone I know"
    )
    assert await say(live, "quiet <#CFLOOR> off") == (
        "🔔 <#CFLOOR> has no quiet hours now: all device news is posted."
    )
    assert await say(live, "quiet <#CFLOOR> OFF") == (
        "⚠️ <#CFLOOR> had no quiet hours, so nothing changed."
    )

    state = await rows(database_url)
    assert [(d["name"], d["alert_channel"]) for d in state["Door"]] == [
        ("Front Door", None),
        ("Back Door", None),
        ("Garage", None),
    ]
    assert [(g["name"], g["alert_channel"]) for g in state["DoorGroup"]] == [("Floor 2", "CFLOOR")]
    assert [
        (q["channel_id"], q["start"], q["end"], q["timezone"]) for q in state["QuietHours"]
    ] == [("CALERTS", "22:00", "07:00", "Europe/Berlin")]
    audit = [(e["actor"], e["action"], e["target"], e["detail"]) for e in state["AuditEvent"]]
    assert audit[1:] == [
        (ADMIN, "group.alerts", "Floor 2", "CFLOOR"),
        (ADMIN, "door.alerts", "Front Door", "CSECURITY"),
        (ADMIN, "door.alerts", "Front Door", "default"),
        (ADMIN, "quiet.set", "CALERTS", "22:00-07:00 Europe/Berlin"),
        (ADMIN, "quiet.set", "CFLOOR", "12:00-13:30 UTC"),
        (ADMIN, "quiet.clear", "CFLOOR", ""),
    ]
    assert slack.messages() == []  # admin answers are ephemeral; nothing is posted


async def test_non_admins_may_not_mute_route_or_quieten(live: LiveBot, database_url: str) -> None:
    before = await rows(database_url)
    for text in (
        "mute main device.disconnected",
        "unmute main device.disconnected",
        "mutes",
        "alerts main <#CSECURITY>",
        "alerts main",
        "quiet <#CALERTS> 22:00-07:00",
        "quiet <#CALERTS> off",
        "quiet",
    ):
        for user in ("U1", "U7"):
            assert await say(live, text, user=user) == DENIED, (user, text)
    assert await rows(database_url) == before


async def test_help_shows_the_device_news_commands(live: LiveBot) -> None:
    text = await say(live, "help")
    assert "*Device news*" in text
    for usage in (
        '`/lock admin mute "Front Door" device.disconnected`',
        '`/lock admin unmute "Floor 2" lock.unlocked`',
        "`/lock admin mutes`",
        '`/lock admin alerts "Front Door" #security`',
        "`/lock admin quiet #alerts 22:00-07:00 Europe/Berlin`",
    ):
        assert usage in text
    assert len(text) < 3000
