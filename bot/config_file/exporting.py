"""Export: the database as a config file, sorted, so that exports diff well in git."""

from __future__ import annotations

from typing import Any

import yaml
from sqlmodel.ext.asyncio.session import AsyncSession
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from bot.access import EVERY_DOOR
from bot.config_file.state import State, _by_door, load_state
from bot.models import Door, DoorGroup, Permission

HEADER = "# lockbot config: the whole truth about doors, groups and access"


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
