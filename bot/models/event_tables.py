"""Seam's events, what the devices said of themselves, and what noise control keeps."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.models.columns import UTCDateTime, utcnow


class SeamEvent(SQLModel, table=True):
    """An event from Seam, by webhook or by polling, kept once: its id is the dedupe key."""

    __tablename__ = "seam_event"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=80)
    device_id: str | None = Field(default=None, max_length=120, index=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    via: str = Field(max_length=16)  # webhook | poll
    # What lockbot did with it: relayed, muted, suppressed (noise control), settled, ignored.
    outcome: str = Field(default="", max_length=32)


class DeviceFacts(SQLModel, table=True):
    """What a lock last told us about itself, each fact with the time it was true: from Seam's
    events and from live reads. Lockbot's own locks stay in lock_request; `bot.door_state`
    puts the two together. Keyed by device, since that is what events and reads are about."""

    __tablename__ = "device_state"

    device_id: str = Field(primary_key=True, max_length=120)
    locked: bool | None = Field(default=None)
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_source: str | None = Field(default=None, max_length=16)  # event | read
    locked_method: str | None = Field(default=None, max_length=32)  # keycode, manual… (events)
    online: bool | None = Field(default=None)
    online_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    battery_level: float | None = Field(default=None)  # 0.0 … 1.0
    battery_status: str | None = Field(default=None, max_length=16)
    battery_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EventCursor(SQLModel, table=True):
    """Where the events poller reads from next: the newest event it has seen minus an overlap
    (late events), never past the time of its last read. Event ids make the overlap harmless."""

    __tablename__ = "event_cursor"

    name: str = Field(primary_key=True, max_length=32)
    since: datetime = Field(sa_type=UTCDateTime)


class EventNotice(SQLModel, table=True):
    """The last message posted about a device's connection or battery, so a flapping device
    updates one message in place and a low battery is told at most once a day."""

    __tablename__ = "event_notice"
    __table_args__ = (sa.UniqueConstraint("device_id", "kind", name="uq_event_notice"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(max_length=120)
    kind: str = Field(max_length=16)  # connection | battery
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    opened_at: datetime = Field(sa_type=UTCDateTime)  # the first event of this message
    last_at: datetime = Field(sa_type=UTCDateTime)  # the latest event folded into it
    count: int = Field(default=1)  # disconnects folded into it
    text: str = Field(default="", max_length=2000)


class EventMute(SQLModel, table=True):
    """An event type nobody wants to hear about for a door, or for a group's doors."""

    __tablename__ = "event_mute"
    __table_args__ = (
        sa.UniqueConstraint("event_type", "door_id", "group_id", name="uq_event_mute"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_type: str = Field(max_length=80)
    door_id: int | None = Field(default=None, foreign_key="door.id", ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="door_group.id", ondelete="CASCADE")
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuietHours(SQLModel, table=True):
    """Hours when a channel hears only what cannot wait (tampering, unexpected unlocks)."""

    __tablename__ = "quiet_hours"

    channel_id: str = Field(primary_key=True, max_length=32)
    start: str = Field(max_length=5)  # "22:00", local time
    end: str = Field(max_length=5)  # "07:00"
    timezone: str = Field(max_length=64)
