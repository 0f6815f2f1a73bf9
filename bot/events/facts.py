"""What a device event says about the lock's state, for `bot.door_state` to keep."""

from __future__ import annotations

from bot.door_state import Facts, Source
from bot.events.kinds import BATTERY_CHANGED, CONNECTED, DISCONNECTED, LOCKED, LOW_BATTERY, UNLOCKED
from bot.ports import DeviceEvent


def facts_of(event: DeviceEvent) -> Facts | None:
    """The state an event tells of, dated when it happened; None for news of no state."""
    at, kind = event.occurred_at, event.event_type
    if kind in (LOCKED, UNLOCKED):
        return Facts(at, Source.EVENT, locked=kind == LOCKED, method=event.method)
    if kind in (CONNECTED, DISCONNECTED):
        return Facts(at, Source.EVENT, online=kind == CONNECTED)
    if kind in (LOW_BATTERY, BATTERY_CHANGED):
        status = event.battery_status or ("low" if kind == LOW_BATTERY else None)
        if status is None and event.battery_level is None:
            return None
        return Facts(at, Source.EVENT, battery_level=event.battery_level, battery_status=status)
    return None
