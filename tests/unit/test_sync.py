"""`lockbot doors sync`: naming and dedupe (pure), the plan, applying it, the Seam listing, and
locking a door that went missing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from seam.resources.device import Device
from sqlmodel import select

import bot.door_sync as door_sync_module
from bot.access import AccessPolicy
from bot.db import Database
from bot.door_admin import add_door
from bot.door_sync import (
    DoorRef,
    Duplicate,
    KeptName,
    Renamed,
    base_name,
    clean_name,
    plan_sync,
    sync_doors,
    unique_names,
    with_number,
)
from bot.locking import LockService, Requester
from bot.models import Door, LockRequest, LockStatus, NameSource
from bot.names import DoorError, normalise
from bot.ports import BackendError, BackendErrorKind
from bot.scheduler import Scheduler
from bot.seam import SeamBackend, SeamLock, device_name, is_lock
from bot.slack.words.locks import door_missing
from tests.support.doubles import NoGroups, Recorder
from tests.support.refusals import refused
from tests.unit.test_locking import FAST, ScriptedSeam

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SMART = "Smart Device"


def lock(device_id: str, name: str = SMART, *, is_lock: bool = True) -> SeamLock:
    return SeamLock(device_id, name, is_lock)


def door(
    id_: int,
    name: str,
    device_id: str,
    source: NameSource = NameSource.SEAM,
    seam_name: str | None = SMART,
    missing_at: datetime | None = None,
) -> Door:
    return Door(
        id=id_,
        name=name,
        key=normalise(name),
        device_id=device_id,
        name_source=source.value,
        seam_name=seam_name,
        missing_at=missing_at,
    )


# -- names from Seam ---------------------------------------------------------------------------


def device(**fields: Any) -> Device:
    base: dict[str, Any] = {"device_id": "d1", "device_type": "august_lock", "display_name": ""}
    return Device.from_dict(base | fields)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        (
            {
                "display_name": "Smart Device",
                "properties": {"name": "P", "appearance": {"name": "A"}},
            },
            "Smart Device",
        ),
        ({"display_name": "  ", "properties": {"name": "P", "appearance": {"name": "A"}}}, "A"),
        ({"properties": {"name": "P", "appearance": {"name": ""}}}, "P"),
        ({"properties": {"name": "P"}}, "P"),
        ({"display_name": None, "properties": None}, ""),
    ],
)
def test_device_name_follows_display_then_appearance_then_properties(
    fields: dict[str, Any], name: str
) -> None:
    assert device_name(device(**fields)) == name


def test_is_lock_trusts_the_capability_flag_then_the_type() -> None:
    assert is_lock(device(can_remotely_lock=True))
    assert not is_lock(device(can_remotely_lock=False))
    # The fake's thermostat and sensor have no flag, and list `lock` among their capabilities.
    assert not is_lock(device(device_type="ecobee_thermostat", capabilities_supported=["lock"]))
    assert not is_lock(device(device_type="minut_sensor"))
    assert is_lock(device(device_type="schlage_lock"))


def test_clean_name_drops_control_characters_and_extra_spaces() -> None:
    assert clean_name("  Front\tDoor\x00\n ") == "Front Door"
    assert clean_name("x" * 500) == "x" * 200


def test_base_name_falls_back_to_the_device_id() -> None:
    assert base_name("Front Door", "d1") == "Front Door"
    assert base_name("", "d1") == "d1"
    assert base_name("*", "d1") == "d1"
    assert base_name(" - ", "d1") == "d1"
    assert base_name("y" * 100, "d1") == "y" * 80


def test_numbered_names_still_fit_a_door() -> None:
    assert with_number("Smart Device", 1) == "Smart Device"
    assert with_number("Smart Device", 3) == "Smart Device 3"
    long = with_number("z" * 80, 12)
    assert long == "z" * 77 + " 12" and len(long) == 80


# -- dedupe ------------------------------------------------------------------------------------


def test_three_smart_devices_become_readable_and_unique() -> None:
    assert unique_names([SMART] * 3, set()) == [SMART, f"{SMART} 2", f"{SMART} 3"]


def test_names_taken_by_doors_or_aliases_are_skipped_whatever_their_case() -> None:
    taken = {"smart device", "smart device 2"}
    assert unique_names(["SMART-device", SMART], taken) == ["SMART-device 3", f"{SMART} 4"]


def test_a_lock_really_named_like_a_numbered_duplicate_keeps_its_name() -> None:
    # Seam names C "Smart Device 2"; A and B are both "Smart Device": B must not take C's name.
    names = unique_names([SMART, SMART, f"{SMART} 2"], set())
    assert names == [SMART, f"{SMART} 3", f"{SMART} 2"]


def test_unique_names_are_unique_by_key() -> None:
    names = unique_names(["Door", "door", "DOOR", "Door 2", "door_2"], {"door 3"})
    keys = [normalise(n) for n in names]
    assert len(set(keys)) == len(keys) and "door 3" not in keys
    assert names[0] == "Door" and names[3] == "Door 2"


# -- the plan ----------------------------------------------------------------------------------


def test_first_sync_imports_locks_only_named_uniquely_in_device_order() -> None:
    locks = [
        lock("schlage_device_id"),
        lock("august_device_2"),
        lock("august_device_1"),
        lock("ecobee_device_1", is_lock=False),
        lock("august_device_1", "Listed twice"),
    ]
    plan = plan_sync([], [], locks, NOW)
    report = plan.report
    assert report.added == [
        DoorRef(SMART, "august_device_1"),
        DoorRef(f"{SMART} 2", "august_device_2"),
        DoorRef(f"{SMART} 3", "schlage_device_id"),
    ]
    assert report.duplicates == [
        Duplicate(f"{SMART} 2", "august_device_2", SMART),
        Duplicate(f"{SMART} 3", "schlage_device_id", SMART),
    ]
    assert report.locks == 3
    assert all((d.name_source, d.seam_name, d.created_at) == ("seam", SMART, NOW) for d in plan.new)


def test_a_second_sync_changes_nothing() -> None:
    doors = [
        door(1, SMART, "a1"),
        door(2, f"{SMART} 2", "a2"),
        door(3, f"{SMART} 3", "s1"),
    ]
    plan = plan_sync(doors, [], [lock("s1"), lock("a2"), lock("a1")], NOW)
    assert not plan.writes and not plan.report.changed
    assert plan.report.duplicates == []


def test_admin_names_are_kept_and_seam_names_followed() -> None:
    doors = [
        door(1, "Front Door", "a1", NameSource.ADMIN, seam_name=None),
        door(2, SMART, "a2"),
        door(3, "Office", "s1", NameSource.ADMIN, seam_name="Old"),
    ]
    plan = plan_sync(doors, ["lobby"], [lock("a1"), lock("a2", "Lobby"), lock("s1")], NOW)
    report = plan.report
    # "Lobby" is an alias already, so the renamed door gets "Lobby 2".
    assert report.renamed == [Renamed(SMART, "Lobby 2", "a2")]
    assert report.duplicates == [Duplicate("Lobby 2", "a2", "Lobby")]
    assert report.kept == [KeptName("Office", "s1", SMART)]  # first sight of a1 is silent
    assert plan.updates == {
        1: {"seam_name": SMART},
        2: {"seam_name": "Lobby", "name": "Lobby 2", "key": "lobby 2"},
        3: {"seam_name": SMART},
    }
    assert plan.new == []


def test_a_seam_rename_frees_the_old_name_but_numbered_doors_stay_put() -> None:
    doors = [door(1, SMART, "a1"), door(2, f"{SMART} 2", "a2")]
    plan = plan_sync(doors, [], [lock("a1", "Front Door"), lock("a2"), lock("n1")], NOW)
    assert plan.report.renamed == [Renamed(SMART, "Front Door", "a1")]
    # The new lock takes the freed name; the existing "Smart Device 2" is not renumbered.
    assert plan.report.added == [DoorRef(SMART, "n1")]
    assert 2 not in plan.updates


def test_vanished_locks_are_marked_missing_and_come_back() -> None:
    earlier = datetime(2026, 11, 1, tzinfo=UTC)
    doors = [
        door(1, "Front Door", "a1", NameSource.ADMIN),
        door(2, "Ghost", "gone", NameSource.ADMIN),
        door(3, "Old Ghost", "gone-too", missing_at=earlier),
        door(4, "Thermostat", "ecobee_device_1", NameSource.ADMIN),
    ]
    locks = [lock("a1"), lock("ecobee_device_1", is_lock=False)]
    plan = plan_sync(doors, [], locks, NOW)
    # A door on a device that is not a lock (or no longer one) is missing too.
    assert plan.report.missing == [
        DoorRef("Thermostat", "ecobee_device_1"),
        DoorRef("Ghost", "gone"),
    ]
    assert plan.report.still_missing == [DoorRef("Old Ghost", "gone-too")]
    assert plan.updates == {2: {"missing_at": NOW}, 4: {"missing_at": NOW}}

    back = plan_sync(doors, [], [lock("a1"), lock("gone-too"), lock("new", "Ghost")], NOW)
    assert back.report.returned == [DoorRef("Old Ghost", "gone-too")]
    assert back.updates[3] == {"missing_at": None}
    # A missing door keeps its name, so a new lock Seam calls the same gets another.
    assert back.report.added == [DoorRef("Ghost 2", "new")]


def test_an_empty_or_invalid_seam_name_uses_the_device_id() -> None:
    plan = plan_sync([], [], [lock("d-1", ""), lock("d-2", "*")], NOW)
    assert plan.report.added == [DoorRef("d-1", "d-1"), DoorRef("d-2", "d-2")]


# -- applying it -------------------------------------------------------------------------------


async def all_doors(db: Database) -> dict[str, Door]:
    async with db.session() as s:
        return {d.device_id: d for d in (await s.exec(select(Door))).all()}


async def test_sync_writes_once_and_dry_run_writes_nothing(db: Database) -> None:
    locks = [lock("a1"), lock("a2"), lock("s1")]
    async with db.session() as s:
        dry = await sync_doors(s, locks, dry_run=True)
    assert dry.dry_run and len(dry.added) == 3
    assert await all_doors(db) == {}

    async with db.session() as s:
        real = await sync_doors(s, locks)
    assert real.added == dry.added and not real.dry_run
    doors = await all_doors(db)
    assert {d: (x.name, x.name_source) for d, x in doors.items()} == {
        "a1": (SMART, "seam"),
        "a2": (f"{SMART} 2", "seam"),
        "s1": (f"{SMART} 3", "seam"),
    }
    async with db.session() as s:
        again = await sync_doors(s, locks)
    assert not again.changed


async def test_two_locks_may_swap_names_in_one_sync(db: Database) -> None:
    async with db.session() as s:
        await sync_doors(s, [lock("a1", "Front"), lock("a2", "Back")])
    async with db.session() as s:
        report = await sync_doors(s, [lock("a1", "Back"), lock("a2", "Front")])
    assert sorted(r.new for r in report.renamed) == ["Back", "Front"]
    doors = await all_doors(db)
    assert (doors["a1"].name, doors["a2"].name) == ("Back", "Front")
    assert (doors["a1"].key, doors["a2"].key) == ("back", "front")


async def test_add_door_names_it_by_hand(db: Database) -> None:
    async with db.session() as s:
        added = await add_door(s, "Front Door", "a1")
        await s.commit()
    assert added.name_source == "admin" and added.seam_name is None and added.missing_at is None


async def test_a_clash_with_another_writer_says_to_sync_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.session() as s:
        await add_door(s, SMART, "elsewhere")
        await s.commit()
    # Plan as if that door had not been there yet, as when it is added between plan and commit.
    real = door_sync_module.plan_sync

    def stale(doors: list[Door], *rest: Any) -> Any:
        return real([d for d in doors if d.name != SMART], *rest)

    monkeypatch.setattr(door_sync_module, "plan_sync", stale)
    async with db.session() as s:
        with refused(DoorError, match="nothing was written, run `lockbot doors sync` again"):
            await sync_doors(s, [lock("n1")])
    assert list(await all_doors(db)) == ["elsewhere"]


# -- Seam: the paginated listing ---------------------------------------------------------------


def seam_device(device_id: str, device_type: str, **extra: Any) -> dict[str, Any]:
    return {"device_id": device_id, "device_type": device_type, "display_name": SMART, **extra}


async def test_list_locks_walks_every_page_and_leaves_out_non_locks() -> None:
    pages = {
        None: (
            [
                seam_device("a1", "august_lock", can_remotely_lock=True),
                seam_device("t1", "ecobee_thermostat"),
            ],
            "cursor-2",
        ),
        "cursor-2": ([seam_device("s1", "schlage_lock", can_remotely_lock=True)], None),
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.url.path == "/devices/list"
        body = json.loads(request.content) if request.content else {}
        cursor = body.get("page_cursor") or request.url.params.get("page_cursor")
        devices, next_cursor = pages[cursor]
        return httpx.Response(
            200,
            json={
                "devices": devices,
                "pagination": {
                    "has_next_page": next_cursor is not None,
                    "next_page_cursor": next_cursor,
                    "next_page_url": None,
                },
                "ok": True,
            },
        )

    backend = SeamBackend(
        "seam_test_key", "https://seam.test", transport=httpx.MockTransport(handler), page_size=2
    )
    assert await backend.list_locks() == [lock("a1"), lock("s1")]
    assert len(seen) == 2


async def test_list_locks_failures_become_backend_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503, json={"error": {"type": "service_unavailable", "message": "down"}}
        )

    backend = SeamBackend(
        "seam_test_key", "https://seam.test", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(BackendError) as raised:
        await backend.list_locks()
    assert raised.value.kind is BackendErrorKind.UNAVAILABLE


# -- locking a missing door --------------------------------------------------------------------


async def test_locking_a_missing_door_is_rejected_without_asking_seam(db: Database) -> None:
    async with db.session() as s:
        await sync_doors(s, [lock("a1", "Front Door")])
        await sync_doors(s, [])
    seam, notes = ScriptedSeam([]), Recorder()
    service = LockService(db, seam, notes, Scheduler(), AccessPolicy({"U1"}, NoGroups()), FAST)
    submission = await service.submit(Requester("U1", channel_id="C1"), "front door")

    row = submission.request
    assert not submission.accepted
    assert (row.status, row.error_type, row.door_name, row.device_id) == (
        LockStatus.REJECTED,
        "door_missing",
        "Front Door",
        "a1",
    )
    assert row.finished_at is not None
    assert seam.calls == [] and notes.events == []
    async with db.session() as s:
        stored = (await s.exec(select(LockRequest))).one()
    assert stored.error_type == "door_missing"

    text = door_missing(row)
    assert "*Front Door* is missing from Seam" in text
    assert "`lockbot doors sync`" in text and "Seam console" in text


def test_door_missing_message_escapes_the_name() -> None:
    row = LockRequest(
        source="slack", user_id="U1", text="x", door_name="<!channel>", device_id="a&b"
    )
    text = door_missing(row)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "a&amp;b" in text
