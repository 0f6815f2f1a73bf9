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


class DoorAlias(SQLModel, table=True):
    __tablename__ = "door_alias"

    id: int | None = Field(default=None, primary_key=True)
    door_id: int = Field(foreign_key="door.id", ondelete="CASCADE", index=True)
    alias: str = Field(max_length=80)
    key: str = Field(max_length=80, unique=True)


class Grant(SQLModel, table=True):
    """`subject` may lock `door_id`; a NULL door means every door (`*`)."""

    __tablename__ = "access_grant"  # GRANT is an SQL keyword
    __table_args__ = (sa.UniqueConstraint("subject", "door_id", name="uq_grant_subject_door"),)

    id: int | None = Field(default=None, primary_key=True)
    # A Slack user (U…, W…) or user group (S…) ID; never a display name, which users can change.
    subject: str = Field(max_length=32, index=True)
    door_id: int | None = Field(default=None, foreign_key="door.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LockStatus(StrEnum):
    PENDING = "pending"
    LOCKED = "locked"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    DENIED = "denied"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self is not LockStatus.PENDING


class StatusType(sa.TypeDecorator[LockStatus]):
    """LockStatus stored as plain text, so adding a state needs no database enum migration."""

    impl = sa.String(16)
    cache_ok = True

    def process_bind_param(self, value: LockStatus | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else LockStatus(value).value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> LockStatus | None:
        return None if value is None else LockStatus(value)


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
    )

    id: int | None = Field(default=None, primary_key=True)
    # Carried by every log line of this request's life, from the Slack command to the outcome.
    request_id: str | None = Field(default=None, max_length=32, index=True)
    source: str = Field(max_length=16)  # slack | cli
    user_id: str = Field(max_length=64, index=True)
    text: str = Field(max_length=200)  # what the user typed, for the audit trail
    door_id: int | None = Field(default=None, foreign_key="door.id", ondelete="SET NULL")
    # Set when this request found the same door already being locked and waits on that one.
    joined_id: int | None = Field(default=None, foreign_key="lock_request.id", ondelete="SET NULL")
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

    @property
    def elapsed_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()
