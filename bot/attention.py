"""What needs an admin's attention, as facts: offline locks, low batteries, locks that failed
lately, doors whose device is gone from Seam. Read-only; each surface words it (Slack: the App
Home, `bot.slack.words.home`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.door_state import DoorState, door_states
from bot.models import Door, LockRequest, LockStatus
from bot.news import is_low

RECENT = timedelta(hours=24)
FAILURES_SHOWN = 10
# Seam gives most locks a status (low, critical); a level alone counts as low below this.
LOW_LEVEL = 0.2
_FAILED = (LockStatus.FAILED, LockStatus.TIMED_OUT, LockStatus.EXPIRED)


@dataclass(frozen=True)
class Attention:
    offline: list[tuple[Door, DoorState]]
    low_battery: list[tuple[Door, DoorState]]
    failures: list[LockRequest]  # the newest `FAILURES_SHOWN` of the last 24 h, newest first
    failures_total: int
    missing: list[Door]  # `doors sync` found their device gone from Seam

    @property
    def empty(self) -> bool:
        return not (self.offline or self.low_battery or self.failures_total or self.missing)


def battery_low(state: DoorState) -> bool:
    if state.battery_status:
        return is_low(state.battery_status)
    return state.battery_level is not None and state.battery_level < LOW_LEVEL


async def needs_attention(session: AsyncSession, now: datetime) -> Attention:
    doors = list((await session.exec(select(Door).order_by(col(Door.key)))).all())
    states = await door_states(session, [d.id for d in doors if d.id is not None])
    known = [(door, states[door.id]) for door in doors if door.id in states]
    # A lock request that joined another is that one's outcome again: counted once.
    failed = (
        col(LockRequest.status).in_(_FAILED),
        col(LockRequest.finished_at) >= now - RECENT,
        col(LockRequest.joined_id).is_(None),
    )
    total = int((await session.exec(select(func.count()).where(*failed))).one())
    recent = select(LockRequest).where(*failed).order_by(col(LockRequest.id).desc())
    return Attention(
        offline=[(door, state) for door, state in known if state.online is False],
        low_battery=[(door, state) for door, state in known if battery_low(state)],
        failures=list((await session.exec(recent.limit(FAILURES_SHOWN))).all()),
        failures_total=total,
        missing=[door for door in doors if door.missing_at is not None],
    )
