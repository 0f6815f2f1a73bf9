"""What each door is, as truly as lockbot knows: the newest of lockbot's own outcome (the
lock_request rows), what Seam's events said (lock.locked, lock.unlocked, connected, battery) and
what a live read saw (`/lock status`), each fact with the time it was true.

Events and reads are kept per device in `device_state`, one conditional upsert per fact, so an old
event that arrives late (a poll's overlap, a webhook retried for hours) never overwrites a newer
fact. Lockbot's own outcome is not copied there: its row in lock_request is already the truth,
committed before anyone is told, whichever path settled it. Facts only; the words belong to each
surface (Slack: `bot.slack.words.doors`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.history import last_outcomes
from bot.models import DeviceFacts, Door, LockRequest, LockStatus
from bot.ports import DeviceState

# A lock.locked this close to one of lockbot's own locks is Seam telling us of it (Seam's clock
# and ours differ a little, and the event can come before or after the request settles).
OWN_LOCK_WINDOW = timedelta(minutes=2)


class Source(StrEnum):
    LOCKBOT = "lockbot"  # a lock request of ours settled as locked
    EVENT = "event"  # Seam's lock.locked / lock.unlocked
    READ = "read"  # the device read live (`/lock status`)


@dataclass(frozen=True)
class Facts:
    """What one event or one read says about a device; None: it says nothing about that."""

    at: datetime  # when it was true: the event's occurred_at, or the time of the read
    source: Source
    locked: bool | None = None
    method: str | None = None  # events: keycode, manual, remote, automatic, unknown…
    online: bool | None = None
    battery_level: float | None = None
    battery_status: str | None = None


@dataclass(frozen=True)
class LockFact:
    """Locked or not, since when, and who says so."""

    locked: bool
    at: datetime
    source: Source
    method: str | None = None  # events only
    actor: str | None = None  # lockbot only: who asked (a Slack user ID, cli:<login>)
    via: str | None = None  # lockbot only: slack | cli | schedule


@dataclass(frozen=True)
class DoorState:
    """A door's newest facts, each with its as-of time (None: nothing known)."""

    door_id: int
    device_id: str
    lock: LockFact | None
    # The latest request that reached Seam, so a surface can say "being locked now" or that
    # lockbot's last try failed after the state was known.
    last_request: LockRequest | None = None
    online: bool | None = None
    online_at: datetime | None = None
    battery_level: float | None = None
    battery_status: str | None = None
    battery_at: datetime | None = None


def read_facts(state: DeviceState, at: datetime) -> Facts:
    """A live read. An offline lock's `locked` is only what it last reported, at a time Seam
    does not give, so it is no fact of now."""
    return Facts(
        at=at,
        source=Source.READ,
        locked=state.locked if state.online is not False else None,
        online=state.online,
        battery_level=state.battery_level,
        battery_status=state.battery_status,
    )


# Each group of columns is one fact, replaced whole and only by a newer one.
_GROUPS = (
    ("locked_at", ("locked", "locked_source", "locked_method")),
    ("online_at", ("online",)),
    ("battery_at", ("battery_level", "battery_status")),
)


def _values(device_id: str, facts: Facts) -> dict[str, Any]:
    values: dict[str, Any] = {"device_id": device_id[:120]}
    if facts.locked is not None:
        values |= {
            "locked": facts.locked,
            "locked_at": facts.at,
            "locked_source": facts.source.value,
            "locked_method": facts.method[:32] if facts.method else None,
        }
    if facts.online is not None:
        values |= {"online": facts.online, "online_at": facts.at}
    if facts.battery_level is not None or facts.battery_status is not None:
        values |= {
            "battery_level": facts.battery_level,
            "battery_status": facts.battery_status[:16] if facts.battery_status else None,
            "battery_at": facts.at,
        }
    return values


async def record(session: AsyncSession, device_id: str, facts: Facts) -> None:
    """Keep what `facts` says, fact by fact, where it is newer than what is kept. One statement,
    so two replicas (or the webhook and the poller) writing at once cannot interleave."""
    values = _values(device_id, facts)
    if len(values) == 1:
        return
    table = DeviceFacts.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values(values)
    newer = statement.excluded
    changes: dict[str, Any] = {}
    for stamp, columns in _GROUPS:
        if stamp not in values:
            continue
        wins = sa.or_(table.c[stamp].is_(None), newer[stamp] > table.c[stamp])
        for name in (stamp, *columns):
            # SET reads the old row throughout, so the stamp may change alongside.
            changes[name] = sa.case((wins, newer[name]), else_=table.c[name])
    await session.exec(statement.on_conflict_do_update(index_elements=["device_id"], set_=changes))


async def remember(db: Database, facts: Sequence[tuple[str, Facts]]) -> None:
    """Record facts about devices in one transaction."""
    if not facts:
        return
    async with db.writing() as session:
        for device_id, fact in facts:
            await record(session, device_id, fact)
        await session.commit()


def newest(kept: LockFact | None, ours: LockFact | None) -> LockFact | None:
    """The newer of what Seam said and lockbot's own last lock; Seam's word of lockbot's own
    lock counts as lockbot's."""
    if kept is None or ours is None:
        return kept or ours
    if kept.source is Source.EVENT and kept.locked and abs(kept.at - ours.at) <= OWN_LOCK_WINDOW:
        return ours
    return kept if kept.at > ours.at else ours


async def _our_locks(session: AsyncSession, devices: Collection[str]) -> dict[str, LockRequest]:
    """Lockbot's latest lock that held, per device. A joined request is the same lock as the
    one it joined, which names the person who caused it."""
    latest = (
        select(func.max(LockRequest.id))
        .where(
            col(LockRequest.device_id).in_(devices),
            col(LockRequest.status) == LockStatus.LOCKED,
            col(LockRequest.joined_id).is_(None),
        )
        .group_by(col(LockRequest.device_id))
    )
    rows = (await session.exec(select(LockRequest).where(col(LockRequest.id).in_(latest)))).all()
    return {row.device_id: row for row in rows if row.device_id is not None}


def _kept_lock(row: DeviceFacts | None) -> LockFact | None:
    if row is None or row.locked is None or row.locked_at is None:
        return None
    return LockFact(
        row.locked, row.locked_at, Source(row.locked_source or "event"), row.locked_method
    )


def _our_lock(request: LockRequest | None) -> LockFact | None:
    if request is None or request.finished_at is None:
        return None
    return LockFact(
        True, request.finished_at, Source.LOCKBOT, actor=request.user_id, via=request.source
    )


async def door_states(session: AsyncSession, door_ids: Collection[int]) -> dict[int, DoorState]:
    """Each door's newest facts, by door ID. A door is as its device is: a door pointed at
    another device does not keep the old one's state."""
    if not door_ids:
        return {}
    doors = (await session.exec(select(Door).where(col(Door.id).in_(door_ids)))).all()
    devices = {door.device_id for door in doors}
    kept = {
        row.device_id: row
        for row in (
            await session.exec(select(DeviceFacts).where(col(DeviceFacts.device_id).in_(devices)))
        ).all()
    }
    ours = await _our_locks(session, devices)
    requests = await last_outcomes(session, door_ids)
    states: dict[int, DoorState] = {}
    for door in doors:
        assert door.id is not None
        row = kept.get(door.device_id)
        states[door.id] = DoorState(
            door_id=door.id,
            device_id=door.device_id,
            lock=newest(_kept_lock(row), _our_lock(ours.get(door.device_id))),
            last_request=requests.get(door.id),
            online=row.online if row else None,
            online_at=row.online_at if row else None,
            battery_level=row.battery_level if row else None,
            battery_status=row.battery_status if row else None,
            battery_at=row.battery_at if row else None,
        )
    return states
