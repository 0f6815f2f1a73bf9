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
