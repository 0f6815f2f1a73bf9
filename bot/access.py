"""Who may lock which door, and who may manage lockbot. Deny by default.

A grant gives a subject (a Slack user or user-group ID) `lock` on one door, on one group (its
doors as they are at lock time), or on every door (`*`); or `admin`, which allows everything.
People in LOCKBOT_ADMINS are admins without a grant.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.doors import find_door, load_directory
from bot.groups import GroupView, find_group, list_groups
from bot.ids import is_group_id, is_user_id
from bot.models import Door, DoorGroup, Grant, GroupMember, Permission
from bot.ports import GroupDirectory

EVERY_DOOR = "*"


def valid_subject(subject: str) -> str | None:
    """Why `subject` cannot be granted anything, or None when it can."""
    if is_user_id(subject) or is_group_id(subject):
        return None
    return (
        f"{subject!r} is not a Slack ID: use a user ID (U… or W…) or a user group ID (S…), "
        "which Slack shows under a profile's ⋮ menu as “Copy member ID”"
    )


OPERATOR_PREFIX = "cli:"  # someone at the terminal: they have the database anyway


def is_operator(user_id: str) -> bool:
    return user_id.startswith(OPERATOR_PREFIX)


class AccessPolicy:
    def __init__(self, admins: Collection[str], groups: GroupDirectory) -> None:
        self.admins = frozenset(admins)
        self.groups = groups

    def _superuser(self, user_id: str) -> bool:
        # Slack IDs never start with "cli:", so only the terminal (or a schedule it made) can
        # act as an operator.
        return user_id in self.admins or is_operator(user_id)

    async def _holds(self, user_id: str, subjects: Iterable[str]) -> bool:
        subjects = set(subjects)
        if user_id in subjects:
            return True
        # Only ask Slack about user groups when a direct grant did not settle it.
        for group in sorted(s for s in subjects if is_group_id(s)):
            if user_id in await self.groups.members(group):
                return True
        return False

    async def is_admin(self, session: AsyncSession, user_id: str) -> bool:
        if self._superuser(user_id):
            return True
        query = select(Grant.subject).where(col(Grant.permission) == Permission.ADMIN.value)
        return await self._holds(user_id, (await session.exec(query)).all())

    async def may_lock(self, session: AsyncSession, user_id: str, door_id: int) -> bool:
        if self._superuser(user_id):
            return True
        in_groups = select(GroupMember.group_id).where(col(GroupMember.door_id) == door_id)
        query = select(Grant.subject).where(
            or_(
                col(Grant.permission) == Permission.ADMIN.value,
                col(Grant.door_id) == door_id,
                col(Grant.group_id).in_(in_groups),
                sa.and_(col(Grant.door_id).is_(None), col(Grant.group_id).is_(None)),
            )
        )
        return await self._holds(user_id, (await session.exec(query)).all())

    async def lockable(self, session: AsyncSession, user_id: str) -> set[int] | None:
        """IDs of the doors `user_id` may lock, or None for every door."""
        if self._superuser(user_id):
            return None
        grants = (await session.exec(select(Grant))).all()
        mine = set()
        for subject in {g.subject for g in grants}:
            if await self._holds(user_id, [subject]):
                mine.add(subject)
        held = [g for g in grants if g.subject in mine]
        if any(
            g.permission == Permission.ADMIN or (g.door_id is None and g.group_id is None)
            for g in held
        ):
            return None
        doors = {g.door_id for g in held if g.door_id is not None}
        group_ids = [g.group_id for g in held if g.group_id is not None]
        if group_ids:
            members = select(GroupMember.door_id).where(col(GroupMember.group_id).in_(group_ids))
            doors |= set((await session.exec(members)).all())
        return doors


@dataclass(frozen=True)
class Lockable:
    """What one user may lock: doors, and groups whose every door they may lock."""

    doors: list[Door]
    groups: list[GroupView]


async def lockable_targets(session: AsyncSession, policy: AccessPolicy, user_id: str) -> Lockable:
    allowed = await policy.lockable(session, user_id)
    doors = [
        door
        for door in (await session.exec(select(Door).order_by(col(Door.key)))).all()
        if allowed is None or door.id in allowed
    ]
    ids = {door.id for door in doors}
    groups = [
        view
        for view in await list_groups(session)
        if view.doors and all(door.id in ids for door in view.doors)
    ]
    return Lockable(doors, groups)


class AccessError(ValueError):
    """A grant operation that cannot be done, with a message for the person who asked."""


@dataclass(frozen=True)
class Target:
    """What a grant covers: a door, a group, or every door (both None)."""

    door: Door | None = None
    group: DoorGroup | None = None

    @property
    def label(self) -> str:
        if self.door is not None:
            return self.door.name
        if self.group is not None:
            return f"{self.group.name} (group)"
        return EVERY_DOOR


async def target(session: AsyncSession, text: str) -> Target:
    if text.strip() == EVERY_DOOR:
        return Target()
    door = await find_door(session, text)
    if door is not None:
        return Target(door=door)
    group = await find_group(session, text)
    if group is not None:
        return Target(group=group)
    hint = (await load_directory(session)).suggest(text)
    also = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise AccessError(
        f"no door or group is called {text!r}{also}; `lockbot doors list` and "
        "`lockbot groups list` show them"
    )


def _same_grant(subject: str, permission: Permission, where: Target) -> Any:
    def match(column: Any, row: Door | DoorGroup | None) -> Any:
        return col(column).is_(None) if row is None else col(column) == row.id

    return sa.and_(
        col(Grant.subject) == subject,
        col(Grant.permission) == permission.value,
        match(Grant.door_id, where.door),
        match(Grant.group_id, where.group),
    )


async def _resolve(
    session: AsyncSession, subject: str, text: str | None
) -> tuple[str, Permission, Target]:
    subject = subject.strip()
    if problem := valid_subject(subject):
        raise AccessError(problem)
    if text is None:
        return subject, Permission.ADMIN, Target()
    return subject, Permission.LOCK, await target(session, text)


async def grant(session: AsyncSession, subject: str, text: str | None) -> bool:
    """Let `subject` lock a door, group or `*` (text), or administer lockbot (text None).
    False when it already could. Does not commit."""
    subject, permission, where = await _resolve(session, subject, text)
    # NULL never equals NULL in a unique index, so grants are deduplicated here.
    if (await session.exec(select(Grant).where(_same_grant(subject, permission, where)))).first():
        return False
    session.add(
        Grant(
            subject=subject,
            permission=permission.value,
            door_id=where.door.id if where.door else None,
            group_id=where.group.id if where.group else None,
        )
    )
    await session.flush()
    return True


async def revoke(session: AsyncSession, subject: str, text: str | None) -> bool:
    subject, permission, where = await _resolve(session, subject, text)
    found = (await session.exec(select(Grant).where(_same_grant(subject, permission, where)))).all()
    for row in found:
        await session.delete(row)
    await session.flush()
    return bool(found)


ADMIN_LABEL = "admin"


async def list_grants(session: AsyncSession) -> list[tuple[str, str]]:
    """(subject, what it holds) pairs, sorted: a door name, `group (group)`, `*` or `admin`."""
    rows = (
        await session.exec(
            select(Grant.subject, Grant.permission, Door.name, DoorGroup.name)
            .join(Door, col(Door.id) == col(Grant.door_id), isouter=True)
            .join(DoorGroup, col(DoorGroup.id) == col(Grant.group_id), isouter=True)
        )
    ).all()
    out = []
    for subject, permission, door, group in rows:
        if permission == Permission.ADMIN:
            out.append((subject, ADMIN_LABEL))
        else:
            out.append((subject, door or (f"{group} (group)" if group else EVERY_DOOR)))
    return sorted(out)
