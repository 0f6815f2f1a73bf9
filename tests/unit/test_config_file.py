"""bot.config_file: reading the YAML (every problem, by line), planning, applying, exporting."""

from __future__ import annotations

from datetime import UTC, datetime
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot import access, door_admin, door_groups, names
from bot.config_file import (
    Access,
    Config,
    ConfigError,
    DoorSpec,
    GroupSpec,
    State,
    apply,
    export,
    load,
    parse,
    plan,
    render,
)
from bot.db import Database
from bot.models import (
    AuditEvent,
    Door,
    DoorAlias,
    DoorChannel,
    DoorGroup,
    Grant,
    NameSource,
    Schedule,
)

ACTOR = "cli:alice"
EXAMPLE = """\
# lockbot config: the whole truth about doors, groups and access
doors:
  - name: Front Door
    device_id: august_device_1
    aliases: [main]            # optional
    channels: [C0123LOBBY]     # optional: only lockable from these channels
  - name: Back Door
    device_id: august_device_2
groups:
  - name: Floor 2
    doors: [Front Door, Back Door]   # names or aliases of doors in this file
grants:                        # subject → what it may lock
  U0123ABCD: [Front Door, Floor 2]   # door names, group names, or "*" for every door
  S0NIGHT: ["*"]
admins: [U0ADMIN]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(dedent(text), "b.yml")
    return caught.value.lines()


async def apply_text(db: Database, text: str, *, dry_run: bool = False) -> list[str]:
    async with db.session() as s:
        result = await apply(
            s, parse(dedent(text), "c.yml"), actor=ACTOR, source="c.yml", dry_run=dry_run
        )
    return [change.line for change in result.changes]


async def exported(db: Database) -> str:
    async with db.session() as s:
        return await export(s)


# -- reading ---------------------------------------------------------------------------------


def test_the_documented_example_reads_as_written() -> None:
    config = parse(EXAMPLE, "c.yml")
    assert config.doors == (
        DoorSpec("Front Door", "august_device_1", ("main",), ("C0123LOBBY",)),
        DoorSpec("Back Door", "august_device_2"),
    )
    assert config.groups == (GroupSpec("Floor 2", ("front door", "back door")),)
    assert config.grants == {
        Access("U0123ABCD", "door", "front door"),
        Access("U0123ABCD", "group", "floor 2"),
        Access("S0NIGHT", "every"),
        Access("U0ADMIN", "admin"),
    }


def test_aliases_resolve_and_sections_may_be_left_out() -> None:
    config = parse(
        dedent(
            """\
            doors:
              - name: Front Door
                device_id: 0123   # as written, not the number 83
                aliases: [Main]
            groups:
              - name: Lobby
                doors: [main]
            grants:
              W0GUEST: [MAIN, lobby]
            """
        ),
        "c.yml",
    )
    assert config.doors[0].device_id == "0123"
    assert config.groups == (GroupSpec("Lobby", ("front door",)),)
    assert config.grants == {
        Access("W0GUEST", "door", "front door"),
        Access("W0GUEST", "group", "lobby"),
    }
    assert parse("doors: []\n", "c.yml") == Config()


def test_every_problem_is_reported_with_its_line() -> None:
    assert problems(
        """\
        doors:
          - name: Front Door
            device_id: august_device_1
            aliases: [main, Main]
            channels: [lobby, C0OK]
            colour: red
          - name: main
          - name: "*"
            device_id: x
          - device_id: y
          - Garage
        groups:
          - name: Floor 2
            doors: [Front Door, Side Door, Floor 2, main]
          - name: front-door
        grants:
          bob: [Front Door]
          U1: [Fron Door, "*", "*"]
          U1: []
          U2: Front Door
        admins: [U0ADMIN, "x y"]
        extra: 1
        """
    ) == [
        "b.yml:4: 'Main' is listed twice (first on line 4)",
        "b.yml:5: 'lobby' is not a channel ID (C… or G…); in Slack, a channel's details show "
        "its ID at the bottom",
        "b.yml:6: unknown key 'colour' in a door; expected name, device_id, aliases, channels",
        "b.yml:7: 'main' has no `device_id:`",
        "b.yml:7: 'main' already names an alias of 'Front Door' (line 4); door names, aliases "
        "and group names must all differ",
        "b.yml:8: '*': `*` means every door and cannot be a name",
        "b.yml:10: this door has no `name:`",
        "b.yml:11: a door must be `key: value` lines, like `name: Front Door`",
        "b.yml:14: no door in this file is called 'Side Door'",
        "b.yml:14: 'Floor 2' is a group; a group lists doors only",
        "b.yml:14: 'main' is 'Front Door', already in this group",
        "b.yml:15: 'front-door' already names the door 'Front Door' (line 2); door names, "
        "aliases and group names must all differ",
        "b.yml:17: 'bob' is not a Slack ID: use a user ID (U… or W…) or a user group ID (S…), "
        "which Slack shows under a profile's ⋮ menu as “Copy member ID”",
        "b.yml:18: no door or group in this file is called 'Fron Door' (did you mean "
        "'Front Door'?)",
        "b.yml:18: '*' is listed twice (first on line 18)",
        "b.yml:19: 'U1' appears twice (first on line 18)",
        'b.yml:20: U2\'s grants must be a list, like [Front Door, "*"]',
        "b.yml:21: 'x y' is not a Slack ID: use a user ID (U… or W…) or a user group ID (S…), "
        "which Slack shows under a profile's ⋮ menu as “Copy member ID”",
        "b.yml:22: unknown key 'extra' in the file; expected doors, groups, grants, admins",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "b.yml:1: the file is empty; write `doors: []` if you mean to remove every door"),
        ("grants: {}\n", "b.yml:1: `doors:` is missing; list the doors, or write `doors: []`"),
        ("- a\n", "b.yml:1: the file must be `key: value` lines: doors, groups, grants, admins"),
        (
            "doors: []\ngrants:\n  S1: [*]\n",
            "b.yml:3: YAML syntax: expected alphabetic or numeric character, but found ']' "
            '(while scanning an alias); for every door write "*" in quotes',
        ),
        (
            "doors:\n  - name: A\n    device_id: [\n",
            "b.yml:4: YAML syntax: expected the node content, but found '<stream end>' "
            "(while parsing a flow node)",
        ),
        ("doors:\n  - name: A\n    device_id: ''\n", "b.yml:3: `device_id` is empty"),
        ("doors:\n  - name: [A]\n    device_id: d\n", "b.yml:2: `name` must be text, not a list"),
        (
            f"doors:\n  - name: A\n    device_id: {'d' * 121}\n",
            "b.yml:3: a device ID is at most 120 characters",
        ),
        ("doors: {}\n", "b.yml:1: doors must be a list, like `- name: Front Door` lines"),
    ],
)
def test_single_problems(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_bytes_that_are_not_utf8_are_a_problem_on_their_line() -> None:
    with pytest.raises(ConfigError) as caught:
        load(b"doors:\n  - name: Caf\xe9\n", "b.yml")
    assert caught.value.lines() == ["b.yml:2: this line is not UTF-8 text"]


# -- applying --------------------------------------------------------------------------------


async def test_apply_creates_everything_once_then_has_nothing_to_do(db: Database) -> None:
    first = await apply_text(db, EXAMPLE)
    assert first == [
        "+ door Back Door: device august_device_2",
        "+ door Front Door: device august_device_1",
        "+ alias Front Door: main",
        "+ channel Front Door: C0123LOBBY",
        "+ group Floor 2",
        "+ group Floor 2: Back Door",
        "+ group Floor 2: Front Door",
        "+ grant S0NIGHT: *",
        "+ grant U0123ABCD: Floor 2 (group)",
        "+ grant U0123ABCD: Front Door",
        "+ admin U0ADMIN",
    ]
    assert await apply_text(db, EXAMPLE) == []
    async with db.session() as s:
        assert [(d.name, d.name_source) for d, _ in await names.list_doors(s)] == [
            ("Back Door", "admin"),
            ("Front Door", "admin"),
        ]
        assert await access.list_grants(s) == [
            ("S0NIGHT", "*"),
            ("U0123ABCD", "Floor 2 (group)"),
            ("U0123ABCD", "Front Door"),
            ("U0ADMIN", "admin"),
        ]
        [view] = await door_groups.list_groups(s)
        assert [d.name for d in view.doors] == ["Back Door", "Front Door"]
        front = await names.find_door(s, "main")
        assert front is not None and front.id is not None
        assert await door_admin.door_channels(s, front.id) == ["C0123LOBBY"]
        events = (await s.exec(select(AuditEvent).order_by(AuditEvent.id))).all()
    assert {e.actor for e in events} == {ACTOR}
    assert [e.action for e in events][:2] == ["door.add", "door.add"]
    assert (events[-1].action, events[-1].target, events[-1].detail) == (
        "config.apply",
        "c.yml",
        "11 added, 0 changed, 0 removed",
    )
    assert len(events) == len(first) + 1  # the second apply wrote nothing, not even audit


async def test_dry_run_plans_and_writes_nothing(db: Database) -> None:
    assert len(await apply_text(db, EXAMPLE, dry_run=True)) == 11
    async with db.session() as s:
        assert (await s.exec(select(Door))).all() == []
        assert (await s.exec(select(AuditEvent))).all() == []


async def test_a_door_is_matched_by_device_then_renamed_keeping_its_id_and_grants(
    db: Database,
) -> None:
    async with db.session() as s:
        door = await door_admin.add_door(s, "Front", "dev1")
        door.name_source = NameSource.SEAM.value
        door.seam_name = "Front"
        door.missing_at = datetime(2026, 1, 1, tzinfo=UTC)
        await access.grant(s, "U1", "Front")
        await s.commit()
        door_id = door.id
    changes = await apply_text(
        db,
        """\
        doors:
          - name: Main Entrance
            device_id: dev1
        grants:
          U1: [Main Entrance]
        """,
    )
    assert changes == ["~ door Front: renamed to Main Entrance"]
    async with db.session() as s:
        [row] = (await s.exec(select(Door))).all()
        [held] = (await s.exec(select(Grant))).all()
    assert (row.id, row.name, row.key, row.name_source) == (
        door_id,
        "Main Entrance",
        "main entrance",
        "admin",
    )
    assert (row.seam_name, row.missing_at) == ("Front", datetime(2026, 1, 1, tzinfo=UTC))
    assert held.door_id == door_id


async def test_shared_device_ids_fall_back_to_names(db: Database) -> None:
    async with db.session() as s:
        a = await door_admin.add_door(s, "Gate A", "shared")
        b = await door_admin.add_door(s, "Gate B", "shared")
        await s.commit()
    changes = await apply_text(
        db,
        """\
        doors:
          - name: Gate A
            device_id: shared
          - name: Gate B
            device_id: other
        """,
    )
    assert changes == ["~ door Gate B: device shared → other"]
    async with db.session() as s:
        rows = {d.name: d.id for d in (await s.exec(select(Door))).all()}
    assert rows == {"Gate A": a.id, "Gate B": b.id}


async def test_doors_may_swap_names_and_aliases_may_move(db: Database) -> None:
    await apply_text(
        db,
        """\
        doors:
          - {name: North, device_id: d1, aliases: [lobby]}
          - {name: South, device_id: d2}
        """,
    )
    changes = await apply_text(
        db,
        """\
        doors:
          - {name: South, device_id: d1}
          - {name: North, device_id: d2, aliases: [Lobby]}
        """,
    )
    assert changes == [
        "~ door South: renamed to North",
        "+ alias North: Lobby",
        "~ door North: renamed to South",
        "- alias South: lobby",
    ]
    async with db.session() as s:
        found = await names.find_door(s, "lobby")
        assert found is not None and (found.name, found.device_id) == ("North", "d2")


async def test_what_the_file_leaves_out_is_removed_and_shown(db: Database) -> None:
    await apply_text(db, EXAMPLE)
    changes = await apply_text(
        db,
        """\
        doors:
          - name: Front Door
            device_id: august_device_1
        grants:
          U0123ABCD: [Front Door]
        """,
    )
    assert changes == [
        "- alias Front Door: main",
        "- channel Front Door: C0123LOBBY",
        "- door Back Door: device august_device_2",
        "- group Floor 2",
        "- grant S0NIGHT: *",
        "- grant U0123ABCD: Floor 2 (group)",
        "- admin U0ADMIN",
    ]
    async with db.session() as s:
        assert [d.name for d, _ in await names.list_doors(s)] == ["Front Door"]
        assert (await s.exec(select(DoorAlias))).all() == []
        assert (await s.exec(select(DoorChannel))).all() == []
        assert (await s.exec(select(DoorGroup))).all() == []
        assert await access.list_grants(s) == [("U0123ABCD", "Front Door")]


async def test_schedules_of_a_removed_door_or_group_are_shown_going_with_it(
    db: Database,
) -> None:
    await apply_text(db, EXAMPLE)
    async with db.session() as s:
        back = (await s.exec(select(Door).where(Door.name == "Back Door"))).one()
        floor = (await s.exec(select(DoorGroup).where(DoorGroup.name == "Floor 2"))).one()
        s.add(
            Schedule(
                target="Back Door",
                door_id=back.id,
                cron="0 22 * * *",
                timezone="UTC",
                channel_id="C1",
                created_by="U1",
            )
        )
        s.add(
            Schedule(
                target="Floor 2",
                group_id=floor.id,
                cron="0 7 * * 1-5",
                timezone="Europe/Berlin",
                channel_id="C1",
                created_by="U1",
            )
        )
        await s.commit()
    changes = await apply_text(
        db,
        """        doors:
          - name: Front Door
            device_id: august_device_1
        """,
        dry_run=True,
    )
    assert "- schedule 1 (Back Door): 0 22 * * * in UTC, with its door or group" in changes
    assert "- schedule 2 (Floor 2): 0 7 * * 1-5 in Europe/Berlin, with its door or group" in changes
    async with db.session() as s:
        assert len((await s.exec(select(Schedule))).all()) == 2, "a dry run removes nothing"


async def test_group_members_follow_the_file(db: Database) -> None:
    await apply_text(db, EXAMPLE)
    changes = await apply_text(
        db,
        EXAMPLE.replace("doors: [Front Door, Back Door]", "doors: [main]").replace(
            "- name: Floor 2", "- name: floor-2"
        ),
    )
    assert changes == [
        "~ group Floor 2: renamed to floor-2",
        "- group floor-2: Back Door",
    ]


# -- exporting -------------------------------------------------------------------------------


async def test_export_is_sorted_and_applies_as_no_changes(db: Database) -> None:
    await apply_text(db, EXAMPLE)
    text = await exported(db)
    assert text == dedent(
        """\
        # lockbot config: the whole truth about doors, groups and access
        doors:
          - name: Back Door
            device_id: august_device_2
          - name: Front Door
            device_id: august_device_1
            aliases: [main]
            channels: [C0123LOBBY]

        groups:
          - name: Floor 2
            doors: [Back Door, Front Door]

        # subject (Slack user U…/W… or user group S… ID) → what it may lock
        grants:
          S0NIGHT: ["*"]
          U0123ABCD: [Floor 2, Front Door]

        # the admin permission (LOCKBOT_ADMINS still applies too)
        admins: [U0ADMIN]
        """
    )
    assert await apply_text(db, text) == []


async def test_an_empty_database_exports_an_applicable_file(db: Database) -> None:
    text = await exported(db)
    assert "doors: []" in text and "grants: {}" in text
    assert parse(text, "e.yml") == Config()


async def test_awkward_names_survive_export(db: Database) -> None:
    names = ["Floor: 2", "123", "yes", "Café #1", "[Annex]", "- dash", "O'Brien's, too"]
    async with db.session() as s:
        for i, name in enumerate(names):
            await door_admin.add_door(s, name, f"dev{i}")
        await access.grant(s, "U1", names[0])
        await door_groups.add_group(s, "null", names[1:3])
        await s.commit()
    text = await exported(db)
    config = parse(text, "e.yml")
    assert sorted(d.name for d in config.doors) == sorted(names)
    assert await apply_text(db, text) == []


_name_chars = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))


@settings(max_examples=200, deadline=None)
@given(st.text(_name_chars, min_size=1, max_size=30))
def test_any_door_name_round_trips_through_export(name: str) -> None:
    name = " ".join(name.split())
    if names.valid_name(name) is not None:
        return
    door = Door(id=1, name=name, key=names.normalise(name), device_id="d1")
    config = parse(render(State([door], [], [], [], [], [], [])), "e.yml")
    assert config.doors == (DoorSpec(name, "d1"),)
    assert plan(config, State([door], [], [], [], [], [], [])).changes == []
