"""`lockbot doors|groups|grant|revoke|grants|audit` end to end: the console script as a child
process; every change lands in the audit trail as `cli:<login>`."""

from __future__ import annotations

import asyncio
import getpass
import os
from pathlib import Path

import pytest

from bot.models import AuditEvent, Door, DoorAlias, DoorChannel, DoorGroup, Grant, GroupMember
from tests.e2e.test_cli import OURS, Cli, all_rows, lines, lockbot, seed
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import API_KEY, AUGUST_1, AUGUST_2

OPERATOR = f"cli:{getpass.getuser()}"  # the child inherits this process's login


@pytest.fixture
def cli(database_url: str, seam: SeamProxy, tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env |= {"DATABASE_URL": database_url, "SEAM_API_KEY": API_KEY, "SEAM_ENDPOINT": seam.url}
    return Cli(env, tmp_path)


async def ok(*args: str, cli: Cli) -> list[str]:
    result = await lockbot(*args, cli=cli)
    assert result.code == 0, result.err
    assert result.err == ""
    return lines(result.out)


async def refused(*args: str, cli: Cli) -> str:
    result = await lockbot(*args, cli=cli)
    assert result.code == 1, result.out
    assert result.out == "" and "Traceback" not in result.err
    return result.err.strip()


async def test_groups_add_list_remove_doors_and_remove(cli: Cli, database_url: str) -> None:
    await seed(database_url)
    assert await ok("groups", "list", cli=cli) == [
        'No groups yet. Add one with: lockbot groups add "Floor 2" "Front Door"'
    ]
    assert await ok("groups", "add", "Floor 2", "main", cli=cli) == ["✓ Floor 2\tFront Door"]
    # Adding to a group that exists; a door named twice counts once.
    assert await ok("groups", "add", "floor-2", "Back Door", "back_door", cli=cli) == [
        "✓ Floor 2\tBack Door, Front Door"
    ]
    assert await ok("groups", "add", "Empty", cli=cli) == ["✓ Empty\t(no doors)"]
    assert await ok("groups", "list", cli=cli) == [
        "Empty\t(no doors)",
        "Floor 2\tBack Door, Front Door",
    ]

    taken, unknown, no_group = await asyncio.gather(
        refused("groups", "add", "Main", cli=cli),
        refused("groups", "add", "Floor 2", "Side Door", cli=cli),
        refused("groups", "remove", "Floor 9", cli=cli),
    )
    assert taken == "✗ 'Main' already names a door or alias; pick another group name"
    assert "no door is called 'Side Door'" in unknown
    assert no_group.startswith("✗ no group is called 'Floor 9'")

    assert await ok("groups", "remove-doors", "Floor 2", "front door", cli=cli) == [
        "✓ Floor 2\tBack Door"
    ]
    await ok("grant", "U0123ABCD", "Floor 2", cli=cli)
    assert await ok("groups", "remove", "floor 2", cli=cli) == ["✓ removed group Floor 2"]
    assert [g.name for g in await all_rows(database_url, DoorGroup)] == ["Empty"]
    assert await all_rows(database_url, GroupMember) == []
    assert await all_rows(database_url, Grant) == []  # the group's grant went with it
    assert len(await all_rows(database_url, Door)) == 2  # its doors stay


async def test_alias_rename_unalias_and_channels(cli: Cli, database_url: str) -> None:
    await seed(database_url)
    assert await ok("doors", "alias", "Back Door", "rear", cli=cli) == [
        "✓ rear now means Back Door"
    ]
    assert await ok("doors", "rename", "rear", "Garden Gate", cli=cli) == [
        "✓ renamed Back Door → Garden Gate"
    ]
    assert await ok("doors", "unalias", "REAR", cli=cli) == ["✓ REAR no longer means Garden Gate"]
    taken, no_alias = await asyncio.gather(
        refused("doors", "alias", "Garden Gate", "front-door", cli=cli),
        refused("doors", "unalias", "rear", cli=cli),
    )
    assert taken == "✗ 'front-door' already names a door, alias or group"
    assert no_alias.startswith("✗ no alias is called 'rear'")

    assert await ok("doors", "channels", "main", "CSECURITY", "CLOBBY", cli=cli) == [
        "✓ Front Door may be locked only from CLOBBY, CSECURITY"
    ]
    assert await ok("doors", "channels", "Front Door", cli=cli) == [
        "✓ Front Door may be locked only from CLOBBY, CSECURITY"
    ]
    assert await ok("doors", "list", cli=cli) == [
        f"Front Door\t{AUGUST_1}  (aliases: main)  (only from CLOBBY, CSECURITY)",
        f"Garden Gate\t{AUGUST_2}",
    ]
    bad, both = await asyncio.gather(
        refused("doors", "channels", "main", "#lobby", cli=cli),
        refused("doors", "channels", "main", "CLOBBY", "--any", cli=cli),
    )
    assert bad.startswith("✗ '#lobby' is not a channel ID (C… or G…)")
    assert both == "✗ give channels or --any, not both"
    assert await ok("doors", "channels", "main", "--any", cli=cli) == [
        "✓ Front Door may be locked from any channel"
    ]
    assert await all_rows(database_url, DoorChannel) == []
    door = {d.device_id: d for d in await all_rows(database_url, Door)}[AUGUST_2]
    assert (door.name, door.name_source) == ("Garden Gate", "admin")
    assert sorted(a.alias for a in await all_rows(database_url, DoorAlias)) == ["main"]


async def test_grant_and_revoke_admin_and_grants_show_groups(cli: Cli, database_url: str) -> None:
    await seed(database_url)
    await ok("groups", "add", "Floor 2", "Front Door", "Back Door", cli=cli)
    assert await ok("grant", "U0ADMIN", "--admin", cli=cli) == ["✓ U0ADMIN is an admin"]
    assert await ok("grant", "U0ADMIN", "--admin", cli=cli) == [
        "✓ U0ADMIN is an admin (already was)"
    ]
    assert await ok("grant", "S0NIGHT", "floor 2", cli=cli) == ["✓ S0NIGHT may lock floor 2"]
    assert await ok("grant", "U0123ABCD", "*", cli=cli) == ["✓ U0123ABCD may lock *"]

    neither, both, bad = await asyncio.gather(
        refused("grant", "U0ADMIN", cli=cli),
        refused("grant", "U0ADMIN", "main", "--admin", cli=cli),
        refused("grant", "bob", "--admin", cli=cli),
    )
    assert neither == "✗ say what: a door, a group, '*' for every door, or --admin"
    assert both == "✗ give a door, a group or '*', or --admin; not both"
    assert "'bob' is not a Slack ID" in bad

    configured = Cli(cli.env | {"LOCKBOT_ADMINS": "UBOSS"}, cli.cwd)
    assert await ok("grants", cli=configured) == [
        "S0NIGHT\tFloor 2 (group)",
        "U0123ABCD\t*",
        "U0ADMIN\tadmin",
        "UBOSS\tadmin (LOCKBOT_ADMINS)",
    ]
    assert await refused("revoke", "UBOSS", "--admin", cli=configured) == (
        "✗ UBOSS had no admin grant; LOCKBOT_ADMINS makes them one, and only it can change that"
    )
    assert await ok("revoke", "U0ADMIN", "--admin", cli=cli) == [
        "✓ U0ADMIN is no longer an admin by grant"
    ]
    assert await refused("revoke", "U0ADMIN", "--admin", cli=cli) == (
        "✗ U0ADMIN had no admin grant"
    )
    assert await ok("revoke", "S0NIGHT", "Floor 2", cli=cli) == [
        "✓ S0NIGHT may no longer lock Floor 2"
    ]
    assert [(g.subject, g.permission) for g in await all_rows(database_url, Grant)] == [
        ("U0123ABCD", "lock")
    ]


async def test_audit_names_the_operator_newest_first(cli: Cli, database_url: str) -> None:
    assert await ok("audit", cli=cli) == ["No changes recorded yet."]
    await ok("doors", "add", "Front Door", AUGUST_1, "--alias", "main", cli=cli)
    await ok("groups", "add", "Floor 2", "main", cli=cli)
    await ok("grant", "U0123ABCD", "Floor 2", cli=cli)
    await ok("grant", "U0ADMIN", "--admin", cli=cli)
    await refused("doors", "rename", "Side Door", "Lobby", cli=cli)  # failed: not recorded

    events = await all_rows(database_url, AuditEvent)
    assert [(e.actor, e.action, e.target, e.detail) for e in events] == [
        (OPERATOR, "door.add", "Front Door", f"device {AUGUST_1}, aliases main"),
        (OPERATOR, "group.add", "Floor 2", "Front Door"),
        (OPERATOR, "grant.add", "U0123ABCD", "Floor 2"),
        (OPERATOR, "grant.add", "U0ADMIN", "admin"),
    ]

    shown = await ok("audit", "--limit", "2", cli=cli)
    assert [line.split("\t")[1:] for line in shown] == [
        [OPERATOR, "grant.add", "U0ADMIN", "admin"],
        [OPERATOR, "grant.add", "U0123ABCD", "Floor 2"],
    ]
    assert all(line.split("\t")[0].endswith(" UTC") for line in shown)
    assert len(await ok("audit", cli=cli)) == 4
    assert (await lockbot("audit", "--limit", "0", cli=cli)).code == 2  # typer's usage error
