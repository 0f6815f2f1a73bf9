"""Who may lock which door, and who may manage lockbot. Deny by default.

A grant gives a subject (a Slack user or user-group ID) `lock` on one door, on one group (its
doors as they are at lock time), or on every door (`*`); or `admin`, which allows everything.
People in LOCKBOT_ADMINS are admins without a grant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.door_groups import GroupView, list_groups
from bot.ids import is_group_id, is_user_id
from bot.models import Door, DoorGroup, Grant, GroupMember, Permission, Rejection
from bot.names import covered_doors, lookup, resolve
from bot.ports import GroupDirectory, GroupLookupError
from bot.refusals import Refusal, Refused

if TYPE_CHECKING:
    from bot.db import Database

EVERY_DOOR = "*"


def valid_subject(subject: str) -> Refused | None:
    """Why `subject` cannot be granted anything (it is no Slack user or user-group ID), or None
    when it can."""
    if is_user_id(subject) or is_group_id(subject):
        return None
    return Refused.NOT_A_SUBJECT


OPERATOR_PREFIX = "cli:"  # someone at the terminal: they have the database anyway


def is_operator(user_id: str) -> bool:
    return user_id.startswith(OPERATOR_PREFIX)


@dataclass(frozen=True)
class Verdict:
    """May someone lock a door: true or false like a bool, and why not."""

    allowed: bool
    # User groups that could have allowed it, whose members the directory could not tell.
    unchecked: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> Rejection | None:
        if self.allowed:
            return None
        # Denied because a user group that may have allowed it could not be asked about.
        return Rejection.GROUPS_UNCHECKED if self.unchecked else Rejection.NOT_ALLOWED


ALLOWED = Verdict(True)


@dataclass(frozen=True)
class Membership:
    """One user's user groups, looked up before a write begins (`AccessPolicy.membership`)
    for the checks made inside it. Only the groups that could change those answers were asked
    about; any other group counts as not theirs, as it cannot change them."""

    user_id: str
    groups: frozenset[str] = frozenset()  # the asked groups the user is in
    unchecked: frozenset[str] = frozenset()  # asked, but the directory could not tell
    # False: nobody was asked yet, so a group that could allow it counts as unchecked; the
    # intake then looks the groups up outside its write and records again.
    asked: bool = True

    @classmethod
    def not_asked(cls, user_id: str) -> Membership:
        return cls(user_id, asked=False)


def _lock_subjects(door_id: int) -> SelectOfScalar[str]:
    """Who holds a grant that lets them lock the door: users and user groups."""
    in_groups = select(GroupMember.group_id).where(col(GroupMember.door_id) == door_id)
    return select(Grant.subject).where(
        or_(
            col(Grant.permission) == Permission.ADMIN.value,
            col(Grant.door_id) == door_id,
            col(Grant.group_id).in_(in_groups),
            sa.and_(col(Grant.door_id).is_(None), col(Grant.group_id).is_(None)),
        )
    )


async def _named_doors(session: AsyncSession, text: str) -> list[int]:
    """The doors a typed name means, found as `/lock` finds them."""
    named = await lookup(session, text)
    doors = [] if named is None else await covered_doors(session, named)
    return [d.id for d in doors if d.id is not None]


class AccessPolicy:
    def __init__(self, admins: Collection[str], groups: GroupDirectory) -> None:
        self.admins = frozenset(admins)
        self.groups = groups

    def _superuser(self, user_id: str) -> bool:
        # Slack IDs never start with "cli:", so only the terminal (or a schedule it made) can
        # act as an operator.
        return user_id in self.admins or is_operator(user_id)

    async def membership(self, db: Database, user_id: str, target: str | None = None) -> Membership:
        """Look up now the user groups that could decide a check for `user_id`, for the checks
        made later inside a write: on SQLite the write lock is the whole process's, so a slow
        Slack inside it would hold up every other command.

        With `target` (a door or group name as typed): the groups whose grants could let the
        user lock what it names, where their own grants don't already, so a direct grant needs
        no Slack at all. Without: the groups that could make the user an admin.
        """
        if self._superuser(user_id):
            return Membership(user_id)
        async with db.session() as session:  # closed before Slack is asked
            if target is None:
                asked = await self._admin_groups(session, user_id)
            else:
                asked = set()
                for door_id in await _named_doors(session, target):
                    subjects = set((await session.exec(_lock_subjects(door_id))).all())
                    if user_id not in subjects:
                        asked |= {s for s in subjects if is_group_id(s)}

        async def ask(group: str) -> bool | None:
            try:
                return user_id in await self.groups.members(group)
            except GroupLookupError:
                return None  # the directory logs why

        groups = sorted(asked)
        answers = dict(zip(groups, await asyncio.gather(*map(ask, groups)), strict=True))
        return Membership(
            user_id,
            frozenset(g for g, member in answers.items() if member),
            frozenset(g for g, member in answers.items() if member is None),
        )

    async def _admin_groups(self, session: AsyncSession, user_id: str) -> set[str]:
        """User groups holding `admin`, unless the user holds it themselves."""
        query = select(Grant.subject).where(col(Grant.permission) == Permission.ADMIN.value)
        subjects = set((await session.exec(query)).all())
        return set() if user_id in subjects else {s for s in subjects if is_group_id(s)}

    async def _holds(
        self, user_id: str, subjects: Iterable[str], membership: Membership | None = None
    ) -> Verdict:
        subjects = set(subjects)
        if membership is not None:
            return self.decide(user_id, subjects, membership)
        if user_id in subjects:
            return ALLOWED
        groups = sorted(s for s in subjects if is_group_id(s))
        # Asked live (no write is waiting), and only when a direct grant did not settle it.
        unchecked = set()
        for group in groups:
            try:
                if user_id in await self.groups.members(group):
                    return ALLOWED
            except GroupLookupError:
                unchecked.add(group)
        return Verdict(False, frozenset(unchecked))

    def decide(self, user_id: str, subjects: Collection[str], membership: Membership) -> Verdict:
        """May `user_id` lock where `subjects` hold grants, given the user groups looked up
        before (pure: the lock path decides on its snapshot of the grants with this)."""
        assert membership.user_id == user_id, "a membership is one user's"
        if self._superuser(user_id) or user_id in subjects:
            return ALLOWED
        groups = frozenset(s for s in subjects if is_group_id(s))
        if not membership.asked:
            return Verdict(False, groups)
        if groups & membership.groups:
            return ALLOWED
        return Verdict(False, membership.unchecked & groups)

    async def is_admin(
        self, session: AsyncSession, user_id: str, membership: Membership | None = None
    ) -> bool:
        if self._superuser(user_id):
            return True
        query = select(Grant.subject).where(col(Grant.permission) == Permission.ADMIN.value)
        return bool(await self._holds(user_id, (await session.exec(query)).all(), membership))

    async def may_lock(
        self,
        session: AsyncSession,
        user_id: str,
        door_id: int,
        membership: Membership | None = None,
    ) -> Verdict:
        """Inside a write, pass the `membership` looked up before it: then this only reads."""
        if self._superuser(user_id):
            return ALLOWED
        subjects = (await session.exec(_lock_subjects(door_id))).all()
        return await self._holds(user_id, subjects, membership)

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


class AccessError(Refusal):
    """A grant operation that cannot be done as asked."""


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
    found = await resolve(session, text)
    if isinstance(found, Door):
        return Target(door=found)
    if isinstance(found, DoorGroup):
        return Target(group=found)
    raise AccessError(Refused.NO_SUCH_TARGET, missing=[found.missing])


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
    if why := valid_subject(subject):
        raise AccessError(why, names=[subject])
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
