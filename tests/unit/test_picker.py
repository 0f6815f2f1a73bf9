"""The picker's Block Kit: buttons for a few targets, a menu for many, within Slack's limits."""

from __future__ import annotations

from bot.access import Lockable
from bot.door_groups import GroupView
from bot.models import Door, DoorGroup
from bot.slack import picker


def door(i: int, name: str | None = None) -> Door:
    name = name or f"Door {i:02d}"
    return Door(id=i, name=name, key=name.lower(), device_id=f"d{i}")


def test_a_few_targets_are_buttons_groups_first() -> None:
    floor = GroupView(DoorGroup(id=1, name="Floor 2", key="floor 2"), [door(1), door(2)])
    blocks = picker.picker(Lockable([door(1), door(2)], [floor]))
    buttons = blocks[1]["elements"]
    assert [b["type"] for b in buttons] == ["button"] * 3
    assert [b["value"] for b in buttons] == ["Floor 2", "Door 01", "Door 02"]
    assert len({b["action_id"] for b in buttons}) == 3, "action ids must differ within a block"
    assert all(b["action_id"].startswith(f"{picker.ACTION_ID}:") for b in buttons)


def test_many_targets_become_one_menu_with_groups_and_doors() -> None:
    doors = [door(i) for i in range(1, 13)]
    blocks = picker.picker(Lockable(doors, []))
    (menu,) = blocks[1]["elements"]
    assert menu["type"] == "static_select"
    (only,) = menu["option_groups"]
    assert only["label"]["text"] == "Doors" and len(only["options"]) == 12


def test_labels_fit_slack_and_the_value_keeps_the_whole_name() -> None:
    name = "A" * 80
    (button,) = picker.picker(Lockable([door(1, name)], []))[1]["elements"]
    assert len(button["text"]["text"]) <= 75 and button["value"] == name


def test_missing_doors_are_not_offered() -> None:
    gone = door(2)
    gone.missing_at = gone.created_at
    buttons = picker.picker(Lockable([door(1), gone], []))[1]["elements"]
    assert [b["value"] for b in buttons] == ["Door 01"]


def test_the_chosen_value_comes_from_a_button_or_a_menu() -> None:
    assert picker.chosen_value({"type": "button", "value": "Front Door"}) == "Front Door"
    menu = {"type": "static_select", "selected_option": {"value": "Floor 2"}}
    assert picker.chosen_value(menu) == "Floor 2"
    assert picker.chosen_value({"type": "button", "value": "  "}) is None
    assert picker.chosen_value({"type": "static_select"}) is None
