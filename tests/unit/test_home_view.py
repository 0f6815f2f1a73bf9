"""The App Home's view (bot.slack.words.home), built from facts and checked against slack_sdk's
own models of views and blocks: it parses, and keeps within Slack's limits for any number of
doors, names up to 100 characters, many schedules and much to attend to."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import OptionGroup, StaticSelectElement
from slack_sdk.models.views import View

from bot.attention import Attention
from bot.door_groups import GroupView
from bot.door_state import DoorState, LockFact, Source
from bot.models import Door, DoorGroup, LockBatch, LockRequest, LockStatus, Schedule, ScheduleRun
from bot.schedules import LastRun, ScheduleView, view, when_of
from bot.slack.words import home
from bot.slack.words.home import HomeFacts, home_view

NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
Json = dict[str, Any]


def valid(obj: Any) -> int:
    """Check `obj` and everything in it with slack_sdk's validators; count what was checked."""
    checked = 0
    if isinstance(obj, JsonObject):
        obj.validate_json()
        checked += 1
        parts = list(vars(obj).values())
        if isinstance(obj, StaticSelectElement):
            # slack_sdk keeps a menu's option groups as given: read them as Slack will.
            parts.append(OptionGroup.parse_all(obj.option_groups))
        obj = parts
    if isinstance(obj, list | tuple):
        checked += sum(valid(item) for item in obj)
    return checked


def parsed(built: Json) -> View:
    """The view as slack_sdk reads it, every part validated, and the same JSON again."""
    model = View(**built)
    assert valid(model) > len(built["blocks"])
    assert model.to_dict()["blocks"] == built["blocks"]
    return model


def door(i: int, name: str | None = None) -> Door:
    name = name or f"Door {i:03d}"
    return Door(id=i, name=name, key=name.lower(), device_id=f"d{i}")


def state(i: int) -> DoorState:
    """Locked by U1 an hour ago, online, its battery low: every fact a door line can carry."""
    return DoorState(
        door_id=i,
        device_id=f"d{i}",
        lock=LockFact(True, NOW - timedelta(hours=1), Source.LOCKBOT, actor="U1", via="slack"),
        online=True,
        online_at=NOW - timedelta(minutes=5),
        battery_level=0.12,
        battery_status="low",
        battery_at=NOW - timedelta(minutes=5),
    )


def facts(
    doors: Sequence[Door],
    groups: Sequence[GroupView] = (),
    schedules: Sequence[tuple[ScheduleView, LastRun | None]] = (),
    attention: Attention | None = None,
) -> HomeFacts:
    return HomeFacts(
        doors=[(d, state(d.id or 0)) for d in doors],
        groups=groups,
        schedules=schedules,
        attention=attention,
        admins=["UADMIN"],
        now=NOW,
    )


def buttons(built: Json) -> list[tuple[str, str]]:
    out = []
    for block in built["blocks"]:
        elements = [block["accessory"]] if "accessory" in block else block.get("elements", [])
        out += [(e["action_id"], e["value"]) for e in elements if e.get("type") == "button"]
    return out


def menus(built: Json) -> list[Json]:
    return [
        element
        for block in built["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "static_select"
    ]


def text(built: Json) -> str:
    parts = []
    for block in built["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", []) if e["type"] == "mrkdwn"]
    return "\n".join(parts)


def schedule(i: int, paused: bool = False) -> ScheduleView:
    row = Schedule(
        id=i,
        target="Front Door",
        door_id=1,
        cron="0 22 * * *",
        timezone="UTC",
        channel_id="C1",
        created_by="U1",
        paused=paused,
    )
    return view(row, 1)


def test_a_few_doors_and_a_group_each_get_a_lock_button_with_their_state() -> None:
    doors = [door(1, "Front Door"), door(2, "Back Door")]
    floor = GroupView(DoorGroup(id=1, name="Floor 2", key="floor 2"), doors)
    built = home_view(facts(doors, [floor]))
    parsed(built)
    assert built["type"] == "home"
    assert buttons(built) == [
        ("home_lock", "Floor 2"),
        ("home_lock", "Front Door"),
        ("home_lock", "Back Door"),
    ]
    words = text(built)
    assert "🏢 *Floor 2* · 2 doors: Front Door, Back Door" in words
    assert "🔒 *Front Door*: locked by lockbot (<@U1>) · as of <!date^" in words
    assert "🟢 online · as of <!date^" in words and "🪫 battery low 12% · as of <!date^" in words
    assert "Needs attention" not in words


def test_no_doors_says_whom_to_ask() -> None:
    built = home_view(facts([]))
    parsed(built)
    assert buttons(built) == []
    assert "Ask <@UADMIN> for access." in text(built)


def test_a_door_missing_from_seam_is_shown_without_a_button() -> None:
    gone = door(2)
    gone.missing_at = NOW - timedelta(days=1)
    built = home_view(facts([door(1), gone]))
    parsed(built)
    assert buttons(built) == [("home_lock", "Door 001")]
    assert "🚪 missing from Seam since" in text(built)


def test_sixty_doors_with_hundred_character_names_keep_a_button_each() -> None:
    doors = [door(i, f"{i:03d} " + "x" * 96) for i in range(1, 61)]
    assert all(len(d.name) == 100 for d in doors)
    built = home_view(
        facts(doors, schedules=[(schedule(1), None)], attention=Attention([], [], [], 0, []))
    )
    parsed(built)
    assert len(built["blocks"]) <= home.BLOCKS_MAX
    assert [value for _, value in buttons(built) if _ == "home_lock"] == [d.name for d in doors]
    assert menus(built) == []


@pytest.mark.parametrize("number", [97, 150, 1000])
def test_past_the_block_limit_one_menu_locks_and_the_states_are_text(number: int) -> None:
    doors = [door(i, f"{i:04d} " + "y" * 95) for i in range(1, number + 1)]
    floor = GroupView(DoorGroup(id=1, name="Everything", key="everything"), doors)
    built = home_view(facts(doors, [floor]))
    parsed(built)
    assert len(built["blocks"]) <= home.BLOCKS_MAX
    assert [a for a, _ in buttons(built) if a == "home_lock"] == []
    [menu] = menus(built)
    assert menu["action_id"] == "home_lock"
    values = [o["value"] for g in menu["option_groups"] for o in g["options"]]
    assert values == ["Everything", *(d.name for d in doors)]
    assert all(len(g["options"]) <= 100 for g in menu["option_groups"])
    words = text(built)
    assert "0001 yyy" in words
    if number == 1000:  # more states than 100 sections can hold: the rest are counted
        assert "more\n`/lock list` shows them all." in words


def test_schedules_show_next_run_last_result_and_pause_or_resume() -> None:
    batch = LockBatch(id=1, source="schedule", user_id="U1", text="front door")
    batch.status, batch.summary = (
        LockStatus.FAILED,
        "0 of 1 locked, 1 failed: Front Door (device_offline)",
    )
    ran = ScheduleRun(id=1, schedule_id=1, fire_at=NOW - timedelta(hours=12), outcome="ran")
    missed = ScheduleRun(id=2, schedule_id=2, fire_at=NOW - timedelta(hours=12), outcome="missed")
    built = home_view(
        facts(
            [door(1)],
            schedules=[
                (schedule(1), LastRun(ran, batch)),
                (schedule(2, paused=True), LastRun(missed, None)),
                (schedule(3), None),
            ],
        )
    )
    parsed(built)
    assert [b for b in buttons(built) if b[0] != "home_lock"] == [
        ("home_pause", "1"),
        ("home_resume", "2"),
        ("home_pause", "3"),
    ]
    words = text(built)
    assert "⏰ `1` *Front Door*: every day at 22:00" in words
    assert "next run <!date^" in words
    assert "last run: ⚠️ 0 of 1 locked, 1 failed: Front Door (device_offline)" in words
    assert "⏸️ paused · last run: ⏰ missed" in words
    assert "no runs yet" in words


def test_many_schedules_are_capped_with_a_pointer_to_the_rest() -> None:
    items = [(schedule(i), None) for i in range(1, 41)]
    built = home_view(facts([door(i) for i in range(1, 80)], schedules=items))
    parsed(built)
    assert len(built["blocks"]) <= home.BLOCKS_MAX
    assert len([b for b in buttons(built) if b[0] == "home_pause"]) == home.SCHEDULES_SHOWN
    assert "…and 20 more: `/lock schedules`." in text(built)


def failed(i: int) -> LockRequest:
    return LockRequest(
        id=i,
        source="slack",
        user_id="U1",
        text="front door",
        door_name="Front Door",
        status=LockStatus.FAILED,
        error_type="device_offline",
        finished_at=NOW - timedelta(minutes=i),
    )


def test_an_admin_sees_what_needs_attention_and_where_the_admin_commands_are() -> None:
    offline = door(1, "Garage")
    gone = door(2, "Back Door")
    gone.missing_at = NOW - timedelta(days=2)
    down = DoorState(1, "d1", None, online=False, online_at=NOW - timedelta(hours=3))
    attention = Attention(
        offline=[(offline, down)],
        low_battery=[(door(3, "Front Door"), state(3))],
        failures=[failed(i) for i in range(1, 11)],
        failures_total=14,
        missing=[gone],
    )
    built = home_view(facts([door(1)], attention=attention))
    parsed(built)
    words = text(built)
    assert "*🛠️ Needs attention*" in words
    assert "📴 *Garage*: offline · as of <!date^" in words
    assert "🪫 *Front Door*: battery low 12% · as of" in words
    assert "❌ *Front Door* failed (`device_offline`) <!date^" in words
    assert "…and 4 more failures in the last 24 h: `/lock history`" in words
    assert "🚪 *Back Door* is missing from Seam since" in words
    assert "🛠️ Admin commands: `/lock admin help`" in words


def test_nothing_to_attend_to_says_so() -> None:
    built = home_view(facts([door(1)], attention=Attention([], [], [], 0, [])))
    parsed(built)
    assert "✅ Nothing: every lock is online" in text(built)


def test_a_thousand_problems_still_fit_one_section() -> None:
    many = [(door(i, "z" * 100), state(i)) for i in range(1, 1001)]
    attention = Attention([], many, [], 0, [])
    built = home_view(facts([door(1)], attention=attention))
    parsed(built)
    assert "…and " in text(built)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "home.md"


def sample() -> HomeFacts:
    """The Home of the admin in docs/home.md: two doors, a group, a schedule, an offline lock."""
    front, back, garage = door(1, "Front Door"), door(2, "Back Door"), door(3, "Garage")
    keypad = LockFact(False, NOW - timedelta(minutes=40), Source.EVENT, method="keycode")
    states = {
        1: state(1),
        2: DoorState(2, "d2", keypad, online=True, online_at=NOW - timedelta(minutes=40),
                     battery_level=0.8, battery_status="good", battery_at=NOW - timedelta(hours=2)),
        3: DoorState(3, "d3", None, online=False, online_at=NOW - timedelta(hours=3)),
    }  # fmt: skip
    floor = GroupView(DoorGroup(id=1, name="Ground Floor", key="ground floor"), [front, back])
    batch = LockBatch(id=1, source="schedule", user_id="UADMIN", text="front door")
    batch.status = LockStatus.LOCKED
    ran = ScheduleRun(id=1, schedule_id=1, fire_at=NOW - timedelta(hours=12), outcome="ran")
    row = schedule(1).schedule
    row.cron, row.created_by = "0 22 * * 1-5", "UADMIN"
    nightly = ScheduleView(row, when_of(row), [NOW.replace(hour=22)])  # not today's real date
    return HomeFacts(
        doors=[(d, states[d.id or 0]) for d in (back, front, garage)],
        groups=[floor],
        schedules=[(nightly, LastRun(ran, batch))],
        attention=Attention([(garage, states[3])], [(front, states[1])], [], 0, []),
        admins=["UADMIN"],
        now=NOW,
    )


def test_the_view_in_the_docs_is_the_one_lockbot_publishes() -> None:
    built = home_view(sample())
    parsed(built)
    shown = DOCS.read_text(encoding="utf-8").split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(shown) == built, "docs/home.md is stale: see its last paragraph"
