"""Recurring locks and each of their runs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.models.columns import UTCDateTime, utcnow


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
    # A lock window (bot/windows.py): its wall-clock length after each run; None: no window.
    window_minutes: int | None = Field(default=None)
    # How long after an unlock inside the window the door is locked again; None: never.
    relock_after_s: int | None = Field(default=None)


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


_OPEN = sa.text("state IN ('waiting', 'locking')")


class Relock(SQLModel, table=True):
    """An unlock inside a lock window, and the relock it is owed (bot/relocks.py). The row is
    the truth: the leader carries out what is due, whichever replica or restart it is."""

    __table_args__ = (
        # One open relock per door: a second unlock while one waits is the same story.
        sa.Index(
            "uq_relock_open_door",
            "door_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    door_id: int = Field(foreign_key="door.id", ondelete="CASCADE")
    schedule_id: int | None = Field(
        default=None, foreign_key="schedule.id", ondelete="SET NULL", index=True
    )
    owner: str = Field(max_length=64)  # the schedule's owner: the relock locks as them
    channel_id: str = Field(max_length=32)
    timezone: str = Field(max_length=64)
    message_ts: str | None = Field(default=None, max_length=32)  # the thread it is told in
    method: str | None = Field(default=None, max_length=32)  # Seam's; None: found by a check
    unlocked_at: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)  # None: never
    # waiting (for due_at) | locking (a lock request asked) | done
    state: str = Field(default="waiting", max_length=16)
    # relocked | already_locked | window_ended | unscheduled | failed | refused
    outcome: str | None = Field(default=None, max_length=16)
    tries: int = Field(default=0)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    request_id: str | None = Field(default=None, max_length=32)  # the lock request asked
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
