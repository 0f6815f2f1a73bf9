"""`lockbot doors sync` end to end: the console script as a child process, against a real
database and Seam's fake server (three locks, a thermostat and a sensor, every one named
"Smart Device") behind the fault proxy."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.db import Database
from bot.door_admin import add_door
from bot.models import Door, LockRequest, LockStatus
from bot.seam import SeamBackend, SeamLock
from tests.e2e.test_cli import OURS, SEAM_DOWN, Cli, all_rows, lines, lockbot
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.seam_server import API_KEY, AUGUST_1, AUGUST_2, SCHLAGE, FakeSeamServer

SMART = "Smart Device"
GHOST = "ghost_device_404"  # a device ID the fake does not know


@pytest.fixture
def cli(database_url: str, seam: SeamProxy, tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env |= {"DATABASE_URL": database_url, "SEAM_API_KEY": API_KEY, "SEAM_ENDPOINT": seam.url}
    return Cli(env, tmp_path)


@pytest.fixture
async def fake_admin(fake_seam: FakeSeamServer) -> AsyncIterator[httpx.AsyncClient]:
    """Changes the fake's devices; the fake is shared by the session, so it is reset after."""
    async with httpx.AsyncClient(base_url=fake_seam.url, timeout=10) as client:
        try:
            yield client
        finally:
            (await client.post("/_harness/reset", json={})).raise_for_status()


async def edit_devices(client: httpx.AsyncClient, **names: str | None) -> None:
    """Set devices' display_name; None takes the device out of the workspace altogether."""
    state = (await client.get("/_fake/database")).raise_for_status().json()
    devices: list[dict[str, Any]] = []
    for device in state["devices"]:
        if device["device_id"] in names:
            if names[device["device_id"]] is None:
                continue
            device["display_name"] = names[device["device_id"]]
        devices.append(device)
    (await client.post("/_fake/database", json={"devices": devices})).raise_for_status()


async def doors_by_device(database_url: str) -> dict[str, Door]:
    return {d.device_id: d for d in await all_rows(database_url, Door)}


async def seed(database_url: str) -> None:
    """Front Door (by hand, on a lock Seam has) and Ghost (on a device Seam does not know)."""
    db = Database(database_url)
    try:
        async with db.session() as s:
            await add_door(s, "Front Door", AUGUST_1, ["main"])
            await add_door(s, "Ghost", GHOST)
            await s.commit()
    finally:
        await db.close()


async def test_first_sync_imports_the_three_locks_and_a_second_changes_nothing(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    first = await lockbot("doors", "sync", cli=cli)
    assert first.code == 0, first.err
    assert lines(first.out) == [
        f"+ {SMART} ({AUGUST_1})",
        f"+ {SMART} 2 ({AUGUST_2})",
        f"+ {SMART} 3 ({SCHLAGE})",
        f'= {SMART} 2 ({AUGUST_2}): Seam calls it "{SMART}", which another door or alias '
        "already has",
        f'= {SMART} 3 ({SCHLAGE}): Seam calls it "{SMART}", which another door or alias '
        "already has",
        "✓ Seam lists 3 locks: 3 added, 0 renamed, 0 missing, 0 back, "
        "2 duplicate names made unique",
        '  new doors have no grants yet: lockbot grant SUBJECT "DOOR"',
    ]
    doors = await doors_by_device(database_url)
    # The thermostat and the sensor are never imported.
    assert {d: (x.name, x.name_source, x.seam_name, x.missing_at) for d, x in doors.items()} == {
        AUGUST_1: (SMART, "seam", SMART, None),
        AUGUST_2: (f"{SMART} 2", "seam", SMART, None),
        SCHLAGE: (f"{SMART} 3", "seam", SMART, None),
    }
    assert seam.calls_to("/devices/list") and not seam.calls_to("/locks/lock_door")

    second = await lockbot("doors", "sync", cli=cli)
    assert second.code == 0, second.err
    assert lines(second.out) == ["✓ Seam lists 3 locks; the doors already match"]
    assert await all_rows(database_url, Door) == list(doors.values())

    listed = await lockbot("doors", "list", cli=cli)
    assert lines(listed.out) == [
        f"{SMART}\t{AUGUST_1}",
        f"{SMART} 2\t{AUGUST_2}",
        f"{SMART} 3\t{SCHLAGE}",
    ]


async def test_admin_names_are_kept_and_a_vanished_lock_is_missing_and_refused(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    await seed(database_url)
    synced = await lockbot("doors", "sync", cli=cli)
    assert synced.code == 0, synced.err
    assert lines(synced.out) == [
        f"+ {SMART} ({AUGUST_2})",
        f"+ {SMART} 2 ({SCHLAGE})",
        f'= {SMART} 2 ({SCHLAGE}): Seam calls it "{SMART}", which another door or alias '
        "already has",
        f"! Ghost ({GHOST}) is missing from Seam; locking it is refused until it returns",
        "✓ Seam lists 3 locks: 2 added, 0 renamed, 1 missing, 0 back, 1 duplicate name made unique",
        '  new doors have no grants yet: lockbot grant SUBJECT "DOOR"',
    ]
    doors = await doors_by_device(database_url)
    front, ghost = doors[AUGUST_1], doors[GHOST]
    assert (front.name, front.name_source, front.seam_name, front.missing_at) == (
        "Front Door",
        "admin",
        SMART,
        None,
    )
    assert ghost.missing_at is not None and ghost.name == "Ghost"

    listed = await lockbot("doors", "list", cli=cli)
    assert f"Front Door\t{AUGUST_1}  (aliases: main)" in lines(listed.out)
    assert f"Ghost\t{GHOST}  (missing from Seam)" in lines(listed.out)

    again = await lockbot("doors", "sync", cli=cli)
    assert lines(again.out) == [
        "✓ Seam lists 3 locks; the doors already match",
        f"  still missing from Seam: Ghost ({GHOST})",
    ]
    assert (await doors_by_device(database_url))[GHOST].missing_at == ghost.missing_at

    locked = await lockbot("lock", "ghost", cli=cli)
    assert locked.code == 1
    assert f"Ghost is missing from Seam: its lock ({GHOST})" in locked.err
    assert "Seam console" in locked.err and "`lockbot doors sync`" in locked.err
    assert "Traceback" not in locked.err
    assert seam.calls_to("/locks/lock_door") == []
    rows = await all_rows(database_url, LockRequest)
    assert [(r.status, r.error_type, r.door_name, r.source) for r in rows] == [
        (LockStatus.REJECTED, "door_missing", "Ghost", "cli")
    ]


async def test_dry_run_says_what_would_change_and_writes_nothing(
    cli: Cli, database_url: str
) -> None:
    await seed(database_url)
    before = await all_rows(database_url, Door)
    dry = await lockbot("doors", "sync", "--dry-run", cli=cli)
    assert dry.code == 0, dry.err
    out = lines(dry.out)
    assert out[:2] == [f"+ {SMART} ({AUGUST_2})", f"+ {SMART} 2 ({SCHLAGE})"]
    assert f"! Ghost ({GHOST}) is missing from Seam; locking it is refused until it returns" in out
    assert out[-1] == (
        "✓ dry run, nothing written. Seam lists 3 locks: 2 added, 0 renamed, 1 missing, 0 back, "
        "1 duplicate name made unique"
    )
    assert await all_rows(database_url, Door) == before


async def test_renames_and_returns_follow_seam(
    cli: Cli, database_url: str, fake_admin: httpx.AsyncClient
) -> None:
    await seed(database_url)
    assert (await lockbot("doors", "sync", cli=cli)).code == 0

    # Seam renames both August locks and loses the Schlage one.
    await edit_devices(fake_admin, **{AUGUST_1: "Lobby", AUGUST_2: "Side Door", SCHLAGE: None})
    changed = await lockbot("doors", "sync", cli=cli)
    assert changed.code == 0, changed.err
    assert lines(changed.out) == [
        f"~ {SMART} → Side Door ({AUGUST_2}): renamed in Seam",
        f"! {SMART} 2 ({SCHLAGE}) is missing from Seam; locking it is refused until it returns",
        f'· Front Door ({AUGUST_1}) keeps its name; Seam now calls it "Lobby"',
        "✓ Seam lists 2 locks: 0 added, 1 renamed, 1 missing, 0 back",
        f"  still missing from Seam: Ghost ({GHOST})",
    ]

    # Back to the seed: the Schlage lock returns, the August lock takes Seam's name again.
    (await fake_admin.post("/_harness/reset", json={})).raise_for_status()
    back = await lockbot("doors", "sync", cli=cli)
    assert back.code == 0, back.err
    assert lines(back.out)[:2] == [
        f"~ Side Door → {SMART} ({AUGUST_2}): renamed in Seam",
        f"↺ {SMART} 2 ({SCHLAGE}) is back in Seam",
    ]
    doors = await doors_by_device(database_url)
    assert {d: (x.name, x.missing_at is None) for d, x in doors.items()} == {
        AUGUST_1: ("Front Door", True),
        AUGUST_2: (SMART, True),
        SCHLAGE: (f"{SMART} 2", True),
        GHOST: ("Ghost", False),
    }


async def test_a_failing_seam_fails_the_sync_and_writes_nothing(
    cli: Cli, database_url: str, seam: SeamProxy
) -> None:
    await seed(database_url)
    before = await all_rows(database_url, Door)
    seam.fail("/devices/list", status=503, body=SEAM_DOWN)
    result = await lockbot("doors", "sync", cli=cli)
    assert result.code == 1
    assert "could not list Seam's locks" in result.err and "seam_unavailable" in result.err
    assert "Traceback" not in result.err
    assert await all_rows(database_url, Door) == before


async def test_list_locks_walks_the_fakes_pages(seam: SeamProxy) -> None:
    backend = SeamBackend(API_KEY, seam.url, page_size=2)
    try:
        locks = await backend.list_locks()
    finally:
        await backend.close()
    assert locks == [SeamLock(d, SMART, True) for d in (AUGUST_1, AUGUST_2, SCHLAGE)]
    # Five devices, two a page; the thermostat and the sensor are read, then left out.
    assert len(seam.calls_to("/devices/list")) == 3
