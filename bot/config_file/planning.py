"""The difference: what to add, change and remove so that the database matches the file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sqlmodel import SQLModel

from bot.access import EVERY_DOOR
from bot.config_file.reading import Access, Config, DoorSpec, GroupSpec
from bot.config_file.state import State, _by_door
from bot.models import Door, DoorAlias, DoorChannel, DoorGroup, Grant, GroupMember, Permission
from bot.names import normalise


@dataclass(frozen=True)
class Change:
    """One line of the diff, and the audit row written for it."""

    sign: Literal["+", "~", "-"]
    action: str  # audit action: door.add, alias.remove, grant.add…
    target: str
    detail: str
    text: str

    @property
    def line(self) -> str:
        return f"{self.sign} {self.text}"


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    # file door / group key → the database row it already is
    doors: dict[str, Door] = field(default_factory=dict)
    groups: dict[str, DoorGroup] = field(default_factory=dict)
    new_doors: list[DoorSpec] = field(default_factory=list)
    updated_doors: list[tuple[Door, DoorSpec]] = field(default_factory=list)
    new_groups: list[GroupSpec] = field(default_factory=list)
    renamed_groups: list[tuple[DoorGroup, GroupSpec]] = field(default_factory=list)
    new_aliases: list[tuple[str, str]] = field(default_factory=list)  # door key, alias
    new_channels: list[tuple[str, str]] = field(default_factory=list)  # door key, channel
    new_members: list[tuple[str, str]] = field(default_factory=list)  # group key, door key
    new_grants: list[Access] = field(default_factory=list)
    doomed: list[SQLModel] = field(default_factory=list)

    def counts(self) -> tuple[int, int, int]:
        signs = Counter(change.sign for change in self.changes)
        return signs["+"], signs["~"], signs["-"]

    def add(
        self,
        sign: Literal["+", "~", "-"],
        action: str,
        target: str,
        detail: str,
        text: str | None = None,
    ) -> None:
        if text is None:
            kind = action.split(".")[0]
            text = f"{kind} {target}: {detail}" if detail else f"{kind} {target}"
        self.changes.append(Change(sign, action, target, detail, text))


def plan(config: Config, state: State) -> Plan:
    """What to change so that the database matches `config`; reads, changes nothing."""
    result = Plan()
    _plan_doors(config, state, result)
    _plan_groups(config, state, result)
    _plan_grants(config, state, result)
    _plan_schedules(state, result)
    return result


def _plan_schedules(state: State, result: Plan) -> None:
    """Schedules are not in the file; those of a removed door or group go with it (the
    database cascades), and the diff says which."""
    doors = {row.id for row in result.doomed if isinstance(row, Door)}
    groups = {row.id for row in result.doomed if isinstance(row, DoorGroup)}
    for schedule in state.schedules:
        if schedule.door_id in doors or schedule.group_id in groups:
            result.add(
                "-",
                "schedule.remove",
                f"{schedule.id} ({schedule.target})",
                f"{schedule.cron} in {schedule.timezone}, with its door or group",
            )


def _match_doors(config: Config, state: State) -> dict[str, Door]:
    in_file = Counter(spec.device_id for spec in config.doors)
    in_db = Counter(door.device_id for door in state.doors)
    by_device = {door.device_id: door for door in state.doors}
    by_key = {door.key: door for door in state.doors}
    matched: dict[str, Door] = {}
    for spec in config.doors:
        if in_file[spec.device_id] == 1 and in_db[spec.device_id] == 1:
            matched[spec.key] = by_device[spec.device_id]
    # By name only where the device ID could not tell, and never a door already matched.
    used = {door.id for door in matched.values()}
    for spec in config.doors:
        door = by_key.get(spec.key)
        if spec.key not in matched and door is not None and door.id not in used:
            matched[spec.key] = door
            used.add(door.id)
    return matched


def _plan_doors(config: Config, state: State, result: Plan) -> None:
    result.doors = _match_doors(config, state)
    aliases = _by_door(state.aliases)
    channels = _by_door(state.channels)
    for spec in sorted(config.doors, key=lambda s: s.key):
        door = result.doors.get(spec.key)
        have_aliases: dict[str, DoorAlias] = {}
        have_channels: dict[str, DoorChannel] = {}
        if door is None:
            result.new_doors.append(spec)
            result.add("+", "door.add", spec.name, f"device {spec.device_id}")
        else:
            have_aliases = {row.alias: row for row in aliases.get(door.id, [])}
            have_channels = {row.channel_id: row for row in channels.get(door.id, [])}
            what = []
            if door.name != spec.name:
                what.append(f"renamed to {spec.name}")
            if door.device_id != spec.device_id:
                what.append(f"device {door.device_id} → {spec.device_id}")
            if what:
                result.updated_doors.append((door, spec))
                result.add("~", "door.update", door.name, ", ".join(what))
        _plan_door_rows(result, spec, "alias", spec.aliases, have_aliases, result.new_aliases)
        _plan_door_rows(result, spec, "channel", spec.channels, have_channels, result.new_channels)
    kept = {door.id for door in result.doors.values()}
    for door in sorted(state.doors, key=lambda d: d.key):
        if door.id not in kept:
            # Its aliases and channel limits go with it (ON DELETE CASCADE).
            result.doomed.append(door)
            result.add("-", "door.remove", door.name, f"device {door.device_id}")


def _plan_door_rows(
    result: Plan,
    spec: DoorSpec,
    kind: Literal["alias", "channel"],
    wanted: tuple[str, ...],
    have: Mapping[str, SQLModel],
    new: list[tuple[str, str]],
) -> None:
    """A door's aliases or its channel limits: add what the file has, remove what it has not."""
    for text in wanted:
        if text not in have:
            new.append((spec.key, text))
            result.add("+", f"{kind}.add", spec.name, text)
    for text, row in have.items():
        if text not in wanted:
            result.doomed.append(row)
            result.add("-", f"{kind}.remove", spec.name, text)


def _plan_groups(config: Config, state: State, result: Plan) -> None:
    by_key = {group.key: group for group in state.groups}
    door_names = {spec.key: spec.name for spec in config.doors}
    file_key = {door.id: key for key, door in result.doors.items()}
    db_names = {door.id: door.name for door in state.doors}
    for spec in sorted(config.groups, key=lambda s: s.key):
        group = by_key.get(spec.key)
        members: list[GroupMember] = []
        if group is None:
            result.new_groups.append(spec)
            result.add("+", "group.add", spec.name, "")
        else:
            result.groups[spec.key] = group
            members = [m for m in state.members if m.group_id == group.id]
            if group.name != spec.name:
                result.renamed_groups.append((group, spec))
                result.add("~", "group.update", group.name, f"renamed to {spec.name}")
        have = {file_key[m.door_id] for m in members if m.door_id in file_key}
        for door_key in sorted(spec.doors):
            if door_key not in have:
                result.new_members.append((spec.key, door_key))
                result.add("+", "group.add_door", spec.name, door_names[door_key])
        for member in sorted(members, key=lambda m: normalise(db_names[m.door_id])):
            if file_key.get(member.door_id) not in spec.doors:
                result.doomed.append(member)
                result.add("-", "group.remove_door", spec.name, db_names[member.door_id])
    for group in sorted(state.groups, key=lambda g: g.key):
        if group.key not in result.groups:
            result.doomed.append(group)  # its member rows go with it
            result.add("-", "group.remove", group.name, "")


def _plan_grants(config: Config, state: State, result: Plan) -> None:
    door_key = {door.id: key for key, door in result.doors.items()}
    group_key = {group.id: key for key, group in result.groups.items()}
    door_names = {spec.key: spec.name for spec in config.doors}
    group_names = {spec.key: spec.name for spec in config.groups}
    db_doors = {door.id: door.name for door in state.doors}
    db_groups = {group.id: group.name for group in state.groups}

    def in_file(row: Grant) -> Access | None:
        if row.permission == Permission.ADMIN and row.door_id is None and row.group_id is None:
            return Access(row.subject, "admin")
        if row.permission != Permission.LOCK:
            return None
        if row.door_id is None and row.group_id is None:
            return Access(row.subject, "every")
        if row.group_id is None and row.door_id in door_key:
            return Access(row.subject, "door", door_key[row.door_id])
        if row.door_id is None and row.group_id in group_key:
            return Access(row.subject, "group", group_key[row.group_id])
        return None

    def db_label(row: Grant) -> str:
        if row.permission == Permission.ADMIN:
            return "admin"
        if row.door_id is not None:
            return db_doors.get(row.door_id, "?")
        if row.group_id is not None:
            return f"{db_groups.get(row.group_id, '?')} (group)"
        return EVERY_DOOR

    def label(access: Access) -> str:
        if access.kind == "door":
            return door_names[access.key]
        if access.kind == "group":
            return f"{group_names[access.key]} (group)"
        return EVERY_DOOR if access.kind == "every" else "admin"

    lines: list[tuple[Literal["+", "-"], str, str]] = []  # sign, subject, what
    have: set[Access] = set()
    for row in state.grants:
        access = in_file(row)
        if access is None or access in have or access not in config.grants:
            result.doomed.append(row)
            lines.append(("-", row.subject, db_label(row)))
        else:
            have.add(access)
    for access in config.grants - have:
        result.new_grants.append(access)
        lines.append(("+", access.subject, label(access)))
    # Grants by subject, then the admins: `+ grant U…: Front Door`, `+ admin U…`.
    for sign, subject, what in sorted(
        lines, key=lambda x: (x[2] == "admin", x[1], normalise(x[2]), x[0])
    ):
        # The audit trail calls it what `lockbot grant` and `/lock admin` call it.
        action = f"grant.{'add' if sign == '+' else 'remove'}"
        text = f"admin {subject}" if what == "admin" else None
        result.add(sign, action, subject, what, text)


def counts_text(result: Plan, *, future: bool) -> str:
    added, changed, removed = result.counts()
    if future:
        return f"{added} to add, {changed} to change, {removed} to remove"
    return f"{added} added, {changed} changed, {removed} removed"
