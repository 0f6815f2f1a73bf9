"""`lockbot config`: doors, aliases, channel limits, groups and grants as one YAML file.

The file is the whole truth. `apply` makes the database match it exactly (it adds, changes and
removes), in one transaction, with an audit row per change; `export` writes the database in the
same format, sorted, so that a building can live in git and `export | apply --dry-run` changes
nothing.

    # lockbot config: the whole truth about doors, groups and access
    doors:
      - name: Front Door
        device_id: august_device_1
        aliases: [main]            # optional
        channels: [C0123LOBBY]     # optional: only lockable from these channels
      - name: Back Door
        device_id: august_device_2
    groups:
      - name: Floor 2
        doors: [Front Door, Back Door]   # names or aliases of doors in this file
    grants:     # subject (Slack user U…/W… or user group S… ID) → what it may lock
      U0123ABCD: [Front Door, Floor 2]   # door names, group names, or "*" for every door
      S0NIGHT: ["*"]
    admins: [U0ADMIN]   # subjects with the admin permission (LOCKBOT_ADMINS applies too)

Rules:

- `doors` is required (`doors: []` really means no doors); the other sections may be left out,
  which means none. An empty file is refused rather than read as "remove everything".
- Door names, aliases and group names share one namespace, compared the way `/lock` compares them
  (case, spaces, `-` and `_` do not matter): one name never means two things.
- A file door is the database door with the same `device_id` when exactly one door on each side
  has it, else the door with the same name; anything else is new. So renaming a door in the file
  keeps its history, and a renamed door keeps its name in `doors sync` (name_source "admin").
- Removing a door or group from the file removes it, with its aliases, channel limits, group
  places and grants. Lock history stays.
- `*` must be quoted in YAML (`["*"]`): bare, it starts a YAML alias.
- Every problem is reported as `FILE:LINE: message`, and nothing is changed.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeVar

import sqlalchemy as sa
import yaml
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from bot import audit
from bot.access import EVERY_DOOR, valid_subject
from bot.doors import DoorError, normalise, valid_name
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

HEADER = "# lockbot config: the whole truth about doors, groups and access"
SECTIONS = ("doors", "groups", "grants", "admins")
DOOR_KEYS = ("name", "device_id", "aliases", "channels")
GROUP_KEYS = ("name", "doors")
# The same rule bot.doors.set_channels applies, checked here so that all problems show at once.
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,30}")
_DEVICE_MAX = 120  # Door.device_id
_NULL = "tag:yaml.org,2002:null"
_Row = TypeVar("_Row", DoorAlias, DoorChannel)


# -- the file, as read -----------------------------------------------------------------------


@dataclass(frozen=True)
class DoorSpec:
    name: str
    device_id: str
    aliases: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return normalise(self.name)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    doors: tuple[str, ...] = ()  # keys of doors in the same file

    @property
    def key(self) -> str:
        return normalise(self.name)


class Access(NamedTuple):
    """One grant in file terms: doors and groups by key, since database ids may not exist yet."""

    subject: str
    kind: Literal["door", "group", "every", "admin"]
    key: str = ""  # the door's or group's normalised name


@dataclass(frozen=True)
class Config:
    doors: tuple[DoorSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    grants: frozenset[Access] = frozenset()


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based, as editors count
    message: str
    column: int = 0  # orders problems on one line; not shown


class ConfigError(ValueError):
    """The file cannot be applied; every problem found, in line order."""

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        n = len(self.problems)
        super().__init__(f"{n} problem{'' if n == 1 else 's'} in {source}")

    def lines(self) -> list[str]:
        return [f"{self.source}:{p.line}: {p.message}" for p in self.problems]


def load(data: bytes, source: str) -> Config:
    """Read a config file's bytes; ConfigError lists every problem with its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(source, [Problem(line, "this line is not UTF-8 text")]) from None
    return parse(text, source)


def parse(text: str, source: str) -> Config:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise ConfigError(source, [_syntax_problem(error)]) from None
    except ReaderError as error:
        line = text[: error.position].count("\n") + 1
        problem = Problem(line, f"the character {error.character!r} is not allowed in YAML")
        raise ConfigError(source, [problem]) from None
    reader = _Reader()
    config = reader.config(root)
    if reader.problems:
        raise ConfigError(source, reader.problems)
    return config


def _syntax_problem(error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    message = error.problem or "this is not valid YAML"
    if error.context:
        message += f" ({error.context})"
    if error.context == "while scanning an alias":
        message += '; for every door write "*" in quotes'
    return Problem(mark.line + 1 if mark else 1, f"YAML syntax: {message}")


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1 if node.start_mark else 1


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _value(fields: dict[str, tuple[Node, Node]], key: str) -> Node:
    """The value under `key`; a missing key reads as YAML null, which every section allows."""
    return fields[key][1] if key in fields else ScalarNode(_NULL, "")


def _close(text: str, names: dict[str, str]) -> str:
    """` (did you mean 'X'?)` when one of `names` (by key) is close to `text`."""
    found = difflib.get_close_matches(normalise(text), list(names), n=1, cutoff=0.6)
    return f" (did you mean {names[found[0]]!r}?)" if found else ""


class _Reader:
    """Walks the YAML node tree, noting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Normalised name → who has it and where: doors, aliases and groups share it.
        self.names: dict[str, tuple[str, int]] = {}
        self.door_keys: dict[str, str] = {}  # name or alias key → the door's key
        self.door_names: dict[str, str] = {}  # door key → its name
        self.group_names: dict[str, str] = {}  # group key → its name

    def problem(self, node: Node, message: str) -> None:
        column = int(node.start_mark.column) if node.start_mark else 0
        self.problems.append(Problem(_line(node), message, column))

    # -- shapes

    def mapping(
        self, node: Node, what: str, allowed: Sequence[str] | None, example: str
    ) -> dict[str, tuple[Node, Node]]:
        """key → (key node, value node); null is empty. Unknown and repeated keys are problems."""
        if _is_null(node):
            return {}
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be `key: value` lines, like `{example}`")
            return {}
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.text(key_node, "a key")
            if key is None:
                continue
            if allowed is not None and key not in allowed:
                self.problem(
                    key_node, f"unknown key {key!r} in {what}; expected {', '.join(allowed)}"
                )
            elif key in out:
                self.problem(
                    key_node, f"{key!r} appears twice (first on line {_line(out[key][0])})"
                )
            else:
                out[key] = (key_node, value_node)
        return out

    def items(self, node: Node, what: str, example: str) -> list[Node]:
        if _is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what} must be a list, like {example}")
            return []
        return list(node.value)

    def text(self, node: Node, what: str) -> str | None:
        """A scalar as written (so `0123` stays `0123`), stripped; None after noting why not."""
        if isinstance(node, ScalarNode):
            value = "" if node.tag == _NULL else str(node.value).strip()
            if value:
                return value
            self.problem(node, f"{what} is empty")
            return None
        kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
        self.problem(node, f"{what} must be text, not {kind}")
        return None

    def texts(self, node: Node, what: str, example: str) -> list[tuple[str, Node]]:
        """The list's texts; the same text twice (as /lock would read it) is a problem."""
        out: list[tuple[str, Node]] = []
        seen: dict[str, Node] = {}
        for item in self.items(node, what, example):
            value = self.text(item, f"an item of {what}")
            if value is None:
                continue
            key = normalise(value) or value
            if key in seen:
                self.problem(item, f"{value!r} is listed twice (first on line {_line(seen[key])})")
                continue
            seen[key] = item
            out.append((value, item))
        return out

    def claim(self, name: str, node: Node, owner: str, kind: str) -> bool:
        """Take `name` for `owner`; False (and a problem) when it is invalid or taken."""
        if problem := valid_name(name):
            self.problem(node, f"{name!r}: {problem.replace('door name', kind)}")
            return False
        key = normalise(name)
        if key in self.names:
            other, line = self.names[key]
            self.problem(
                node,
                f"{name!r} already names {other} (line {line}); door names, aliases and group "
                "names must all differ",
            )
            return False
        self.names[key] = (owner, _line(node))
        return True

    # -- sections

    def config(self, root: Node | None) -> Config:
        if root is None:
            self.problems.append(
                Problem(1, "the file is empty; write `doors: []` if you mean to remove every door")
            )
            return Config()
        if not isinstance(root, MappingNode):
            self.problem(root, "the file must be `key: value` lines: doors, groups, grants, admins")
            return Config()
        top = self.mapping(root, "the file", SECTIONS, "doors: []")
        if "doors" not in top:
            self.problem(root, "`doors:` is missing; list the doors, or write `doors: []`")
        doors = self.doors(_value(top, "doors"))
        groups = self.groups(_value(top, "groups"))
        access = self.grants(_value(top, "grants")) | self.admins(_value(top, "admins"))
        return Config(tuple(doors), tuple(groups), frozenset(access))

    def doors(self, node: Node) -> list[DoorSpec]:
        specs: list[DoorSpec] = []
        for item in self.items(node, "doors", "`- name: Front Door` lines"):
            fields = self.mapping(item, "a door", DOOR_KEYS, "name: Front Door")
            if not isinstance(item, MappingNode):
                continue
            name = self.required(item, fields, "name", "this door")
            label = repr(name) if name else "this door"
            device_id = self.required(item, fields, "device_id", label)
            if device_id is not None and len(device_id) > _DEVICE_MAX:
                self.problem(
                    fields["device_id"][1], f"a device ID is at most {_DEVICE_MAX} characters"
                )
            owner = f"the door {name!r}"
            if name is not None and self.claim(name, fields["name"][1], owner, "door name"):
                self.door_keys[normalise(name)] = normalise(name)
                self.door_names[normalise(name)] = name
            aliases = []
            for alias, alias_node in self.texts(_value(fields, "aliases"), "aliases", "[main]"):
                if self.claim(alias, alias_node, f"an alias of {label}", "alias"):
                    aliases.append(alias)
                    if name is not None:
                        self.door_keys[normalise(alias)] = normalise(name)
            channels = []
            for channel, channel_node in self.texts(
                _value(fields, "channels"), "channels", "[C0123LOBBY]"
            ):
                if _CHANNEL.fullmatch(channel):
                    channels.append(channel)
                else:
                    self.problem(
                        channel_node,
                        f"{channel!r} is not a channel ID (C… or G…); in Slack, a channel's "
                        "details show its ID at the bottom",
                    )
            specs.append(
                DoorSpec(name or "", device_id or "", tuple(aliases), tuple(sorted(channels)))
            )
        return specs

    def required(
        self, item: Node, fields: dict[str, tuple[Node, Node]], key: str, whose: str
    ) -> str | None:
        if key not in fields:
            self.problem(item, f"{whose} has no `{key}:`")
            return None
        return self.text(fields[key][1], f"`{key}`")

    def groups(self, node: Node) -> list[GroupSpec]:
        # Group names first, so a door list naming a group later in the file is told so.
        read: list[tuple[str | None, Node]] = []
        for item in self.items(node, "groups", "`- name: Floor 2` lines"):
            fields = self.mapping(item, "a group", GROUP_KEYS, "name: Floor 2")
            if not isinstance(item, MappingNode):
                continue
            name = self.required(item, fields, "name", "this group")
            if name is not None and self.claim(
                name, fields["name"][1], f"the group {name!r}", "group name"
            ):
                self.group_names[normalise(name)] = name
            read.append((name, _value(fields, "doors")))
        return [GroupSpec(name or "", tuple(self.door_list(doors))) for name, doors in read]

    def door_list(self, node: Node) -> list[str]:
        keys: list[str] = []
        for text, item in self.texts(node, "a group's doors", "[Front Door, Back Door]"):
            key = self.door_keys.get(normalise(text))
            if key is None:
                if normalise(text) in self.group_names:
                    self.problem(item, f"{text!r} is a group; a group lists doors only")
                else:
                    hint = _close(text, self.door_names)
                    self.problem(item, f"no door in this file is called {text!r}{hint}")
            elif key in keys:
                self.problem(item, f"{text!r} is {self.door_names[key]!r}, already in this group")
            else:
                keys.append(key)
        return keys

    def grants(self, node: Node) -> set[Access]:
        out: set[Access] = set()
        targets = self.door_names | self.group_names
        given = self.mapping(node, "grants", None, "U0123ABCD: [Front Door]")
        for subject, (key_node, value_node) in given.items():
            if problem := valid_subject(subject):
                self.problem(key_node, problem)
            held: set[Access] = set()
            for text, item in self.texts(value_node, f"{subject}'s grants", '[Front Door, "*"]'):
                access = self.target(subject, text)
                if access is None:
                    hint = _close(text, targets)
                    self.problem(item, f"no door or group in this file is called {text!r}{hint}")
                elif access in held:
                    self.problem(item, f"{text!r} is already granted to {subject} on this line")
                else:
                    held.add(access)
            out |= held
        return out

    def target(self, subject: str, text: str) -> Access | None:
        if text == EVERY_DOOR:
            return Access(subject, "every")
        key = normalise(text)
        if key in self.door_keys:
            return Access(subject, "door", self.door_keys[key])
        if key in self.group_names:
            return Access(subject, "group", key)
        return None

    def admins(self, node: Node) -> set[Access]:
        out: set[Access] = set()
        for subject, item in self.texts(node, "admins", "[U0ADMIN]"):
            if problem := valid_subject(subject):
                self.problem(item, problem)
            out.add(Access(subject, "admin"))
        return out


# -- the database, as it is ------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    doors: list[Door]
    aliases: list[DoorAlias]
    channels: list[DoorChannel]
    groups: list[DoorGroup]
    members: list[GroupMember]
    grants: list[Grant]


async def load_state(session: AsyncSession) -> State:
    async def rows(model: type[Any]) -> list[Any]:
        return list((await session.exec(select(model).order_by(model.id))).all())

    return State(
        doors=await rows(Door),
        aliases=await rows(DoorAlias),
        channels=await rows(DoorChannel),
        groups=await rows(DoorGroup),
        members=await rows(GroupMember),
        grants=await rows(Grant),
    )


# -- the difference --------------------------------------------------------------------------


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
    return result


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
        for alias in spec.aliases:
            if alias not in have_aliases:
                result.new_aliases.append((spec.key, alias))
                result.add("+", "alias.add", spec.name, alias)
        for text, row in have_aliases.items():
            if text not in spec.aliases:
                result.doomed.append(row)
                result.add("-", "alias.remove", spec.name, text)
        for channel in spec.channels:
            if channel not in have_channels:
                result.new_channels.append((spec.key, channel))
                result.add("+", "channel.add", spec.name, channel)
        for channel, channel_row in have_channels.items():
            if channel not in spec.channels:
                result.doomed.append(channel_row)
                result.add("-", "channel.remove", spec.name, channel)
    kept = {door.id for door in result.doors.values()}
    for door in sorted(state.doors, key=lambda d: d.key):
        if door.id not in kept:
            # Its aliases and channel limits go with it (ON DELETE CASCADE).
            result.doomed.append(door)
            result.add("-", "door.remove", door.name, f"device {door.device_id}")


def _by_door(rows: Iterable[_Row]) -> dict[int | None, list[_Row]]:
    out: dict[int | None, list[_Row]] = {}
    for row in rows:
        out.setdefault(row.door_id, []).append(row)
    return out


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


# -- writing ---------------------------------------------------------------------------------


async def apply(
    session: AsyncSession, config: Config, *, actor: str, source: str, dry_run: bool = False
) -> Plan:
    """Make the database match `config`, in one transaction with an audit row per change."""
    result = plan(config, await load_state(session))
    if dry_run or not result.changes:
        await session.rollback()
        return result
    try:
        await _write(session, result)
        for change in result.changes:
            audit.record(session, actor, change.action, change.target, change.detail)
        audit.record(session, actor, "config.apply", source, counts_text(result, future=False))
        await session.commit()
    except sa.exc.IntegrityError:
        await session.rollback()
        raise DoorError(
            "the doors changed while applying (someone else at work?); nothing was written, "
            "run it again"
        ) from None
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


# -- export ----------------------------------------------------------------------------------


async def export(session: AsyncSession) -> str:
    """The database as a config file: sorted, so that exports diff well in git."""
    return render(await load_state(session))


def render(state: State) -> str:
    aliases = _by_door(state.aliases)
    channels = _by_door(state.channels)
    doors = {door.id: door for door in state.doors}
    groups = {group.id: group for group in state.groups}
    door_list: list[dict[str, Any]] = []
    for door in sorted(state.doors, key=lambda d: d.key):
        entry: dict[str, Any] = {"name": door.name, "device_id": door.device_id}
        if names := [a.alias for a in sorted(aliases.get(door.id, []), key=lambda a: a.key)]:
            entry["aliases"] = names
        if limits := sorted(c.channel_id for c in channels.get(door.id, [])):
            entry["channels"] = limits
        door_list.append(entry)
    group_list = [
        {
            "name": group.name,
            "doors": [
                doors[m.door_id].name
                for m in sorted(
                    (m for m in state.members if m.group_id == group.id),
                    key=lambda m: doors[m.door_id].key,
                )
            ],
        }
        for group in sorted(state.groups, key=lambda g: g.key)
    ]
    held: dict[str, set[tuple[str, str]]] = {}
    admins: set[str] = set()
    for grant in state.grants:
        if grant.permission == Permission.ADMIN:
            admins.add(grant.subject)
            continue
        target: Door | DoorGroup
        if grant.door_id is not None:
            target = doors[grant.door_id]
        elif grant.group_id is not None:
            target = groups[grant.group_id]
        else:
            held.setdefault(grant.subject, set()).add(("", EVERY_DOOR))  # "*" first
            continue
        held.setdefault(grant.subject, set()).add((target.key, target.name))
    grants = {subject: [name for _, name in sorted(held[subject])] for subject in sorted(held)}
    sections = [
        _dump({"doors": door_list}),
        _dump({"groups": group_list}),
        "# subject (Slack user U…/W… or user group S… ID) → what it may lock\n"
        + _dump({"grants": grants}),
        "# the admin permission (LOCKBOT_ADMINS still applies too)\n"
        + _dump({"admins": sorted(admins)}),
    ]
    return f"{HEADER}\n" + "\n".join(sections)


class _Dumper(yaml.SafeDumper):
    """Mappings in block style, lists of names in flow style, indented as people write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> ScalarNode:
    # `'*'` would do, but `"*"` is what the docs and people write.
    style = '"' if value == EVERY_DOOR else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=False)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> SequenceNode:
    flow = all(isinstance(item, str) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def _dump(data: dict[str, Any]) -> str:
    # A long list stays on one line: a wrapped flow list is valid YAML but diffs badly.
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def counts_text(result: Plan, *, future: bool) -> str:
    added, changed, removed = result.counts()
    if future:
        return f"{added} to add, {changed} to change, {removed} to remove"
    return f"{added} added, {changed} changed, {removed} removed"
