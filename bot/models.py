"""SQLModel tables. The schema changes only through Alembic (`migrations/`)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no timezone type and hands back naive datetimes; mixing those with aware ones
    raises at comparison time, so every value is normalised on the way in and out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class NameSource(StrEnum):
    """Who chose a door's name: `doors sync` follows Seam's renames only for its own names."""

    SEAM = "seam"
    ADMIN = "admin"


class Door(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    # `key` is the normalised name (see doors.normalise); it is what lookups and uniqueness use.
    key: str = Field(max_length=80, unique=True)
    device_id: str = Field(max_length=120, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # "admin" (named by hand; sync keeps the name) or "seam" (imported; sync follows renames).
    name_source: str = Field(
        default=NameSource.ADMIN.value,
        max_length=16,
        sa_column_kwargs={"server_default": NameSource.ADMIN.value},
    )
    # The name Seam gave the lock at the last sync (None: never synced).
    seam_name: str | None = Field(default=None, max_length=200)
    # When a sync last found the device gone from Seam; None while Seam lists it.
    missing_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Where this door's device news goes (offline, battery, unlocked…); None: its group's, else
    # LOCKBOT_ALERT_CHANNEL.
    alert_channel: str | None = Field(default=None, max_length=32)


class DoorAlias(SQLModel, table=True):
    __tablename__ = "door_alias"

    id: int | None = Field(default=None, primary_key=True)
    door_id: int = Field(foreign_key="door.id", ondelete="CASCADE", index=True)
    alias: str = Field(max_length=80)
    key: str = Field(max_length=80, unique=True)


class DoorGroup(SQLModel, table=True):
    """Doors locked together with one command (`/lock floor 2`)."""

    __tablename__ = "door_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    # Shares the namespace of door names and aliases: one name never means two things.
    key: str = Field(max_length=80, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    alert_channel: str | None = Field(default=None, max_length=32)  # for its doors' device news


class GroupMember(SQLModel, table=True):
    __tablename__ = "door_group_member"
    __table_args__ = (sa.UniqueConstraint("group_id", "door_id", name="uq_group_member"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="door_group.id", ondelete="CASCADE", index=True)
    door_id: int = Field(foreign_key="door.id", ondelete="CASCADE", index=True)


class DoorChannel(SQLModel, table=True):
    """A door with rows here may be locked only from these channels (none: from anywhere)."""

    __tablename__ = "door_channel"
    __table_args__ = (sa.UniqueConstraint("door_id", "channel_id", name="uq_door_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    door_id: int = Field(foreign_key="door.id", ondelete="CASCADE", index=True)
    channel_id: str = Field(max_length=32)


class Permission(StrEnum):
    LOCK = "lock"  # lock one door, one group's doors, or (no door, no group) every door
    ADMIN = "admin"  # everything, including managing doors and access


class Grant(SQLModel, table=True):
    """`subject` holds `permission` on a door, a group, or (both NULL) every door."""

    __tablename__ = "access_grant"  # GRANT is an SQL keyword
    __table_args__ = (
        sa.UniqueConstraint(
            "subject", "permission", "door_id", "group_id", name="uq_grant_subject_target"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # A Slack user (U…, W…) or user group (S…) ID; never a display name, which users can change.
    subject: str = Field(max_length=32, index=True)
    permission: str = Field(
        default=Permission.LOCK.value,
        max_length=16,
        sa_column_kwargs={"server_default": Permission.LOCK.value},
    )
    door_id: int | None = Field(default=None, foreign_key="door.id", ondelete="CASCADE")
    # A group grant covers the group's doors as they are when a lock is asked, not when granted.
    group_id: int | None = Field(default=None, foreign_key="door_group.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """One change to doors, groups or access, and who made it."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)  # a Slack user ID, or cli:<login>
    action: str = Field(max_length=32)  # door.add, group.remove, grant.add, config.apply…
    target: str = Field(max_length=200)
    detail: str = Field(default="", max_length=1000)


class LockStatus(StrEnum):
    PENDING = "pending"
    LOCKED = "locked"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    DENIED = "denied"
    REJECTED = "rejected"
    # Never sent: lockbot came back after the request's deadline, so it is not carried out late.
    EXPIRED = "expired"

    @property
    def final(self) -> bool:
        return self is not LockStatus.PENDING


class Rejection(StrEnum):
    """Why lockbot itself ended a request without asking Seam (stored as its `error_type`)."""

    RATE_LIMITED = "rate_limited"
    UNKNOWN_DOOR = "unknown_door"
    DOOR_MISSING = "door_missing"  # `doors sync` found its device gone from Seam
    WRONG_CHANNEL = "wrong_channel"  # the door is limited to other channels
    NOT_ALLOWED = "not_allowed"
    GROUPS_UNCHECKED = "groups_unchecked"  # Slack could not say which user groups they are in
    EMPTY_GROUP = "empty_group"
    # Found by a restart or another replica, before it was sent:
    ACCESS_CHANGED = "access_changed"
    DOOR_REMOVED = "door_removed"
    EXPIRED = "expired"  # past its deadline: never sent late
    LOST = "lost"  # the request it waited on disappeared


class StatusType(sa.TypeDecorator[LockStatus]):
    """LockStatus stored as plain text, so adding a state needs no database enum migration."""

    impl = sa.String(16)
    cache_ok = True

    def process_bind_param(self, value: LockStatus | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else LockStatus(value).value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> LockStatus | None:
        return None if value is None else LockStatus(value)


class LockBatch(SQLModel, table=True):
    """One `/lock <group>`: a row per door in lock_request points here, and this row owns the
    root message, the summary and the one alert."""

    __tablename__ = "lock_batch"

    id: int | None = Field(default=None, primary_key=True)
    request_id: str | None = Field(default=None, max_length=32, index=True)
    source: str = Field(max_length=16)
    user_id: str = Field(max_length=64, index=True)
    text: str = Field(max_length=200)
    group_id: int | None = Field(default=None, foreign_key="door_group.id", ondelete="SET NULL")
    group_name: str | None = Field(default=None, max_length=80)
    channel_id: str | None = Field(default=None, max_length=32)
    response_url: str | None = Field(default=None, max_length=500)
    message_channel: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    # PENDING while any door is; then LOCKED (every door), FAILED (any other outcome), or
    # DENIED / REJECTED when nothing was tried.
    status: LockStatus = Field(default=LockStatus.PENDING, sa_type=StatusType, index=True)
    error_type: str | None = Field(default=None, max_length=64)
    summary: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The replica carrying this out, and until when; another replica takes it over only once
    # the lease has lapsed (see bot/locking/recovery.py). NULL owner: nobody holds it.
    owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def elapsed_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()


_IN_FLIGHT = sa.text("status = 'pending' AND joined_id IS NULL AND door_id IS NOT NULL")


class LockRequest(SQLModel, table=True):
    """The audit row of one lock request, written before Slack is told anything."""

    __tablename__ = "lock_request"
    __table_args__ = (
        # At most one request per door talks to Seam at a time; others join it. The database
        # enforces it, so two replicas (or two taps) cannot both become the one.
        sa.Index(
            "uq_lock_request_in_flight_door",
            "door_id",
            unique=True,
            sqlite_where=_IN_FLIGHT,
            postgresql_where=_IN_FLIGHT,
        ),
        # The rate limit counts a user's requests of the last minute before every ack.
        sa.Index("ix_lock_request_user_id_created_at", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Carried by every log line of this request's life, from the Slack command to the outcome.
    request_id: str | None = Field(default=None, max_length=32, index=True)
    source: str = Field(max_length=16)  # slack | cli
    user_id: str = Field(max_length=64)  # indexed with created_at (see __table_args__)
    text: str = Field(max_length=200)  # what the user typed, for the audit trail
    door_id: int | None = Field(default=None, foreign_key="door.id", ondelete="SET NULL")
    # Set when this request found the same door already being locked and waits on that one.
    joined_id: int | None = Field(default=None, foreign_key="lock_request.id", ondelete="SET NULL")
    # Set when this door was one of a group's (`/lock floor 2`).
    batch_id: int | None = Field(
        default=None, foreign_key="lock_batch.id", ondelete="SET NULL", index=True
    )
    door_name: str | None = Field(default=None, max_length=80)
    device_id: str | None = Field(default=None, max_length=120)
    channel_id: str | None = Field(default=None, max_length=32)
    response_url: str | None = Field(default=None, max_length=500)
    # The root message of the request's thread, once posted.
    message_channel: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    action_attempt_id: str | None = Field(default=None, max_length=64)
    status: LockStatus = Field(
        default=LockStatus.PENDING,
        sa_type=StatusType,
        index=True,
    )
    error_type: str | None = Field(default=None, max_length=64)
    error_message: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The replica carrying this out, and until when; another replica takes it over only once
    # the lease has lapsed (see bot/locking/recovery.py). NULL owner: nobody holds it.
    owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When lock_door answered, and the last moment the attempt was known to be pending (a read
    # that said so, or the time of the event that ended it): with finished_at, they bracket when
    # the device answered, which bot/locking/resolution.py learns from.
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_after: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def elapsed_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()


class Schedule(SQLModel, table=True):
    """A recurring lock. The row is the truth; the scheduler's jobs are rebuilt from it."""

    id: int | None = Field(default=None, primary_key=True)
    # What to lock, by name as it was when scheduled; a rename or removal is noticed at run time.
    target: str = Field(max_length=80)
    door_id: int | None = Field(default=None, foreign_key="door.id", ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="door_group.id", ondelete="CASCADE")
    cron: str = Field(max_length=120)  # standard crontab, in `timezone`
    timezone: str = Field(max_length=64)
    channel_id: str = Field(max_length=32)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paused: bool = Field(default=False)
    # Runs before this instant are settled (ran, or reported missed); the next starts after it.
    covered_until: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


_CLAIMED = sa.text("outcome = 'claimed'")


class ScheduleRun(SQLModel, table=True):
    """One fire time of a schedule. Its unique key is what makes a run happen at most once,
    whichever replica or restart gets there."""

    __tablename__ = "schedule_run"
    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "fire_at", name="uq_schedule_run"),
        # The leader looks for lost claims every few seconds; there are few, among many runs.
        sa.Index(
            "ix_schedule_run_claimed",
            "started_at",
            sqlite_where=_CLAIMED,
            postgresql_where=_CLAIMED,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", ondelete="CASCADE", index=True)
    fire_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # claimed (its lock not recorded yet) | ran | late | missed | denied | gone
    outcome: str = Field(max_length=16)
    batch_id: int | None = Field(default=None, foreign_key="lock_batch.id", ondelete="SET NULL")


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
