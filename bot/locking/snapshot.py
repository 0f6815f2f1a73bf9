"""The directory in memory: doors, aliases, groups, channel limits and grants, as of one version.

Every `/lock` reads them; reading them from the database cost most of an ack. A `Snapshot` is
a frozen copy with the answers the intake needs (what a name means, who may lock a door, where
from), computed as `bot.names`, `bot.access` and `bot.door_admin` compute them from the tables.
Its `version` is the `directory_version` row's number when it was read, which every change to
those tables raises in its own transaction (migration 0014). A snapshot is never trusted on its
own: the transaction that records a request reads the number again (`Receipts`), and a request
decided on an older snapshot is decided again on a fresh one before anything is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database, sync_url
from bot.models import (
    DirectoryVersion,
    Door,
    DoorAlias,
    DoorChannel,
    DoorGroup,
    Grant,
    GroupMember,
    Permission,
)
from bot.names import Directory, Named, closest, normalise

_VERSION_TABLE = DirectoryVersion.__table__  # type: ignore[attr-defined]
log = logging.getLogger(__name__)
# What the trigger of migration 0014 NOTIFYs on PostgreSQL, with the new version as payload.
CHANNEL = "lockbot_directory"
VERSION: sa.Select[int] = sa.select(_VERSION_TABLE.c.version).where(_VERSION_TABLE.c.id == 1)


@dataclass(frozen=True)
class Snapshot:
    version: int
    directory: Directory  # doors by name and alias
    groups: dict[str, DoorGroup]  # by normalised name
    members: dict[int, list[Door]]  # a group's doors, by name
    subjects: dict[int, frozenset[str]]  # who holds a grant that lets them lock a door
    channels: dict[int, list[str]]  # a door's channel limits, sorted; absent: none

    def lookup(self, text: str) -> Named | None:
        """As `bot.names.lookup`: the door, else the group, that `text` names."""
        key = normalise(text)
        if not key:
            return None
        return self.directory.by_key.get(key) or self.groups.get(key)

    def suggest(self, text: str, limit: int = 5) -> list[str]:
        """As `bot.names.suggest_targets`."""
        names = {key: door.name for key, door in self.directory.by_key.items()}
        names |= {key: group.name for key, group in self.groups.items()}
        return closest(text, names, limit)

    def group_doors(self, group_id: int) -> list[Door]:
        return self.members.get(group_id, [])

    def lock_subjects(self, door_id: int) -> frozenset[str]:
        """As `bot.access._lock_subjects`: users and user groups whose grants cover the door."""
        return self.subjects.get(door_id, self.subjects.get(0, frozenset()))

    def door_channels(self, door_id: int) -> list[str]:
        return self.channels.get(door_id, [])


def build(
    version: int,
    doors: list[Door],
    aliases: list[DoorAlias],
    groups: list[DoorGroup],
    members: list[GroupMember],
    channels: list[DoorChannel],
    grants: list[Grant],
) -> Snapshot:
    """A snapshot from the rows of each table (pure, so the tests can build one too)."""
    by_id = {door.id: door for door in doors if door.id is not None}
    in_group: dict[int, list[Door]] = defaultdict(list)
    for member in members:
        if member.door_id in by_id:
            in_group[member.group_id].append(by_id[member.door_id])
    everywhere = {
        g.subject
        for g in grants
        if g.permission == Permission.ADMIN.value or (g.door_id is None and g.group_id is None)
    }
    subjects: dict[int, set[str]] = {0: everywhere}  # 0: a door no grant names
    for door_id in by_id:
        subjects[door_id] = set(everywhere)
    for g in grants:
        if g.door_id is not None and g.door_id in subjects:
            subjects[g.door_id].add(g.subject)
        if g.group_id is not None:
            for door in in_group.get(g.group_id, []):
                assert door.id is not None
                subjects[door.id].add(g.subject)
    limits: dict[int, list[str]] = defaultdict(list)
    for channel in channels:
        limits[channel.door_id].append(channel.channel_id)
    return Snapshot(
        version=version,
        directory=Directory.build(by_id.values(), aliases),
        groups={group.key: group for group in groups},
        members={gid: sorted(ds, key=lambda d: d.key) for gid, ds in in_group.items()},
        subjects={door_id: frozenset(s) for door_id, s in subjects.items()},
        channels={door_id: sorted(c) for door_id, c in limits.items()},
    )


async def read_version(session: AsyncSession) -> int:
    """The directory's version now; 0 before any change was counted."""
    conn = await session.connection()
    return int((await conn.execute(VERSION)).scalar() or 0)


async def load(session: AsyncSession) -> Snapshot:
    # The version first: a change that lands between the reads makes the copy newer than its
    # number says, never older, and the next check of the number then reloads it.
    version = await read_version(session)
    return build(
        version,
        list((await session.exec(select(Door))).all()),
        list((await session.exec(select(DoorAlias))).all()),
        list((await session.exec(select(DoorGroup))).all()),
        list((await session.exec(select(GroupMember))).all()),
        list((await session.exec(select(DoorChannel))).all()),
        list((await session.exec(select(Grant))).all()),
    )


class Snapshots:
    """This process's current snapshot, loaded when first needed and again when a newer
    version is seen; concurrent requests for a reload share one."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._current: Snapshot | None = None
        self._loading = asyncio.Lock()

    @property
    def held(self) -> Snapshot | None:
        """The snapshot held now, without reading anything."""
        return self._current

    async def current(self) -> Snapshot:
        if self._current is not None:
            return self._current
        return await self.at_least(0)

    async def at_least(self, version: int) -> Snapshot:
        """A snapshot of `version` or newer, read again unless the one held already is."""
        async with self._loading:
            held = self._current
            if held is None or held.version < version:
                async with self.db.session() as session:
                    held = self._current = await load(session)
            return held


class ChangeListener:
    """PostgreSQL: read the directory again as soon as a change is announced (`NOTIFY
    lockbot_directory`), so the next request is decided on it at once rather than after a
    batch rolled back. Only a head start: the version check in each batch is what holds."""

    def __init__(self, snapshots: Snapshots, database_url: str, retry_s: float = 5.0) -> None:
        self.snapshots = snapshots
        url = sync_url(database_url).set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.retry_s = retry_s

    async def run(self) -> None:
        """Listen until cancelled; a lost connection is opened again after `retry_s`."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # Changes made before the LISTEN began are not announced to it.
                    await self.snapshots.at_least(await self._version(conn))
                    async for note in conn.notifies():
                        await self.snapshots.at_least(int(note.payload or 0))
            except (psycopg.Error, OSError, ValueError) as error:
                log.warning("directory changes: not listening (%s); again in %g s", error,
                            self.retry_s)  # fmt: skip
            await asyncio.sleep(self.retry_s)

    @staticmethod
    async def _version(conn: psycopg.AsyncConnection[tuple[int]]) -> int:
        row = await (await conn.execute("SELECT version FROM directory_version")).fetchone()
        return int(row[0]) if row else 0
