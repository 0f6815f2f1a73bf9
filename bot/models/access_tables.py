"""Who holds which permission on what, and the audit trail of every change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.models.columns import UTCDateTime, utcnow


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


class DirectoryVersion(SQLModel, table=True):
    """One row: a number that every change to doors, aliases, groups, channel limits or grants
    raises in the same transaction (database triggers, migration 0014), so a process that keeps
    them in memory (`bot/locking/snapshot.py`) can tell whether its copy is current."""

    __tablename__ = "directory_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
