"""Who may lock which door. Deny by default."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.doors import load_directory
from bot.models import Door, Grant
from bot.ports import GroupDirectory

EVERY_DOOR = "*"
_USER = re.compile(r"^[UW][A-Z0-9]{1,30}$")
_GROUP = re.compile(r"^S[A-Z0-9]{1,30}$")


def is_user_id(subject: str) -> bool:
    return bool(_USER.match(subject))


def is_group_id(subject: str) -> bool:
    return bool(_GROUP.match(subject))


def valid_subject(subject: str) -> str | None:
    """Why `subject` cannot be granted anything, or None when it can."""
    if is_user_id(subject) or is_group_id(subject):
        return None
    return (
        f"{subject!r} is not a Slack ID: use a user ID (U… or W…) or a user group ID (S…), "
        "which Slack shows under a profile's ⋮ menu as “Copy member ID”"
    )


class AccessPolicy:
    def __init__(self, admins: Collection[str], groups: GroupDirectory) -> None:
        self.admins = frozenset(admins)
        self.groups = groups

    async def may_lock(self, session: AsyncSession, user_id: str, door_id: int) -> bool:
        if user_id in self.admins:
            return True
        grants = (
            await session.exec(
                select(Grant.subject).where(
                    or_(col(Grant.door_id) == door_id, col(Grant.door_id).is_(None))
                )
            )
        ).all()
        subjects = set(grants)
        if user_id in subjects:
            return True
        # Only ask Slack about groups when a direct grant did not settle it.
        for group in sorted(s for s in subjects if is_group_id(s)):
            if user_id in await self.groups.members(group):
                return True
        return False


class AccessError(ValueError):
    """A grant operation that cannot be done, with a message for the person who asked."""


async def _door_id(session: AsyncSession, door: str) -> int | None:
    if door.strip() == EVERY_DOOR:
        return None
    found = (await load_directory(session)).find(door)
    if found is None or found.id is None:
        raise AccessError(f"no door is called {door!r}; `lockbot doors list` shows them")
    return found.id


def _same_grant(subject: str, door_id: int | None) -> Any:
    door_match = col(Grant.door_id).is_(None) if door_id is None else col(Grant.door_id) == door_id
    return sa.and_(col(Grant.subject) == subject, door_match)


async def grant(session: AsyncSession, subject: str, door: str) -> bool:
    """Give `subject` the right to lock `door` (or `*`). False when it already had it."""
    subject = subject.strip()
    if problem := valid_subject(subject):
        raise AccessError(problem)
    door_id = await _door_id(session, door)
    # NULL never equals NULL in a unique index, so `*` grants are deduplicated here.
    if (await session.exec(select(Grant).where(_same_grant(subject, door_id)))).first():
        return False
    session.add(Grant(subject=subject, door_id=door_id))
    await session.commit()
    return True


async def revoke(session: AsyncSession, subject: str, door: str) -> bool:
    door_id = await _door_id(session, door)
    found = (await session.exec(select(Grant).where(_same_grant(subject.strip(), door_id)))).all()
    for row in found:
        await session.delete(row)
    await session.commit()
    return bool(found)


async def list_grants(session: AsyncSession) -> list[tuple[str, str]]:
    """(subject, door name or `*`) pairs, sorted."""
    rows = (
        await session.exec(
            select(Grant.subject, Door.name).join(Door, isouter=True).order_by(Grant.subject)
        )
    ).all()
    return sorted((subject, name or EVERY_DOOR) for subject, name in rows)
