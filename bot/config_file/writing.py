"""Writing: a plan applied in one transaction, with an audit row per change."""

from __future__ import annotations

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.config_file.planning import Plan, counts_text, plan
from bot.config_file.reading import Config
from bot.config_file.state import load_state
from bot.db import all_or_nothing
from bot.models import (
    Door,
    DoorAlias,
    DoorChannel,
    DoorGroup,
    Grant,
    GroupMember,
    NameSource,
    Permission,
)
from bot.names import DoorError, normalise
from bot.refusals import Refused


async def apply(
    session: AsyncSession, config: Config, *, actor: str, source: str, dry_run: bool = False
) -> Plan:
    """Make the database match `config`, in one transaction with an audit row per change."""
    result = plan(config, await load_state(session))
    if dry_run or not result.changes:
        await session.rollback()
        return result
    clash = DoorError(Refused.APPLY_RACE)
    async with all_or_nothing(session, clash):
        await _write(session, result)
        for change in result.changes:
            audit.record(session, actor, change.action, change.target, change.detail)
        audit.record(session, actor, "config.apply", source, counts_text(result, future=False))
    return result


async def _write(session: AsyncSession, result: Plan) -> None:
    # Children before parents, a flush between, so no delete trips over a cascade.
    for kind in ((Grant, GroupMember, DoorAlias, DoorChannel), (DoorGroup,), (Door,)):
        for row in result.doomed:
            if isinstance(row, kind):
                await session.delete(row)
        await session.flush()
    # Renamed doors first give up their keys, so two doors may swap names.
    for door, spec in result.updated_doors:
        if door.key != spec.key:
            door.key = f" config {door.id}"  # no real key starts with a space
    await session.flush()
    for door, spec in result.updated_doors:
        if door.name != spec.name:
            door.name, door.key, door.name_source = spec.name, spec.key, NameSource.ADMIN.value
        door.device_id = spec.device_id
    for group, group_spec in result.renamed_groups:
        group.name = group_spec.name
    doors = dict(result.doors)
    for spec in result.new_doors:
        doors[spec.key] = Door(
            name=spec.name,
            key=spec.key,
            device_id=spec.device_id,
            name_source=NameSource.ADMIN.value,
        )
        session.add(doors[spec.key])
    groups = dict(result.groups)
    for group_spec in result.new_groups:
        groups[group_spec.key] = DoorGroup(name=group_spec.name, key=group_spec.key)
        session.add(groups[group_spec.key])
    await session.flush()

    def door_id(key: str) -> int:
        assert doors[key].id is not None
        return doors[key].id  # type: ignore[return-value]

    def group_id(key: str) -> int:
        assert groups[key].id is not None
        return groups[key].id  # type: ignore[return-value]

    rows: list[SQLModel] = []
    rows += [
        DoorAlias(door_id=door_id(k), alias=a, key=normalise(a)) for k, a in result.new_aliases
    ]
    rows += [DoorChannel(door_id=door_id(k), channel_id=c) for k, c in result.new_channels]
    rows += [GroupMember(group_id=group_id(g), door_id=door_id(d)) for g, d in result.new_members]
    for access in result.new_grants:
        rows.append(
            Grant(
                subject=access.subject,
                permission=(Permission.ADMIN if access.kind == "admin" else Permission.LOCK).value,
                door_id=door_id(access.key) if access.kind == "door" else None,
                group_id=group_id(access.key) if access.kind == "group" else None,
            )
        )
    session.add_all(rows)
    await session.flush()
