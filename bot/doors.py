"""Door names: normalising what people type, and finding the door they meant."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Door, DoorAlias

_SEPARATORS = re.compile(r"[\s_\-]+")
_NAME_MAX = 80


def normalise(name: str) -> str:
    """`  Front-Door ` and `FRONT_DOOR` both become `front door`."""
    # Unicode's toNFKC_Casefold: folding can undo what NFKC composed (ß + accent), so normalise
    # on both sides or the key of a key differs from the key.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return _SEPARATORS.sub(" ", folded).strip()


def valid_name(name: str) -> str | None:
    """Why `name` cannot name a door, or None when it can."""
    key = normalise(name)
    if not key:
        return "a door name needs at least one letter or digit"
    if len(name) > _NAME_MAX:
        return f"a door name is at most {_NAME_MAX} characters"
    if key == "*":
        return "`*` means every door and cannot be a name"
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
        key = normalise(text)
        if not key:
            return []
        scored = sorted(
            ((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in self.by_key),
            reverse=True,
        )
        best = scored[0][0] if scored else 0.0
        close = [k for score, k in scored if score >= max(0.6, best - 0.15)]
        partial = [k for k in self.by_key if key in k or k in key]
        result: list[str] = []
        for k in [*close, *partial]:
            name = self.by_key[k].name
            if name not in result:
                result.append(name)
        return result[:limit]


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


async def load_directory(session: AsyncSession) -> Directory:
    doors = (await session.exec(select(Door))).all()
    aliases = (await session.exec(select(DoorAlias))).all()
    return Directory.build(doors, aliases)


class DoorError(ValueError):
    """A door operation that cannot be done, with a message fit for the person who asked."""


async def add_door(
    session: AsyncSession, name: str, device_id: str, aliases: Iterable[str] = ()
) -> Door:
    name, device_id = name.strip(), device_id.strip()
    for label in (name, *aliases):
        if problem := valid_name(label):
            raise DoorError(f"{label!r}: {problem}")
    if not device_id:
        raise DoorError("the device ID is empty; `lockbot doors list` shows the known ones")
    directory = await load_directory(session)
    taken = [label for label in (name, *aliases) if directory.find(label) is not None]
    if taken:
        raise DoorError(f"{', '.join(map(repr, taken))} already names a door or alias")
    keys = [normalise(a) for a in aliases]
    if normalise(name) in keys or len(set(keys)) != len(keys):
        raise DoorError("the name and aliases must differ from each other")
    door = Door(name=name, key=normalise(name), device_id=device_id)
    session.add(door)
    await session.flush()
    assert door.id is not None
    for alias in aliases:
        session.add(DoorAlias(door_id=door.id, alias=alias.strip(), key=normalise(alias)))
    await session.commit()
    return door


async def remove_door(session: AsyncSession, name: str) -> Door:
    door = (await load_directory(session)).find(name)
    if door is None:
        raise DoorError(f"no door is called {name!r}")
    await session.delete(door)
    await session.commit()
    return door


async def list_doors(session: AsyncSession) -> list[tuple[Door, list[str]]]:
    doors = (await session.exec(select(Door).order_by(Door.key))).all()
    aliases = (await session.exec(select(DoorAlias).order_by(DoorAlias.key))).all()
    by_door: dict[int, list[str]] = {}
    for alias in aliases:
        by_door.setdefault(alias.door_id, []).append(alias.alias)
    return [(door, by_door.get(door.id or -1, [])) for door in doors]
