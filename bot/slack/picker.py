"""Block Kit for choosing a door: the `/lock` picker and the buttons for an unclear name.

Every choice carries the target's name and comes back as an action with `ACTION_ID`; the
listener sends it down the same path as `/lock <name>`, permission check included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.access import Lockable
from bot.slack.words import locks

ACTION_ID = "lock_target"
BUTTONS_MAX = 10  # more than this reads better as a menu
OPTIONS_MAX = 100  # Slack's limit of options per option group, and of groups per menu
_LABEL_MAX = 75  # Slack's limit for a button or option label


def _label(text: str) -> dict[str, Any]:
    short = text if len(text) <= _LABEL_MAX else text[: _LABEL_MAX - 1] + "…"
    return {"type": "plain_text", "text": short, "emoji": True}


def _button(text: str, value: str, index: int) -> dict[str, Any]:
    # action_ids must differ within a block; the listener matches the prefix.
    return {
        "type": "button",
        "text": _label(text),
        "value": value,
        "action_id": f"{ACTION_ID}:{index}",
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def buttons(prompt: str, choices: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """A prompt and one button per (label, target name)."""
    elements = [_button(label, value, i) for i, (label, value) in enumerate(choices[:25])]
    return [_section(prompt), {"type": "actions", "elements": elements}]


def _choices(targets: Lockable) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(label, target name) of the groups, then of the doors still in Seam."""
    groups = [(locks.group_label(g), g.group.name) for g in targets.groups]
    doors = [(locks.door_label(d), d.name) for d in targets.doors if d.missing_at is None]
    return groups, doors


def option_groups(targets: Lockable) -> tuple[list[dict[str, Any]], int]:
    """A menu's option groups, groups first, each within Slack's 100 options (a long list of
    doors takes several, "Doors (2)"…), and how many targets did not fit in Slack's 100 groups."""
    chunks: list[tuple[str, list[tuple[str, str]]]] = []
    for title, items in zip((locks.PICK_GROUPS, locks.PICK_DOORS), _choices(targets), strict=True):
        for start in range(0, len(items), OPTIONS_MAX):
            part = start // OPTIONS_MAX + 1
            chunks.append(
                (title if part == 1 else f"{title} ({part})", items[start : start + OPTIONS_MAX])
            )
    kept = chunks[:OPTIONS_MAX]
    menu = [
        {
            "label": _label(title),
            "options": [{"text": _label(label), "value": value} for label, value in items],
        }
        for title, items in kept
    ]
    return menu, sum(len(items) for _, items in chunks[OPTIONS_MAX:])


def picker(targets: Lockable) -> list[dict[str, Any]]:
    groups, doors = _choices(targets)
    prompt = locks.PICK_PROMPT
    if len(groups) + len(doors) <= BUTTONS_MAX:
        return buttons(prompt, [*groups, *doors])
    menu = {
        "type": "static_select",
        "action_id": f"{ACTION_ID}:menu",
        "placeholder": _label(locks.PICK_PLACEHOLDER),
        "option_groups": option_groups(targets)[0],
    }
    return [_section(prompt), {"type": "actions", "elements": [menu]}]


def chosen_value(action: dict[str, Any]) -> str | None:
    """The target name an action carries: a button's value or a menu's selected option."""
    if action.get("type") == "static_select":
        selected = action.get("selected_option") or {}
        value = selected.get("value")
    else:
        value = action.get("value")
    return value if isinstance(value, str) and value.strip() else None
