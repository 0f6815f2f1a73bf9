"""SQLModel tables, by area. The schema changes only through Alembic (`migrations/`).

Every table is named here, so `from bot.models import X` works wherever X lives and importing
this package puts every table on `SQLModel.metadata` (Alembic and its test need them all).
"""

from __future__ import annotations

from bot.models.access_tables import AuditEvent, DirectoryVersion, Grant, Permission
from bot.models.columns import utcnow
from bot.models.door_tables import Door, DoorAlias, DoorChannel, DoorGroup, GroupMember, NameSource
from bot.models.event_tables import (
    DeviceFacts,
    EventCursor,
    EventMute,
    EventNotice,
    QuietHours,
    SeamEvent,
)
from bot.models.lock_tables import (
    LockBatch,
    LockRequest,
    LockStatus,
    Rejection,
    assembled_request,
)
from bot.models.schedule_tables import Relock, Schedule, ScheduleRun

__all__ = [
    "AuditEvent",
    "DeviceFacts",
    "DirectoryVersion",
    "Door",
    "DoorAlias",
    "DoorChannel",
    "DoorGroup",
    "EventCursor",
    "EventMute",
    "EventNotice",
    "Grant",
    "GroupMember",
    "LockBatch",
    "LockRequest",
    "LockStatus",
    "NameSource",
    "Permission",
    "QuietHours",
    "Rejection",
    "Relock",
    "Schedule",
    "ScheduleRun",
    "SeamEvent",
    "assembled_request",
    "utcnow",
]
