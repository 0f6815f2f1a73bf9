"""`/lock list`, `/lock status` and `/lock history`: read-only answers, shown only to the asker.
What they find is worded in `bot.slack.words` (`lists`, `status`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.access import lockable_targets
from bot.door_state import Facts, door_states, read_facts, remember
from bot.history import recent_requests, visible_doors
from bot.locking import LockService
from bot.models import Door, DoorGroup, utcnow
from bot.names import Unknown, covered_doors, list_doors
from bot.names import resolve as resolve_name
from bot.ports import BackendError, DeviceReader
from bot.slack.commands import HISTORY_MAX
from bot.slack.later import Later
from bot.slack.words import lists
from bot.slack.words import status as status_words
from bot.slack.words.locks import nothing_to_lock


@dataclass(frozen=True)
class Resolved:
    """What a typed name meant: a door, or a group and its doors."""

    name: str
    doors: list[Door]
    group: DoorGroup | None = None


async def resolve(session: AsyncSession, text: str) -> Resolved | Unknown:
    found = await resolve_name(session, text)
    if isinstance(found, Unknown):
        return found
    group = found if isinstance(found, DoorGroup) else None
    return Resolved(found.name, await covered_doors(session, found), group)


async def blocked_doors(
    service: LockService, session: AsyncSession, user_id: str, doors: Sequence[Door]
) -> list[Door]:
    """The doors among `doors` that `user_id` may not lock."""
    return [
        door
        for door in doors
        if door.id is None or not await service.access.may_lock(session, user_id, door.id)
    ]


def refuse(service: LockService, what: str, target: Resolved, blocked: Sequence[Door]) -> str:
    """`what` (status, history) of doors the asker may not lock: refused, naming them in a
    group."""
    names = None if target.group is None else [d.name for d in blocked]
    return lists.not_yours(what, target.name, names, service.access.admins)


# -- /lock list ------------------------------------------------------------------------------


async def list_targets(service: LockService, user_id: str) -> str:
    async with service.db.session() as session:
        targets = await lockable_targets(session, service.access, user_id)
        ids = {door.id for door in targets.doors if door.id is not None}
        states = await door_states(session, ids)
        aliases = {door.id: names for door, names in await list_doors(session)}
    if not targets.doors:
        return nothing_to_lock(service.access.admins)
    doors = [(door, aliases.get(door.id, []), states.get(door.id or -1)) for door in targets.doors]
    return lists.targets(doors, targets.groups, utcnow())


# -- /lock status ----------------------------------------------------------------------------


async def status(
    service: LockService, devices: DeviceReader, user_id: str, target: str
) -> str | Later:
    """What the database can say now (unknown name, not yours, no doors), or the Seam read to
    answer after the ack."""
    async with service.db.session() as session:
        found = await resolve(session, target)
        if isinstance(found, Unknown):
            return lists.unknown(target, found.suggestions, "status")
        blocked = await blocked_doors(service, session, user_id, found.doors)
    if blocked:
        return refuse(service, "status", found, blocked)
    if not found.doors:
        return status_words.no_doors(found.name)
    return Later(
        note=status_words.asking(found.name),
        work=lambda: live_status(service, devices, found),
        failed=status_words.no_answer(found.name),
    )


async def live_status(service: LockService, devices: DeviceReader, found: Resolved) -> str:
    """Each door as Seam reports it now; a door Seam fails on says so, the others still answer."""
    limit = asyncio.Semaphore(service.groups.fanout_limit)
    seen: list[tuple[str, Facts]] = []

    async def one(door: Door) -> list[str]:
        async with limit:
            try:
                state = await devices.get_lock(door.device_id)
            except BackendError as error:
                return status_words.failed_lines(door.name, error)
        seen.append((door.device_id, read_facts(state, utcnow())))
        return status_words.device_lines(door.name, state)

    answers = await asyncio.gather(*(one(door) for door in found.doors))
    # What Seam just said is the newest word on these doors (`/lock list` shows it).
    await remember(service.db, seen)
    return status_words.live(found.name, answers, found.group is not None)


# -- /lock history ---------------------------------------------------------------------------


async def history(service: LockService, user_id: str, target: str | None, limit: int) -> str:
    limit = max(1, min(limit, HISTORY_MAX))
    async with service.db.session() as session:
        visible = await visible_doors(session, service.access, user_id)
        found: Resolved | None = None
        if target is not None:
            resolved = await resolve(session, target)
            if isinstance(resolved, Unknown):
                return lists.unknown(target, resolved.suggestions, "history")
            found = resolved
            ids = {door.id for door in found.doors if door.id is not None}
            blocked = [] if visible is None else [d for d in found.doors if d.id not in visible]
            if blocked:
                return refuse(service, "history", found, blocked)
            rows = await recent_requests(session, ids, limit)
        elif visible is not None and not visible:
            return lists.no_history_to_show(service.access.admins)
        else:
            rows = await recent_requests(session, visible, limit)
    name = found.name if found is not None else None
    return lists.history(rows, name, visible is None, utcnow())
