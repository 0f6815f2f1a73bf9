"""Lock requests, one row each, and the batch a group's doors share."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.models.columns import UTCDateTime, utcnow


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
        if isinstance(value, LockStatus):
            return value.value
        return None if value is None else LockStatus(value).value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> LockStatus | None:
        return None if value is None else LockStatus(value)


class CarriedOut(SQLModel):
    """The columns a lock request and a group's batch share: when it was asked and when it
    ended, and who carries it out meanwhile."""

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


class LockBatch(CarriedOut, table=True):
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


_IN_FLIGHT = sa.text("status = 'pending' AND joined_id IS NULL AND door_id IS NOT NULL")


class LockRequest(CarriedOut, table=True):
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
    # When lock_door answered, and the last moment the attempt was known to be pending (a read
    # that said so, or the time of the event that ended it): with finished_at, they bracket when
    # the device answered, which bot/locking/resolution.py learns from.
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_after: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


_REQUEST_DEFAULTS = {
    name: field.default
    for name, field in LockRequest.model_fields.items()
    if field.default_factory is None and not field.is_required()
}
_REQUEST_MANAGER = sa.inspect(LockRequest).class_manager
# Required, or made by a factory (created_at): given by the caller.
_REQUEST_GIVEN = frozenset(LockRequest.model_fields) - _REQUEST_DEFAULTS.keys()


def assembled_request(**values: Any) -> LockRequest:
    """A `LockRequest` put together as the ORM puts together one it loaded: values straight into
    the instance, no validation and no instrumented set per column. On the ack path this is a
    twentieth of what `LockRequest(...)` costs (about 6 µs against 120). The values must be
    right already: they come from the intake's decision, or from a row of the table."""
    missing = _REQUEST_GIVEN - values.keys()
    assert not missing, f"a lock request needs {sorted(missing)}"
    row: LockRequest = _REQUEST_MANAGER.new_instance()
    row.__dict__.update(_REQUEST_DEFAULTS)
    row.__dict__.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    object.__setattr__(row, "__pydantic_extra__", None)
    object.__setattr__(row, "__pydantic_private__", None)
    return row
