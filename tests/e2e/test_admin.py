"""`/lock admin …` end to end: signed slash commands through the live bot, the changes read back
from the database, the audit trail checked for who made them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select

from bot.db import Database
from bot.door_admin import add_door
from bot.models import (
    AuditEvent,
    Door,
    DoorAlias,
    DoorChannel,
    DoorGroup,
    Grant,
    GroupMember,
)
from tests.e2e.conftest import LiveBot, assert_all_final, followed_up
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import AUGUST_1
from tests.fakes.slack_api import FakeSlack

ADMIN = "UADMIN"
GHOST = "ghost_device_404"  # a device ID Seam's fake does not know
DENIED = "🚫 `/lock admin` is for lockbot admins. If something needs changing, ask <@UADMIN>."
TABLES: tuple[type[SQLModel], ...] = (
    Door,
    DoorAlias,
    DoorGroup,
    GroupMember,
    DoorChannel,
    Grant,
    AuditEvent,
)


async def say(live: LiveBot, text: str, *, user: str = ADMIN, channel: str = "C1") -> str:
    """`/lock admin <text>` from `user`; the ephemeral answer."""
    sent = await live.command(f"admin {text}".strip(), user_id=user, channel_id=channel)
    assert sent.response.status_code == 200
    body = sent.response.json()
    assert body.get("response_type") == "ephemeral"
    return str(body["text"])


async def sync(live: LiveBot, slack: FakeSlack, args: str = "") -> str:
    """`/lock admin sync [args]`: acked at once, Seam's answer at the response_url."""
    note, answer = await followed_up(live, slack, f"admin sync {args}".strip(), user_id=ADMIN)
    assert note == "⏳ Asking Seam for its locks…"
    return answer


async def snapshot(database_url: str) -> dict[str, list[dict[str, Any]]]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return {
                model.__name__: [
                    row.model_dump()
                    for row in (await session.exec(select(model).order_by(col(model.id)))).all()  # type: ignore[attr-defined]
                ]
                for model in TABLES
            }
    finally:
        await db.close()


async def audit_rows(database_url: str) -> list[tuple[str, str, str]]:
    rows = (await snapshot(database_url))["AuditEvent"]
    return [(r["actor"], r["action"], r["target"]) for r in rows]


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def admin_log() -> Iterator[Captured]:
    # On the package's own logger, which its modules' records reach: the bot replaces the root
    # logger's handlers as it starts.
    handler = Captured()
    logger = logging.getLogger("bot.slack.admin")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


EVERY_KIND = [
    "",
    "help",
    "frobnicate",
    "doors",
    f'add-door "Side Door" {GHOST} side',
    'rename "Front Door" Lobby',
    'alias "Front Door" lobby',
    "unalias main",
    'remove-door "Front Door"',
    'channels "Front Door" <#CLOBBY|lobby>',
    'channels "Front Door" any',
    "groups",
    'add-group "Floor 3" "Garage"',
    'ungroup "Floor 2" "Back Door"',
    'remove-group "Floor 2"',
    "grant <@U1|ann> admin",
    'grant <!subteam^SNIGHT|@night> "Front Door"',
    'revoke <@U1> "Front Door"',
    "grants",
    "sync",
    "sync --dry-run",
    "audit 5",
    'rename "unclosed',
]


async def test_non_admins_are_refused_every_subcommand_and_nothing_changes(
    live: LiveBot, database_url: str, seam: SeamProxy, slack: FakeSlack, admin_log: Captured
) -> None:
    made = await say(live, 'add-group "Floor 2" "Front Door" "Back Door"')
    assert made.startswith("✅")
    before = await snapshot(database_url)
    admin_log.messages.clear()

    # U1 may lock two doors and U7 one through a user group: neither makes them admins.
    for user in ("U1", "U7"):
        for text in EVERY_KIND:
            answer = await say(live, text, user=user)
            assert answer == DENIED, (user, text, answer)

    assert await snapshot(database_url) == before
    assert seam.calls == []  # not even `sync` reached Seam
    assert slack.messages() == []
    refusals = [m for m in admin_log.messages if "refused" in m]
    assert len(refusals) == 2 * len(EVERY_KIND)
    assert all("is not an admin" in m for m in refusals)
    assert sum("U1 is not an admin" in m for m in refusals) == len(EVERY_KIND)


async def test_an_admin_manages_doors_groups_channels_and_grants(
    live: LiveBot, database_url: str, seam: SeamProxy
) -> None:
    assert await say(live, f'add-door "Side Door" {GHOST} side') == (
        f"✅ Added *Side Door* → `{GHOST}` (aliases: side). Only admins may lock it until you "
        'grant it: `/lock admin grant @someone "Side Door"`.'
    )
    taken = await say(live, f"add-door front-DOOR {GHOST}")
    assert taken.startswith("⚠️ 'front-DOOR' already names a door, alias or group")
    assert await say(live, 'alias "Side Door" "West Wing"') == (
        "✅ *West Wing* now means *Side Door*."
    )
    assert await say(live, 'rename side "Garden Door"') == "✅ *Side Door* is now *Garden Door*."
    # Unquoted words make one name where only one name can be meant.
    assert await say(live, "unalias west wing") == "✅ *west wing* no longer means *Garden Door*."
    assert await say(live, 'channels "Garden Door" <#CLOBBY|lobby> <#CSECURITY>') == (
        "📍 *Garden Door* may now be locked only from <#CLOBBY>, <#CSECURITY>."
    )
    plain = await say(live, 'channels "Garden Door" #lobby')
    assert plain.startswith("⚠️ “#lobby” reached me as plain text")

    assert await say(live, 'add-group "Floor 2" "Front Door" rear garden-door') == (
        "✅ *Floor 2* has *Back Door*, *Front Door*, *Garden Door*."
    )
    assert await say(live, 'ungroup "Floor 2" rear') == (
        "✅ *Floor 2* has *Front Door*, *Garden Door*."
    )
    groups = await say(live, "groups")
    assert groups == "🗂️ *1 group*\n• *Floor 2*: *Front Door*, *Garden Door*"

    # Mentions arrive escaped, with or without a label; the grant is to the ID.
    assert await say(live, 'grant <@U9|bob> "Floor 2"') == (
        "✅ <@U9> may now lock the *Floor 2* group."
    )
    assert await say(live, "grant <!subteam^SNIGHT|@night-shift> *") == (
        "✅ <!subteam^SNIGHT> may now lock every door."
    )
    assert await say(live, "grant U9 main") == "✅ <@U9> may now lock *Front Door*."
    assert await say(live, "grant <@U9> front-door") == "👌 <@U9> could already lock *Front Door*."
    named = await say(live, 'grant bob "Garage"')
    assert named.startswith("⚠️ “bob” is not someone I can grant to")
    unknown = await say(live, "grant <@U9> Attic")
    assert unknown.startswith("⚠️ No door or group is called 'Attic'")
    assert "`/lock admin doors`" in unknown and "lockbot" not in unknown.replace("/lock", "")

    grants = (await say(live, "grants")).splitlines()
    assert grants[0] == "🔑 *Grants*"
    assert "• <!subteam^SNIGHT>: every door, *Garage*" in grants
    assert "• <@U9>: *Floor 2* (group), *Front Door*" in grants
    assert grants[-1] == "Admins through `LOCKBOT_ADMINS`: <@UADMIN>"

    assert await say(live, 'revoke <@U9> "floor 2"') == (
        "✅ <@U9> may no longer lock the *Floor 2* group."
    )
    assert await say(live, 'revoke <@U9> "floor 2"') == (
        "⚠️ <@U9> had no grant for the *Floor 2* group, so nothing changed."
    )

    doors = (await say(live, "doors")).splitlines()
    assert doors[0] == "🚪 *4 doors*"
    assert f"• *Front Door* `{AUGUST_1}` · aliases: main" in doors
    assert f"• *Garden Door* `{GHOST}` · aliases: side · only from <#CLOBBY>, <#CSECURITY>" in doors

    # Said wrong: each gets its own way of saying how.
    assert (await say(live, 'rename "Front Door')).startswith("⚠️ A quote is not closed.")
    assert (await say(live, "rename Front Door Main Entrance")).startswith(
        "⚠️ That doesn't fit `rename`. Names with spaces go in quotes"
    )
    unknown_sub = await say(live, "frobnicate")
    assert unknown_sub.startswith("🤔 I don't know `frobnicate`.\n🛠️ *lockbot admin*")

    assert await say(live, "remove-group floor 2") == (
        "🗑️ Removed the group *Floor 2* and its grants. Its doors stay."
    )
    assert await say(live, "remove-door garden door") == (
        "🗑️ Removed *Garden Door*, with its aliases and grants. Its lock history stays."
    )

    state = await snapshot(database_url)
    assert sorted(d["name"] for d in state["Door"]) == ["Back Door", "Front Door", "Garage"]
    assert state["DoorGroup"] == [] and state["DoorChannel"] == []
    assert await audit_rows(database_url) == [
        (ADMIN, "door.add", "Side Door"),
        (ADMIN, "alias.add", "Side Door"),
        (ADMIN, "door.rename", "Garden Door"),
        (ADMIN, "alias.remove", "Garden Door"),
        (ADMIN, "door.channels", "Garden Door"),
        (ADMIN, "group.add", "Floor 2"),
        (ADMIN, "group.remove_doors", "Floor 2"),
        (ADMIN, "grant.add", "U9"),
        (ADMIN, "grant.add", "SNIGHT"),
        (ADMIN, "grant.add", "U9"),
        (ADMIN, "grant.remove", "U9"),
        (ADMIN, "group.remove", "Floor 2"),
        (ADMIN, "door.remove", "Garden Door"),
    ]

    recent = (await say(live, "audit 2")).splitlines()
    assert recent[0] == "📜 *Last 2 changes*, newest first"
    assert recent[1].startswith("• <!date^") and recent[1].endswith(
        f"<@UADMIN> `door.remove` *Garden Door*: device {GHOST}"
    )
    assert recent[2].endswith("<@UADMIN> `group.remove` *Floor 2*")
    assert (await say(live, "audit 0")).startswith("⚠️ `audit` shows 1 to 50 changes")
    assert seam.calls == []  # managing doors never talks to Seam


async def test_help_lists_every_subcommand_with_an_example(live: LiveBot) -> None:
    text = await say(live, "help")
    assert text == await say(live, "")
    for word in (
        "doors",
        "add-door",
        "rename",
        "alias",
        "unalias",
        "remove-door",
        "channels",
        "groups",
        "add-group",
        "ungroup",
        "remove-group",
        "grant",
        "revoke",
        "grants",
        "sync",
        "audit",
    ):
        assert f"`/lock admin {word}" in text, word
    assert '`/lock admin grant @someone "Front Door"`' in text
    assert len(text) < 3000


async def test_sync_reads_seams_locks_and_dry_run_writes_nothing(
    live: LiveBot, database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    await say(live, f"add-door Ghost {GHOST}")
    before = await snapshot(database_url)

    dry = await sync(live, slack, "--dry-run")
    assert dry == (
        "🔄 *Seam sync* (dry run)\n```\n"
        f"! Ghost ({GHOST}) is missing from Seam; locking it is refused until it returns\n"
        "✓ dry run, nothing written. Seam lists 3 locks: 0 added, 0 renamed, 1 missing, 0 back"
        "\n```"
    )
    assert await snapshot(database_url) == before

    synced = await sync(live, slack)
    assert synced == (
        "🔄 *Seam sync*\n```\n"
        f"! Ghost ({GHOST}) is missing from Seam; locking it is refused until it returns\n"
        "✓ Seam lists 3 locks: 0 added, 0 renamed, 1 missing, 0 back\n```"
    )
    assert seam.calls_to("/devices/list")
    assert seam.calls_to("/locks/lock_door") == []
    ghost = next(d for d in (await snapshot(database_url))["Door"] if d["name"] == "Ghost")
    assert ghost["missing_at"] is not None
    assert "• *Ghost* `ghost_device_404` · ⚠️ missing from Seam" in await say(live, "doors")
    assert (await audit_rows(database_url))[-1] == (ADMIN, "doors.sync", "*")

    again = await sync(live, slack)
    assert "✓ Seam lists 3 locks; the doors already match" in again
    assert f"still missing from Seam: Ghost ({GHOST})" in again


async def test_sync_is_acked_while_seam_is_still_listing(
    live: LiveBot, database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    await say(live, f"add-door Ghost {GHOST}")
    gate = seam.hold("/devices/list")
    sent = await live.command("admin sync", user_id=ADMIN, response_url=slack.response_url())
    assert sent.response.status_code == 200
    assert sent.response.json()["text"] == "⏳ Asking Seam for its locks…"
    await gate.arrived()  # the list is at Seam, held: the ack above did not wait for it
    assert slack.calls_to("response_url") == []
    ghost = next(d for d in (await snapshot(database_url))["Door"] if d["name"] == "Ghost")
    assert ghost["missing_at"] is None
    gate.release()
    answer = await slack.wait_for(lambda c: c.method == "response_url")
    assert answer.args["text"].startswith("🔄 *Seam sync*\n```\n! Ghost")
    ghost = next(d for d in (await snapshot(database_url))["Door"] if d["name"] == "Ghost")
    assert ghost["missing_at"] is not None


async def test_sync_when_seam_fails_says_so_and_changes_nothing(
    live: LiveBot, database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    before = await snapshot(database_url)
    seam.fail("/devices/list", status=401, body='{"error": {"type": "unauthorized"}}')
    answer = await sync(live, slack)
    assert answer.startswith("⚠️ I could not list Seam's locks: ")
    assert answer.endswith("Nothing changed; try again in a minute.")
    assert await snapshot(database_url) == before


async def test_an_admin_grant_lets_others_administer_until_revoked(
    live: LiveBot, database_url: str, slack: FakeSlack
) -> None:
    assert await say(live, "doors", user="U5") == DENIED
    assert await say(live, "grant <@U5|eve> admin") == "✅ <@U5> is now a lockbot admin."
    assert await say(live, "grant <@U5> ADMIN") == "👌 <@U5> was already an admin."

    assert (await say(live, "add-door Lobby lobby_device", user="U5")).startswith(
        "✅ Added *Lobby*"
    )
    assert await say(live, "grant <@U6> lobby", user="U5") == "✅ <@U6> may now lock *Lobby*."
    # Whoever asks is told of every admin, by grant too.
    assert await say(live, "doors", user="U6") == (
        "🚫 `/lock admin` is for lockbot admins. If something needs changing, ask <@UADMIN>, <@U5>."
    )

    # A user group's admin grant covers its members (SNIGHT is U7).
    assert await say(live, "grant <!subteam^SNIGHT|@night> admin") == (
        "✅ <!subteam^SNIGHT> is now a lockbot admin."
    )
    assert (await say(live, "grants", user="U7")).startswith("🔑 *Grants*")

    assert await say(live, "revoke <@U5> admin") == "✅ <@U5> is no longer an admin by grant."
    assert await say(live, "doors", user="U5") == (
        "🚫 `/lock admin` is for lockbot admins. If something needs changing, ask <@UADMIN>, "
        "<!subteam^SNIGHT>."
    )
    assert await say(live, "revoke <@UADMIN> admin") == (
        "⚠️ <@UADMIN> had no admin grant, so nothing changed. `LOCKBOT_ADMINS` makes them one; "
        "only it can change that."
    )
    assert await audit_rows(database_url) == [
        (ADMIN, "grant.add", "U5"),
        ("U5", "door.add", "Lobby"),
        ("U5", "grant.add", "U6"),
        (ADMIN, "grant.add", "SNIGHT"),
        (ADMIN, "grant.remove", "U5"),
    ]


async def test_a_door_limited_to_a_channel_is_refused_elsewhere(
    live: LiveBot, database_url: str, seam: SeamProxy, slack: FakeSlack
) -> None:
    assert await say(live, 'channels "Front Door" <#CLOBBY|lobby>') == (
        "📍 *Front Door* may now be locked only from <#CLOBBY>."
    )
    assert await say(live, "channels main") == "📍 *Front Door* may be locked only from <#CLOBBY>."

    elsewhere = await live.command("front door", user_id="U1", channel_id="C1")
    assert elsewhere.response.json()["text"].startswith(
        "📍 *Front Door* can only be locked from <#CLOBBY>."
    )
    assert seam.calls_to("/locks/lock_door") == []

    there = await live.command("front door", user_id="U1", channel_id="CLOBBY")
    assert there.response.text == ""
    await slack.wait_for(lambda c: c.method == "chat.update")
    await assert_all_final(database_url)
    assert len(seam.calls_to("/locks/lock_door")) == 1

    assert await say(live, 'channels "Front Door" any') == (
        "🌐 *Front Door* may be locked from any channel again."
    )
    anywhere = await live.command("front door", user_id="U1", channel_id="C1")
    assert anywhere.response.text == ""
    rows = await assert_all_final(database_url)
    assert [(r.channel_id, r.error_type) for r in rows] == [
        ("C1", "wrong_channel"),
        ("CLOBBY", None),
        ("C1", None),
    ]


async def test_long_lists_are_cut_to_fit_slack_and_typed_names_are_unescaped(
    live: LiveBot, database_url: str
) -> None:
    # Slack sends what people type with &, < and > escaped; the door is named as they typed it.
    assert (await say(live, 'add-door "R&amp;D &lt;Lab&gt;" rd_device')).startswith(
        "✅ Added *R&amp;D &lt;Lab&gt;* → `rd_device`."
    )
    db = Database(database_url)
    async with db.session() as session:
        names = [d.name for d in (await session.exec(select(Door))).all()]
        for n in range(120):
            await add_door(session, f"Storage Room {n:03}", f"storage_device_{n:03}")
        await session.commit()
    await db.close()
    assert "R&D <Lab>" in names

    listed = await say(live, "doors")
    assert len(listed) <= 3000
    lines = listed.splitlines()
    assert lines[0] == "🚪 *124 doors*"
    assert lines[-2].startswith("…and ") and lines[-2].endswith(" more.")
    assert lines[-1] == "`lockbot doors list` shows them all."
    shown = len([line for line in lines if line.startswith("• ")])
    assert shown + int(lines[-2].split()[1]) == 124
