"""Door names: normalising what people type, finding the door they meant, and keeping the
doors in step with the locks Seam lists (`sync_doors`)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.ids import is_channel_id
from bot.models import Door, DoorAlias, DoorChannel, DoorGroup, NameSource, utcnow

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


async def name_taken(session: AsyncSession, name: str) -> bool:
    """Whether `name` already names a door, an alias or a group: one name, one meaning."""
    key = normalise(name)
    for column in (Door.key, DoorAlias.key, DoorGroup.key):
        if (await session.exec(select(column).where(column == key))).first() is not None:
            return True
    return False


async def existing_door(session: AsyncSession, name: str) -> Door:
    door = await find_door(session, name)
    if door is None:
        hint = (await load_directory(session)).suggest(name)
        also = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise DoorError(f"no door is called {name!r}{also}; `lockbot doors list` shows them")
    return door


async def add_door(
    session: AsyncSession, name: str, device_id: str, aliases: Iterable[str] = ()
) -> Door:
    name, device_id = name.strip(), device_id.strip()
    for label in (name, *aliases):
        if problem := valid_name(label):
            raise DoorError(f"{label!r}: {problem}")
    if not device_id:
        raise DoorError("the device ID is empty; `lockbot doors list` shows the known ones")
    taken = [label for label in (name, *aliases) if await name_taken(session, label)]
    if taken:
        raise DoorError(f"{', '.join(map(repr, taken))} already names a door, alias or group")
    keys = [normalise(a) for a in aliases]
    if normalise(name) in keys or len(set(keys)) != len(keys):
        raise DoorError("the name and aliases must differ from each other")
    door = Door(
        name=name, key=normalise(name), device_id=device_id, name_source=NameSource.ADMIN.value
    )
    session.add(door)
    await session.flush()
    assert door.id is not None
    for alias in aliases:
        session.add(DoorAlias(door_id=door.id, alias=alias.strip(), key=normalise(alias)))
    await session.flush()
    return door


async def remove_door(session: AsyncSession, name: str) -> Door:
    """Remove a door with its aliases, grants and group places; its lock history stays."""
    door = await existing_door(session, name)
    await session.delete(door)
    await session.flush()
    return door


async def add_alias(session: AsyncSession, name: str, alias: str) -> Door:
    door = await existing_door(session, name)
    if problem := valid_name(alias):
        raise DoorError(f"{alias!r}: {problem}")
    if await name_taken(session, alias):
        raise DoorError(f"{alias!r} already names a door, alias or group")
    assert door.id is not None
    session.add(DoorAlias(door_id=door.id, alias=alias.strip(), key=normalise(alias)))
    await session.flush()
    return door


async def remove_alias(session: AsyncSession, alias: str) -> Door:
    key = normalise(alias)
    row = (await session.exec(select(DoorAlias).where(col(DoorAlias.key) == key))).first()
    if row is None:
        raise DoorError(f"no alias is called {alias!r}; `lockbot doors list` shows them")
    door = await session.get(Door, row.door_id)
    assert door is not None
    await session.delete(row)
    await session.flush()
    return door


async def rename_door(session: AsyncSession, name: str, new_name: str) -> Door:
    """Rename by hand: from now on `doors sync` keeps this name whatever Seam calls the lock."""
    door = await existing_door(session, name)
    new_name = new_name.strip()
    if problem := valid_name(new_name):
        raise DoorError(f"{new_name!r}: {problem}")
    if normalise(new_name) != door.key and await name_taken(session, new_name):
        raise DoorError(f"{new_name!r} already names a door, alias or group")
    door.name, door.key, door.name_source = new_name, normalise(new_name), NameSource.ADMIN.value
    session.add(door)
    await session.flush()
    return door


async def door_channels(session: AsyncSession, door_id: int) -> list[str]:
    query = select(DoorChannel.channel_id).where(col(DoorChannel.door_id) == door_id)
    return sorted((await session.exec(query)).all())


async def set_channels(session: AsyncSession, name: str, channels: Iterable[str]) -> Door:
    """Limit a door to these channels; none lifts the limit."""
    door = await existing_door(session, name)
    assert door.id is not None
    wanted = sorted({c.strip() for c in channels if c.strip()})
    for channel in wanted:
        if not is_channel_id(channel):
            raise DoorError(
                f"{channel!r} is not a channel ID (C… or G…); in Slack, a channel's "
                "details show its ID at the bottom"
            )
    rows = await session.exec(select(DoorChannel).where(col(DoorChannel.door_id) == door.id))
    for row in rows.all():
        await session.delete(row)
    await session.flush()
    session.add_all(DoorChannel(door_id=door.id, channel_id=c) for c in wanted)
    await session.flush()
    return door


async def list_doors(session: AsyncSession) -> list[tuple[Door, list[str]]]:
    doors = (await session.exec(select(Door).order_by(Door.key))).all()
    aliases = (await session.exec(select(DoorAlias).order_by(DoorAlias.key))).all()
    by_door: dict[int, list[str]] = {}
    for alias in aliases:
        by_door.setdefault(alias.door_id, []).append(alias.alias)
    return [(door, by_door.get(door.id or -1, [])) for door in doors]


# -- sync: the doors follow the locks the backend lists ---------------------------------------

SEAM_NAME_MAX = 200


class ListedLock(Protocol):
    """A device as the backend lists it (bot.seam.SeamLock)."""

    @property
    def device_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def is_lock(self) -> bool: ...


def clean_name(text: str, limit: int = SEAM_NAME_MAX) -> str:
    """A name from elsewhere made printable: control characters and runs of spaces become one."""
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return " ".join(spaced.split())[:limit].strip()


def with_number(base: str, number: int) -> str:
    """`base`, or `base N` for N ≥ 2, cut so that the name and its key fit a door."""
    suffix = "" if number < 2 else f" {number}"
    cut = _NAME_MAX - len(suffix)
    name = base[:cut].rstrip() + suffix
    while cut > 1 and (len(normalise(name)) > _NAME_MAX or len(name) > _NAME_MAX):
        cut -= 1
        name = base[:cut].rstrip() + suffix
    return name


def base_name(seam_name: str, device_id: str) -> str:
    """What a door for this lock is called before duplicates are told apart: Seam's name, or the
    device ID when Seam's name cannot name a door (empty, `*`, only punctuation)."""
    for candidate in (seam_name, clean_name(device_id)):
        name = with_number(candidate, 1)
        if valid_name(name) is None:
            return name
    return "Lock"


def unique_names(bases: Sequence[str], taken: Collection[str]) -> list[str]:
    """A name for each of `bases` (in priority order) whose key is in neither `taken` nor the
    other names. The first to want a free name gets it as it is; the others get " 2", " 3"…,
    skipping numbers already in use."""
    used = set(taken)
    names: list[str | None] = []
    for base in bases:
        key = normalise(base)
        if key in used:
            names.append(None)
        else:
            used.add(key)
            names.append(base)
    result: list[str] = []
    for base, name in zip(bases, names, strict=True):
        number = 2
        while name is None:
            candidate = with_number(base, number)
            if normalise(candidate) not in used:
                used.add(normalise(candidate))
                name = candidate
            number += 1
        result.append(name)
    return result


@dataclass(frozen=True)
class DoorRef:
    name: str
    device_id: str


@dataclass(frozen=True)
class Renamed:
    old: str
    new: str
    device_id: str


@dataclass(frozen=True)
class Duplicate:
    """Seam's name for this lock was already a door's name or alias, so it got another one."""

    name: str
    device_id: str
    seam_name: str


@dataclass(frozen=True)
class KeptName:
    """Seam renamed the lock, and the door keeps the name an admin gave it."""

    name: str
    device_id: str
    seam_name: str


@dataclass
class SyncReport:
    added: list[DoorRef] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    missing: list[DoorRef] = field(default_factory=list)
    returned: list[DoorRef] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    kept: list[KeptName] = field(default_factory=list)
    still_missing: list[DoorRef] = field(default_factory=list)
    locks: int = 0  # locks the backend listed
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.renamed or self.missing or self.returned)


@dataclass
class SyncPlan:
    report: SyncReport
    # door id → column values to set; new doors to insert.
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    new: list[Door] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.updates or self.new)


@dataclass(frozen=True)
class _Wanted:
    """A lock that needs a door name: a new lock, or a renamed one whose door Seam named."""

    device_id: str
    seam_name: str
    base: str
    door: Door | None


def plan_sync(
    doors: Sequence[Door],
    alias_keys: Iterable[str],
    locks: Iterable[ListedLock],
    now: datetime,
) -> SyncPlan:
    """What to change so that the doors follow `locks`; reads its arguments, changes nothing.

    New locks become doors named by Seam; a door Seam named follows Seam's renames, a door an
    admin named keeps its name; a door whose device is gone is marked missing (never deleted)
    and unmarked when it returns. Names are made unique in device-ID order.
    """
    listed: dict[str, ListedLock] = {}
    for found in locks:
        if found.is_lock and found.device_id and found.device_id not in listed:
            listed[found.device_id] = found
    plan = SyncPlan(SyncReport(locks=len(listed)))
    report = plan.report
    taken = set(alias_keys)
    wanted: list[_Wanted] = []
    known: set[str] = set()
    for door in sorted(doors, key=lambda d: (d.device_id, d.id or 0)):
        assert door.id is not None
        ref = DoorRef(door.name, door.device_id)
        lock = listed.get(door.device_id)
        if lock is None:
            taken.add(door.key)
            if door.missing_at is None:
                plan.updates[door.id] = {"missing_at": now}
                report.missing.append(ref)
            else:
                report.still_missing.append(ref)
            continue
        known.add(door.device_id)
        seam_name = clean_name(lock.name)
        values: dict[str, Any] = {}
        if door.missing_at is not None:
            values["missing_at"] = None
            report.returned.append(ref)
        if door.seam_name != seam_name:
            values["seam_name"] = seam_name
            if door.name_source == NameSource.SEAM:
                # Its key is free again unless the new name needs it; see below.
                wanted.append(
                    _Wanted(door.device_id, seam_name, base_name(seam_name, door.device_id), door)
                )
            elif door.seam_name is not None:
                report.kept.append(KeptName(door.name, door.device_id, seam_name))
        if door.name_source != NameSource.SEAM or door.seam_name == seam_name:
            taken.add(door.key)
        if values:
            plan.updates[door.id] = values
    for device_id in sorted(set(listed) - known):
        seam_name = clean_name(listed[device_id].name)
        wanted.append(_Wanted(device_id, seam_name, base_name(seam_name, device_id), None))
    wanted.sort(key=lambda w: (w.device_id, w.door.id if w.door and w.door.id else 0))
    names = unique_names([w.base for w in wanted], taken)
    for item, name in zip(wanted, names, strict=True):
        if name != item.base:
            report.duplicates.append(Duplicate(name, item.device_id, item.seam_name))
        if item.door is None:
            plan.new.append(
                Door(
                    name=name,
                    key=normalise(name),
                    device_id=item.device_id,
                    name_source=NameSource.SEAM.value,
                    seam_name=item.seam_name,
                    created_at=now,
                )
            )
            report.added.append(DoorRef(name, item.device_id))
        elif name != item.door.name:
            assert item.door.id is not None
            plan.updates[item.door.id] |= {"name": name, "key": normalise(name)}
            report.renamed.append(Renamed(item.door.name, name, item.device_id))
    return plan


async def sync_doors(
    session: AsyncSession, locks: Iterable[ListedLock], *, dry_run: bool = False
) -> SyncReport:
    """Bring the doors in step with the locks the backend lists, in one transaction."""
    doors = list((await session.exec(select(Door))).all())
    # Group names count as taken too: a new door must not shadow a group.
    alias_keys = [
        *(await session.exec(select(DoorAlias.key))).all(),
        *(await session.exec(select(DoorGroup.key))).all(),
    ]
    plan = plan_sync(doors, alias_keys, locks, utcnow())
    plan.report.dry_run = dry_run
    if dry_run or not plan.writes:
        await session.rollback()
        return plan.report
    by_id = {door.id: door for door in doors}
    try:
        # Renamed doors first give up their keys, so two doors may swap names.
        for door_id, values in plan.updates.items():
            if "key" in values:
                by_id[door_id].key = f" sync {door_id}"  # no real key starts with a space
        await session.flush()
        for door_id, values in plan.updates.items():
            for column, value in values.items():
                setattr(by_id[door_id], column, value)
        await session.flush()
        session.add_all(plan.new)
        await session.commit()
    except sa.exc.IntegrityError:
        await session.rollback()
        raise DoorError(
            "the doors changed while syncing (another sync or `doors add`?); nothing was "
            "written, run `lockbot doors sync` again"
        ) from None
    return plan.report
