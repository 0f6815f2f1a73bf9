"""The modals' Block Kit (pure): valid for slack_sdk's own models within Slack's limits, however
many doors and however long their names; and what a submitted form reads as."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Option, OptionGroup
from slack_sdk.models.views import View

from bot.access import Lockable
from bot.door_groups import GroupView
from bot.locking import GroupSubmission, Submission
from bot.models import Door, DoorGroup, LockBatch, LockRequest, LockStatus, Rejection
from bot.slack import modal_views as views
from bot.slack.commands import BuildSchedule, Schedule, parse
from bot.slack.words import modals as words
from bot.when import parse_when


def door(i: int, name: str | None = None) -> Door:
    name = name or f"Door {i:03d}"
    return Door(id=i, name=name, key=name.lower(), device_id=f"d{i}")


def valid(view: dict[str, Any]) -> dict[str, Any]:
    """The view as slack_sdk's models read it back: raises on anything past Slack's limits,
    and must lose nothing on the way. A select keeps its option groups as given, so each is
    read (and so checked) on its own."""
    parsed = View(**view).to_dict()
    assert parsed == view
    for block in view["blocks"]:
        element = block.get("element") or {}
        for group in element.get("option_groups") or []:
            assert OptionGroup(**group).to_dict("block") == group
        for option in Option.parse_all(element.get("options")) or []:
            option.to_dict("block")
    return parsed


def test_the_check_itself_catches_what_slack_would_refuse() -> None:
    too_many = Lockable([door(i) for i in range(101)], [])
    view = views.lock_form(too_many)
    menu(view)[0]["options"].append(menu(view)[1]["options"].pop())  # 101 in one group
    with pytest.raises(SlackObjectFormationError, match="cannot exceed 100"):
        valid(view)
    view = views.lock_form(Lockable([door(1)], []))
    menu(view)[0]["options"][0]["text"]["text"] = "x" * 76
    with pytest.raises(SlackObjectFormationError, match="cannot exceed 75"):
        valid(view)


def menu(view: dict[str, Any]) -> list[dict[str, Any]]:
    [target] = [b for b in view["blocks"] if b.get("block_id") == views.TARGET]
    groups: list[dict[str, Any]] = target["element"]["option_groups"]
    return groups


def test_a_60_door_workspace_with_100_character_names_makes_valid_forms() -> None:
    doors = [door(i, f"{i:02d} " + "x" * 97) for i in range(60)]
    floor = GroupView(DoorGroup(id=1, name="F" * 100, key="f" * 100), doors[:3])
    targets = Lockable(doors, [floor])
    for view in (
        views.schedule_builder(targets, "Europe/Berlin", "C1"),
        views.lock_form(targets),
    ):
        groups = menu(valid(view))
        assert [g["label"]["text"] for g in groups] == ["Groups", "Doors"]
        options = [o for g in groups for o in g["options"]]
        assert len(options) == 61
        assert all(len(o["text"]["text"]) <= 75 for o in options)
        # The value keeps the whole name: it is what the submission names.
        assert options[1]["value"] == doors[0].name and len(options[1]["value"]) == 100


def test_more_than_100_doors_take_several_option_groups() -> None:
    groups = menu(valid(views.lock_form(Lockable([door(i) for i in range(250)], []))))
    assert [(g["label"]["text"], len(g["options"])) for g in groups] == [
        ("Doors", 100),
        ("Doors (2)", 100),
        ("Doors (3)", 50),
    ]


def test_past_slacks_100_option_groups_the_form_says_how_many_are_left_out() -> None:
    view = valid(views.lock_form(Lockable([door(i) for i in range(100 * 100 + 7)], [])))
    assert len(menu(view)) == 100
    [note] = [b for b in view["blocks"] if b["type"] == "context"]
    assert note["elements"][0]["text"] == (
        "7 more don't fit in this list; type `/lock &lt;name&gt;` for those."
    )


def test_the_builder_offers_days_a_time_the_persons_zone_and_a_channel() -> None:
    view = valid(views.schedule_builder(Lockable([door(1)], []), "America/New_York", "CSEC"))
    assert view["callback_id"] == views.SCHEDULE_VIEW
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == ["target", "days", "time", "until", "zone", "channel"]
    # Each field's action id is its block id: errors and state use the same name.
    assert all(b["element"]["action_id"] == name for name, b in blocks.items())
    days = blocks["days"]["element"]
    assert [o["value"] for o in days["options"]] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
    assert [o["value"] for o in days["initial_options"]] == ["mon", "tue", "wed", "thu", "fri"]
    assert blocks["time"]["element"] == {
        "type": "timepicker",
        "initial_time": "22:00",
        "action_id": "time",
    }
    assert blocks["zone"]["element"]["initial_value"] == "America/New_York"
    assert blocks["channel"]["element"]["initial_conversation"] == "CSEC"
    assert blocks["channel"]["optional"] is False
    lock = valid(views.lock_form(Lockable([door(1)], [])))
    assert lock["callback_id"] == views.LOCK_VIEW and lock["blocks"][-1]["optional"] is True


def test_a_notice_is_a_valid_view_without_submit() -> None:
    view = valid(views.notice("Schedule a lock", "🔐 You can't lock any door yet."))
    assert "submit" not in view and view["close"]["text"] == "Done"


def state(
    target: str = "Front Door",
    days: list[str] | None = None,
    time: str | None = "22:00",
    zone: str = "europe/berlin",
    channel: str | None = "C1",
) -> dict[str, Any]:
    ticked = ["mon", "wed", "fri"] if days is None else days
    return {
        "target": {"target": {"type": "static_select", "selected_option": {"value": target}}},
        "days": {"days": {"selected_options": [{"value": d} for d in ticked]}},
        "time": {"time": {"selected_time": time}},
        "zone": {"zone": {"value": zone}},
        "channel": {"channel": {"selected_conversation": channel}},
    }


def test_a_submitted_builder_becomes_the_when_a_person_could_type() -> None:
    form = views.read_schedule(state(days=["fri", "mon", "wed"]))
    assert form == views.ScheduleForm(
        "Front Door", ("mon", "wed", "fri"), "22:00", "Europe/Berlin", "C1"
    )
    assert isinstance(form, views.ScheduleForm)
    assert form.when == "at 22:00 on mon,wed,fri"
    when = parse_when(form.when, form.zone)
    assert (when.cron, when.timezone) == ("0 22 * * 1,3,5", "Europe/Berlin")
    assert parse_when(
        views.ScheduleForm("x", ("sat", "sun"), "07:05", "UTC", "C1").when, "UTC"
    ).cron == ("5 7 * * 0,6")


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (state(days=[]), {"days": "Tick at least one day."}),
        (state(days=["mon", "funday"]), {"days": "funday is not a day of the week."}),
        (state(time=None), {"time": "Choose a time."}),
        (state(time="24:00"), {"time": "Choose a time."}),
        (
            state(zone="New York"),
            {
                "zone": "New York is not a time zone I know. Use an IANA name, such as Europe/Berlin."
            },
        ),
        (state(zone=" "), {"zone": "Name a time zone, such as Europe/Berlin."}),
        (
            {},
            {
                "target": "Choose a door or group.",
                "days": "Tick at least one day.",
                "time": "Choose a time.",
                "zone": "Name a time zone, such as Europe/Berlin.",
                "channel": "Choose the channel to report in.",
            },
        ),
    ],
)
def test_a_bad_builder_says_what_is_wrong_with_each_field(
    values: dict[str, Any], errors: dict[str, str]
) -> None:
    assert views.read_schedule(values) == errors


def test_a_submitted_lock_form_names_the_target_and_maybe_a_channel() -> None:
    assert views.read_lock(state()) == views.LockForm("Front Door", "C1")
    assert views.read_lock(state(channel=None)) == views.LockForm("Front Door", None)
    assert views.read_lock(state(target="")) == {"target": "Choose a door or group."}


def test_schedule_alone_opens_the_builder_and_typed_schedules_still_parse() -> None:
    assert parse("schedule") == parse(" SCHEDULE ") == BuildSchedule()
    assert parse("schedule front door weekdays at 22:00") == Schedule(
        "front door", "weekdays at 22:00"
    )


def request(status: LockStatus, error: Rejection | None = None, **fields: Any) -> LockRequest:
    values: dict[str, Any] = {"source": "slack", "user_id": "U1", "text": "front door"}
    values |= {"channel_id": "C1", "door_name": "Front Door"}
    return LockRequest(**values | fields, status=status, error_type=error)


def batch(status: LockStatus, error: Rejection) -> LockBatch:
    return LockBatch(source="slack", user_id="U1", text="floor 2", group_name="Floor 2",
                     status=status, error_type=error)  # fmt: skip


@pytest.mark.parametrize(
    ("submission", "said"),
    [
        (
            Submission(request(LockStatus.DENIED, Rejection.NOT_ALLOWED)),
            "You may not lock Front Door. Ask an admin for access.",
        ),
        (
            Submission(request(LockStatus.REJECTED, Rejection.WRONG_CHANNEL)),
            "Front Door may be locked only from certain channels, not from that channel.",
        ),
        (
            Submission(request(LockStatus.REJECTED, Rejection.WRONG_CHANNEL, channel_id="U1")),
            "Front Door may be locked only from certain channels, not from a DM.",
        ),
        (
            Submission(request(LockStatus.REJECTED, Rejection.DOOR_MISSING)),
            "Front Door's lock is missing from Seam, so I can't lock it. Tell an admin.",
        ),
        (
            Submission(request(LockStatus.REJECTED, Rejection.RATE_LIMITED)),
            "That's more than 20 locks in a minute. Try again in a minute.",
        ),
        (
            Submission(request(LockStatus.DENIED, Rejection.GROUPS_UNCHECKED)),
            "Slack didn't say which user groups you're in, so I couldn't check your access to "
            "Front Door. Try again in a minute.",
        ),
        (
            Submission(request(LockStatus.REJECTED, Rejection.UNKNOWN_DOOR, door_name=None)),
            "No door or group is called front door any more. Choose another.",
        ),
        (
            GroupSubmission(batch(LockStatus.DENIED, Rejection.NOT_ALLOWED), blocked=["Garage"]),
            "You may not lock every door of Floor 2 (not: Garage), so I locked none. Ask an admin "
            "for access.",
        ),
        (
            GroupSubmission(batch(LockStatus.REJECTED, Rejection.EMPTY_GROUP)),
            "Floor 2 has no doors to lock yet.",
        ),
    ],
)
def test_a_refused_lock_form_says_why_in_plain_text(
    submission: Submission | GroupSubmission, said: str
) -> None:
    assert words.lock_refused(submission, per_minute=20) == said
