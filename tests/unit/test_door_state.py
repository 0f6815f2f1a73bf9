"""bot.door_state on a real database: each fact kept only when newer, lockbot's own locks put
together with Seam's word, and each door as its device is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.db import Database
from bot.door_admin import add_door
from bot.door_state import (
    OWN_LOCK_WINDOW,
    DoorState,
    Facts,
    LockFact,
    Source,
    door_states,
    newest,
    read_facts,
    remember,
)
from bot.events.facts import facts_of
from bot.models import Door, LockRequest, LockStatus, utcnow
from bot.ports import DeviceEvent, DeviceState

NOW = utcnow()


def event(kind: str, minutes_ago: float, **fields: Any) -> Facts:
    facts = facts_of(
        DeviceEvent(
            event_id="e",
            event_type=kind,
            occurred_at=NOW - timedelta(minutes=minutes_ago),
            device_id="d1",
            **fields,
        )
    )
    assert facts is not None
    return facts


async def doors(db: Database) -> tuple[int, int]:
    async with db.session() as s:
        front = await add_door(s, "Front Door", "d1")
        back = await add_door(s, "Back Door", "d2")
        await s.commit()
    assert front.id and back.id
    return front.id, back.id


async def locked_by(
    db: Database, door_id: int, device_id: str, user: str, finished: datetime, **extra: Any
) -> int:
    async with db.session() as s:
        row = LockRequest(
            source="slack",
            user_id=user,
            text="front door",
            door_id=door_id,
            door_name="Front Door",
            device_id=device_id,
            status=LockStatus.LOCKED,
            created_at=finished - timedelta(seconds=1),
            finished_at=finished,
            **extra,
        )
        s.add(row)
        await s.commit()
        assert row.id is not None
        return row.id


async def state_of(db: Database, door_id: int) -> DoorState:
    async with db.session() as s:
        return (await door_states(s, [door_id]))[door_id]


async def test_each_fact_is_kept_only_when_newer(db: Database) -> None:
    front, _ = await doors(db)
    await remember(db, [("d1", event("lock.unlocked", 5, method="keycode"))])
    # Late news of older facts: a lock by hand, an outage; neither is newer than what is kept
    # about the lock, but the outage is the first word on the connection.
    await remember(db, [("d1", event("lock.locked", 30, method="manual"))])
    await remember(db, [("d1", event("device.disconnected", 30))])
    await remember(db, [("d1", event("device.connected", 40))])
    state = await state_of(db, front)
    assert state.lock == LockFact(False, NOW - timedelta(minutes=5), Source.EVENT, "keycode")
    assert (state.online, state.online_at) == (False, NOW - timedelta(minutes=30))
    # A battery event says nothing of the lock or the connection, and keeps them.
    await remember(db, [("d1", event("device.low_battery", 1, battery_level=0.08))])
    state = await state_of(db, front)
    assert (state.battery_level, state.battery_status) == (0.08, "low")
    assert state.lock is not None and state.lock.method == "keycode"
    assert state.online is False


async def test_a_live_read_is_the_newest_word_unless_the_lock_is_offline(db: Database) -> None:
    front, _ = await doors(db)
    await remember(db, [("d1", event("lock.unlocked", 5, method="keycode"))])
    live = DeviceState("d1", locked=True, online=True, battery_level=0.5, battery_status="good")
    await remember(db, [("d1", read_facts(live, NOW))])
    state = await state_of(db, front)
    assert state.lock == LockFact(True, NOW, Source.READ)
    assert (state.online, state.battery_status, state.battery_at) == (True, "good", NOW)
    # Offline, Seam's `locked` is the last thing the lock reported, at a time it doesn't say.
    later = NOW + timedelta(minutes=1)
    await remember(db, [("d1", read_facts(DeviceState("d1", locked=False, online=False), later))])
    state = await state_of(db, front)
    assert state.lock == LockFact(True, NOW, Source.READ)
    assert (state.online, state.online_at) == (False, later)


async def test_lockbots_lock_counts_when_it_is_newest(db: Database) -> None:
    front, back = await doors(db)
    await remember(db, [("d1", event("lock.unlocked", 60, method="keycode"))])
    leader = await locked_by(db, front, "d1", "U1", NOW - timedelta(minutes=10))
    # Someone who asked while U1's lock was under way is not who locked it.
    await locked_by(db, front, "d1", "U2", NOW - timedelta(minutes=10), joined_id=leader)
    state = await state_of(db, front)
    assert state.lock == LockFact(
        True, NOW - timedelta(minutes=10), Source.LOCKBOT, actor="U1", via="slack"
    )
    assert state.last_request is not None and state.last_request.user_id == "U2"
    # Seam's word of that same lock is lockbot's lock, even a little after it by Seam's clock.
    await remember(db, [("d1", event("lock.locked", 9, method="remote"))])
    assert (await state_of(db, front)).lock == state.lock
    await remember(db, [("d1", event("lock.unlocked", 2, method="manual"))])
    assert (await state_of(db, front)).lock == LockFact(
        False, NOW - timedelta(minutes=2), Source.EVENT, "manual"
    )
    # Nothing is known of a door no one has told us about.
    assert (await state_of(db, back)).lock is None


async def test_a_door_pointed_at_another_device_does_not_keep_the_old_ones_state(
    db: Database,
) -> None:
    front, _ = await doors(db)
    await locked_by(db, front, "d1", "U1", NOW - timedelta(minutes=10))
    await remember(db, [("d1", event("device.disconnected", 5))])
    async with db.session() as s:
        door = await s.get(Door, front)
        assert door is not None
        door.device_id = "d9"
        s.add(door)
        await s.commit()
    state = await state_of(db, front)
    assert (state.device_id, state.lock, state.online) == ("d9", None, None)


def test_newest_prefers_the_later_fact_and_counts_seams_echo_as_lockbots() -> None:
    ours = LockFact(True, NOW, Source.LOCKBOT, actor="U1", via="slack")
    echo = LockFact(True, NOW + OWN_LOCK_WINDOW, Source.EVENT, "remote")
    later = LockFact(True, NOW + OWN_LOCK_WINDOW + timedelta(seconds=1), Source.EVENT, "manual")
    unlock = LockFact(False, NOW + timedelta(seconds=30), Source.EVENT, "keycode")
    read = LockFact(True, NOW + timedelta(seconds=30), Source.READ)
    assert newest(echo, ours) is ours
    assert newest(later, ours) is later
    assert newest(unlock, ours) is unlock
    assert newest(read, ours) is read
    assert newest(None, ours) is ours and newest(unlock, None) is unlock
    assert newest(None, None) is None
