"""What a typed name means: normalising it, the door or group it names, and the names close to
it when it names nothing.

Door names, aliases and group names share one namespace (docs/design.md, "One name, one
meaning"), so `resolve` has one answer: a `Door`, a `DoorGroup`, or `Unknown` with suggestions.
Every caller that turns text into a target asks here.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Door, DoorAlias, DoorGroup, GroupMember
from bot.refusals import BadName, Missing, Refusal, Refused

_SEPARATORS = re.compile(r"[\s_\-]+")
NAME_MAX = 80


class DoorError(Refusal):
    """A door, alias or group operation that cannot be done as asked."""


def normalise(name: str) -> str:
    """`  Front-Door ` and `FRONT_DOOR` both become `front door`."""
    # Unicode's toNFKC_Casefold: folding can undo what NFKC composed (ß + accent), so normalise
    # on both sides or the key of a key differs from the key.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return _SEPARATORS.sub(" ", folded).strip()


def valid_name(name: str) -> BadName | None:
    """Why `name` cannot name a door or group, or None when it can."""
    key = normalise(name)
    if not key:
        return BadName.EMPTY
    if len(name) > NAME_MAX:
        return BadName.TOO_LONG
    if key == "*":
        return BadName.STAR
    return None


@dataclass(frozen=True)
class Directory:
    """Every name and alias, by normalised key."""

    by_key: dict[str, Door]
    names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, doors: Iterable[Door], aliases: Iterable[DoorAlias]) -> Directory:
        by_id = {door.id: door for door in doors if door.id is not None}
        by_key = {door.key: door for door in by_id.values()}
        for alias in aliases:
            door = by_id.get(alias.door_id)
            if door is not None:
                by_key.setdefault(alias.key, door)
        return cls(by_key=by_key, names={i: d.name for i, d in by_id.items()})

    def find(self, text: str) -> Door | None:
        return self.by_key.get(normalise(text))

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """Door names close to `text`, best first; clearly worse matches are left out."""
        return closest(text, {k: door.name for k, door in self.by_key.items()}, limit)


def closest(text: str, names: dict[str, str], limit: int = 3) -> list[str]:
    """Names (by normalised key) close to `text`, best first; clearly worse ones are left out,
    and a key that contains the text (or is contained in it) always counts."""
    key = normalise(text)
    if not key:
        return []
    scored = sorted(
        ((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in names),
        reverse=True,
    )
    best = scored[0][0] if scored else 0.0
    close = [k for score, k in scored if score >= max(0.6, best - 0.15)]
    partial = [k for k in names if key in k or k in key]
    result: list[str] = []
    for k in [*close, *partial]:
        if names[k] not in result:
            result.append(names[k])
    return result[:limit]


async def load_directory(session: AsyncSession) -> Directory:
    doors = (await session.exec(select(Door))).all()
    aliases = (await session.exec(select(DoorAlias))).all()
    return Directory.build(doors, aliases)


async def find_door(session: AsyncSession, text: str) -> Door | None:
    """The door named `text` (or aliased so), in one indexed query."""
    key = normalise(text)
    if not key:
        return None
    query = (
        select(Door)
        .outerjoin(DoorAlias, col(DoorAlias.door_id) == col(Door.id))
        .where(or_(col(Door.key) == key, col(DoorAlias.key) == key))
        .limit(1)
    )
    return (await session.exec(query)).first()


async def find_group(session: AsyncSession, text: str) -> DoorGroup | None:
    key = normalise(text)
    if not key:
        return None
    return (await session.exec(select(DoorGroup).where(col(DoorGroup.key) == key))).first()


async def existing_door(session: AsyncSession, name: str) -> Door:
    """The door named `name`, or a DoorError that suggests a door close to it."""
    door = await find_door(session, name)
    if door is None:
        missing = await missing_door(session, name)
        raise DoorError(Refused.NO_SUCH_DOOR, missing=[missing])
    return door


async def missing_door(session: AsyncSession, name: str) -> Missing:
    """`name`, which names no door, with the door name closest to it."""
    hint = (await load_directory(session)).suggest(name)
    return Missing(name, hint[0] if hint else None)


async def name_taken(session: AsyncSession, name: str) -> bool:
    """Whether `name` already names a door, an alias or a group: one name, one meaning."""
    key = normalise(name)
    for column in (Door.key, DoorAlias.key, DoorGroup.key):
        if (await session.exec(select(column).where(column == key))).first() is not None:
            return True
    return False


async def suggest_targets(session: AsyncSession, text: str, limit: int = 5) -> list[str]:
    """Door and group names close to `text`, best first."""
    directory = await load_directory(session)
    names = {key: door.name for key, door in directory.by_key.items()}
    names |= {g.key: g.name for g in (await session.exec(select(DoorGroup))).all()}
    return closest(text, names, limit)


async def group_doors(session: AsyncSession, group_id: int) -> list[Door]:
    """The group's doors as they are now, by name."""
    query = (
        select(Door)
        .join(GroupMember, col(GroupMember.door_id) == col(Door.id))
        .where(col(GroupMember.group_id) == group_id)
        .order_by(col(Door.key))
    )
    return list((await session.exec(query)).all())


async def list_doors(session: AsyncSession) -> list[tuple[Door, list[str]]]:
    """Every door with its aliases, by name."""
    doors = (await session.exec(select(Door).order_by(Door.key))).all()
    aliases = (await session.exec(select(DoorAlias).order_by(DoorAlias.key))).all()
    by_door: dict[int, list[str]] = {}
    for alias in aliases:
        by_door.setdefault(alias.door_id, []).append(alias.alias)
    return [(door, by_door.get(door.id or -1, [])) for door in doors]


# -- resolve: text → what it names ------------------------------------------------------------


@dataclass(frozen=True)
class Unknown:
    """Nothing is called `text`: the door and group names closest to it, best first."""

    text: str
    suggestions: list[str]

    @property
    def missing(self) -> Missing:
        """As a refusal's fact: the text, and the closest name."""
        return Missing(self.text, self.suggestions[0] if self.suggestions else None)


Named = Door | DoorGroup


async def lookup(session: AsyncSession, text: str) -> Named | None:
    """The door, else the group, that `text` names; None when it names nothing. For callers
    that only need to know, since suggestions cost a read of every name."""
    door = await find_door(session, text)
    if door is not None:
        return door
    return await find_group(session, text)


async def resolve(session: AsyncSession, text: str) -> Named | Unknown:
    """What `text` names: a door, a group, or `Unknown` with the names closest to it."""
    found = await lookup(session, text)
    if found is not None:
        return found
    return Unknown(text, await suggest_targets(session, text))


async def covered_doors(session: AsyncSession, named: Named) -> list[Door]:
    """The doors a name covers now: the door itself, or the group's doors by name."""
    if isinstance(named, Door):
        return [named]
    return await group_doors(session, named.id) if named.id is not None else []
