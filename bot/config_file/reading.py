"""The file, as read: YAML text → `Config`, or a `ConfigError` with every problem by line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from bot.access import EVERY_DOOR, valid_subject
from bot.ids import is_channel_id
from bot.names import normalise, valid_name
from bot.text import bad_name

SECTIONS = ("doors", "groups", "grants", "admins")
DOOR_KEYS = ("name", "device_id", "aliases", "channels")
GROUP_KEYS = ("name", "doors")
# The same rule bot.door_admin.set_channels applies, checked here so that all problems show at once.
_DEVICE_MAX = 120  # Door.device_id
_NULL = "tag:yaml.org,2002:null"


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


def _not_a_subject(subject: str) -> str:
    return (
        f"{subject!r} is not a Slack ID: use a user ID (U… or W…) or a user group ID (S…), "
        "which Slack shows under a profile's ⋮ menu as “Copy member ID”"
    )


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
        if why := valid_name(name):
            self.problem(node, bad_name(name, why, kind))
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
                if is_channel_id(channel):
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
            if valid_subject(subject):
                self.problem(key_node, _not_a_subject(subject))
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
            if valid_subject(subject):
                self.problem(item, _not_a_subject(subject))
            out.add(Access(subject, "admin"))
        return out
