"""`doors sync`: the doors follow the locks the backend lists. `plan_sync` works out what to
change (pure); `sync_doors` reads the doors and writes the plan in one transaction."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import all_or_nothing
from bot.models import Door, DoorAlias, DoorGroup, NameSource, utcnow
from bot.names import NAME_MAX, DoorError, normalise, valid_name
from bot.refusals import Refused

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
    cut = NAME_MAX - len(suffix)
    name = base[:cut].rstrip() + suffix
    while cut > 1 and (len(normalise(name)) > NAME_MAX or len(name) > NAME_MAX):
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
    clash = DoorError(Refused.SYNC_RACE)
    async with all_or_nothing(session, clash):
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
    return plan.report
