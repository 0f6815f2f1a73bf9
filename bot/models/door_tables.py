"""Doors, their aliases, groups and channel limits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from bot.models.columns import UTCDateTime, utcnow


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
