"""The forms end to end: `/lock schedule` alone and the global shortcuts open a modal at the fake
Slack (`views.open`), and a signed `view_submission` shaped like Slack's goes down the path typed
text takes, answered in the HTTP response (`response_action`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from bot.models import LockStatus
from bot.slack.modal_views import (
    LOCK_SHORTCUT,
    LOCK_VIEW,
    SCHEDULE_SHORTCUT,
    SCHEDULE_VIEW,
)
from bot.slack.words.modals import PICK_DAYS
from tests.e2e.conftest import SIGNING_SECRET, LiveBot, assert_all_final, lock_rows, quiet
from tests.e2e.test_schedules import admin, say, schedules
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import Call, FakeSlack
from tests.support.slack_requests import (
    shortcut,
    shortcut_payload,
    signed_headers,
    view_submission,
    view_submission_payload,
)

LOCK_DOOR = "/locks/lock_door"


async def post(live: LiveBot, body: str, secret: str = SIGNING_SECRET) -> httpx.Response:
    return await live.http.post("/slack/events", content=body, headers=signed_headers(body, secret))


async def submit(
    live: LiveBot, callback_id: str, values: dict[str, Any], user_id: str = "U1"
) -> httpx.Response:
    response = await post(live, view_submission(callback_id, values, user_id=user_id))
    assert response.status_code == 200, response.text
    return response


def answer(response: httpx.Response) -> dict[str, Any]:
    """The ack's body: what Slack does with the form."""
    body: dict[str, Any] = json.loads(response.text) if response.text else {}
    return body


async def opened(slack: FakeSlack, count: int = 1) -> Call:
    """The `count`-th views.open, waited for."""
    await slack.wait_for(lambda c: len(slack.calls_to("views.open")) >= count)
    call = slack.calls_to("views.open")[count - 1]
    assert not call.failed, call.response
    return call


def view_of(call: Call) -> dict[str, Any]:
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    assert len(found) == 1, view["blocks"]
    return found[0]


def offered(view: dict[str, Any]) -> list[str]:
    """The names the form's door-or-group menu offers."""
    menu = block(view, "target")["element"]
    return [o["value"] for group in menu["option_groups"] for o in group["options"]]


def schedule_values(
    target: str = "Front Door",
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri"),
    time: str = "22:00",
    zone: str = "America/New_York",
    channel: str | None = "CSCHED",
    until: str | None = None,
) -> dict[str, Any]:
    """A filled schedule builder's `view.state.values`, as Slack sends it (the optional end of
    a lock window, `until`, as unset when None)."""
    return {
        "until": {"until": {"type": "timepicker", "selected_time": until}},
        "target": {"target": {"type": "static_select", "selected_option": {"value": target}}},
        "days": {"days": {"type": "checkboxes", "selected_options": [{"value": d} for d in days]}},
        "time": {"time": {"type": "timepicker", "selected_time": time}},
        "zone": {"zone": {"type": "plain_text_input", "value": zone}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": channel}},
    }


def lock_values(target: str = "Front Door", channel: str | None = "CFOLLOW") -> dict[str, Any]:
    return {
        "target": {"target": {"type": "static_select", "selected_option": {"value": target}}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": channel}},
    }


async def test_lock_schedule_alone_opens_the_builder_with_only_what_the_person_may_lock(
    live: LiveBot, slack: FakeSlack
) -> None:
    slack.timezones["U1"] = "America/New_York"
    sent = await live.command("schedule", channel_id="CSCHED")
    assert sent.response.status_code == 200 and sent.response.text == ""  # the form answers

    call = await opened(slack)
    assert call.args["trigger_id"] == "1700000000.1.fake-trigger"  # the command's own
    view = view_of(call)
    assert (view["type"], view["callback_id"]) == ("modal", SCHEDULE_VIEW)
    assert offered(view) == ["Back Door", "Front Door"]  # not Garage: U1 may not lock it
    assert block(view, "zone")["element"]["initial_value"] == "America/New_York"
    assert block(view, "channel")["element"]["initial_conversation"] == "CSCHED"
    assert block(view, "time")["element"]["type"] == "timepicker"
    assert len(block(view, "days")["element"]["options"]) == 7

    # An admin may lock everything; someone with no grant gets no form, but who to ask.
    await live.command("schedule", user_id="UADMIN")
    assert offered(view_of(await opened(slack, 2))) == ["Back Door", "Front Door", "Garage"]
    await live.command("schedule", user_id="U9")
    nothing = view_of(await opened(slack, 3))
    assert "callback_id" not in nothing and "submit" not in nothing
    assert nothing["blocks"][0]["text"]["text"] == (
        "🔐 You can't lock any door yet. Ask <@UADMIN> for access."
    )


async def test_a_form_slack_would_not_open_is_answered_with_the_command_to_type(
    live: LiveBot, slack: FakeSlack
) -> None:
    slack.fail("views.open", error="expired_trigger_id")
    await live.command("schedule", response_url=slack.response_url())
    told = await slack.wait_for(lambda c: c.method == "response_url")
    assert told.args["text"] == (
        "⚠️ Slack would not open the form (`expired_trigger_id`). Try again, or type "
        "`/lock schedule front door weekdays at 22:00`."
    )
    slack.fail("views.open", error="expired_trigger_id")
    await post(live, shortcut(LOCK_SHORTCUT))  # no response_url: a DM
    dm = await slack.wait_for(lambda c: c.method == "chat.postMessage")
    assert dm.args["channel"] == "U1" and "or type `/lock front door`." in dm.args["text"]


async def test_the_builder_makes_the_schedule_the_typed_command_makes(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    # Sent twice at once (a double click): one schedule, and both answers name it.
    twice = await asyncio.gather(*(submit(live, SCHEDULE_VIEW, schedule_values()) for _ in "ab"))
    for response in twice:
        done = answer(response)
        assert done["response_action"] == "update", done
        told = done["view"]["blocks"][0]["text"]["text"]
        assert told.startswith(
            "⏰ Schedule `1`: I'll lock *Front Door* every weekday at 22:00 (America/New_York) "
            "and report in <#CSCHED>. Next runs: "
        ), told
    [row] = await schedules(database_url)
    assert (row.target, row.cron, row.timezone, row.channel_id, row.created_by) == (
        "Front Door",
        "0 22 * * 1-5",
        "America/New_York",
        "CSCHED",
        "U1",
    )
    listed = await say(live, "schedules")
    assert "`1` *Front Door*: every weekday at 22:00 (America/New_York)" in listed, listed

    # Sent again later (a retry): still the same schedule, not a second one.
    again = answer(await submit(live, SCHEDULE_VIEW, schedule_values()))
    assert again["view"]["blocks"][0]["text"]["text"].startswith("⏰ Schedule `1`:")
    assert len(await schedules(database_url)) == 1

    # Typed, the same thing reads the same way; other days and a time zone's case too.
    typed = await say(live, "schedule back door weekdays at 22:00 in america/new_york")
    weekend = schedule_values("Back Door", ("sat", "sun"), "07:30", "europe/berlin")
    await submit(live, SCHEDULE_VIEW, weekend)
    rows = await schedules(database_url)
    assert typed.startswith("⏰ Schedule `2`"), typed
    assert [(r.cron, r.timezone) for r in rows[1:]] == [
        ("0 22 * * 1-5", "America/New_York"),
        ("30 7 * * 0,6", "Europe/Berlin"),
    ]


@pytest.mark.settings(LOCKBOT_SCHEDULE_MIN_MINUTES="2880")
async def test_a_bad_form_is_told_on_its_field_and_nothing_is_made(
    live: LiveBot, slack: FakeSlack, database_url: str
) -> None:
    async def refused(values: dict[str, Any], user_id: str = "U1") -> dict[str, Any]:
        body = answer(await submit(live, SCHEDULE_VIEW, values, user_id))
        assert body["response_action"] == "errors", body
        errors: dict[str, Any] = body["errors"]
        return errors

    no_days = await submit(live, SCHEDULE_VIEW, schedule_values(days=()))
    assert no_days.headers["content-type"].startswith("application/json")
    assert no_days.json() == {"response_action": "errors", "errors": {"days": PICK_DAYS}}
    assert PICK_DAYS == "Tick at least one day."
    assert await refused(schedule_values(zone="Mars/Olympus", channel=None, time="")) == {
        "zone": "Mars/Olympus is not a time zone I know. Use an IANA name, such as Europe/Berlin.",
        "channel": "Choose the channel to report in.",
        "time": "Choose a time.",
    }
    # Checked again at the moment of submission, as typed text is: what U1 may not lock…
    assert await refused(schedule_values("Garage")) == {
        "target": "You may schedule only what you may lock, and you may not lock Garage."
    }
    # …a channel the door is limited away from…
    await admin(live, 'channels "Front Door" <#CSEC|security>')
    assert await refused(schedule_values(channel="CSCHED")) == {
        "channel": "Front Door may be locked only from other channels, and a run locks from the "
        "channel it reports in. Choose one of those."
    }
    # …and a schedule that runs too often for someone who is not an admin (every day, here).
    every_day = schedule_values(days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    every_day["channel"]["channel"]["selected_conversation"] = "CSEC"
    assert await refused(every_day) == {
        "days": "That runs as often as every 24 h; a schedule may run at most once every 2 days. "
        "Tick fewer days, or ask an admin."
    }
    assert await schedules(database_url) == []
    assert answer(await submit(live, SCHEDULE_VIEW, every_day, "UADMIN"))["response_action"] == (
        "update"
    )
    assert [s.created_by for s in await schedules(database_url)] == ["UADMIN"]


async def test_the_schedule_shortcut_opens_the_same_builder(
    live: LiveBot, slack: FakeSlack
) -> None:
    response = await post(live, shortcut(SCHEDULE_SHORTCUT))
    assert response.status_code == 200 and response.text == ""
    call = await opened(slack)
    assert call.args["trigger_id"] == "1700000000.3.fake-trigger"
    view = view_of(call)
    assert view["callback_id"] == SCHEDULE_VIEW and offered(view) == ["Back Door", "Front Door"]
    assert "initial_conversation" not in block(view, "channel")["element"]  # asked from nowhere
    assert block(view, "zone")["element"]["initial_value"] == "Europe/Berlin"  # U1's Slack zone


async def test_the_lock_shortcut_locks_once_in_a_thread_in_the_picked_channel(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    assert (await post(live, shortcut(LOCK_SHORTCUT))).text == ""
    view = view_of(await opened(slack))
    assert view["callback_id"] == LOCK_VIEW and offered(view) == ["Back Door", "Front Door"]
    assert block(view, "channel")["optional"] is True

    gate = seam.hold(LOCK_DOOR)  # still at Seam when the form is sent again
    first = await submit(live, LOCK_VIEW, lock_values())
    assert first.text == ""  # the form closes; the story is told in the channel
    await seam.wait_for_arrivals(LOCK_DOOR)
    second = answer(await submit(live, LOCK_VIEW, lock_values()))
    assert second["view"]["blocks"][0]["text"]["text"] == (
        "⏳ *Front Door* is already being locked (asked by <@U1>), so I didn't ask again. "
        "You'll hear how it ends in its thread."
    )
    gate.release()
    update = await slack.wait_for(lambda c: c.method == "chat.update")
    await assert_all_final(database_url)
    await quiet(slack)
    [root] = [c for c in slack.messages("CFOLLOW") if "thread_ts" not in c.args]
    assert root.args["text"] == "🔒 Locking *Front Door* for <@U1>…"
    assert update.args["channel"] == "CFOLLOW" and update.args["text"].startswith(
        "✅ *Front Door* is locked. Asked by <@U1>"
    )
    assert len(seam.calls_to(LOCK_DOOR)) == 1


async def test_the_lock_form_without_a_channel_locks_in_a_dm(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    assert (await submit(live, LOCK_VIEW, lock_values("rear", channel=None))).text == ""
    await slack.wait_for(lambda c: c.method == "chat.update")
    [root] = [c for c in slack.messages() if "thread_ts" not in c.args]
    assert (root.args["channel"], root.args["text"]) == ("U1", "🔒 Locking *Back Door* for <@U1>…")
    assert [r.status for r in await assert_all_final(database_url)] == [LockStatus.LOCKED]
    assert len(seam.calls_to(LOCK_DOOR)) == 1


async def test_the_lock_form_refuses_inline_and_seam_hears_nothing(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    denied = answer(await submit(live, LOCK_VIEW, lock_values(), user_id="U9"))
    assert denied == {
        "response_action": "errors",
        "errors": {"target": "You may not lock Front Door. Ask an admin for access."},
    }
    await admin(live, 'channels "Front Door" <#CSEC|security>')
    in_a_dm = answer(await submit(live, LOCK_VIEW, lock_values(channel=None)))
    assert in_a_dm["errors"] == {
        "channel": "Front Door may be locked only from certain channels, not from a DM."
    }
    assert answer(await submit(live, LOCK_VIEW, lock_values(""))) == {
        "response_action": "errors",
        "errors": {"target": "Choose a door or group."},
    }
    # Recorded, as a typed refusal is, but nothing was asked of Seam nor posted.
    rows = await lock_rows(database_url)
    assert [(r.user_id, r.status) for r in rows] == [
        ("U9", LockStatus.DENIED),
        ("U1", LockStatus.REJECTED),
    ]
    await quiet(slack)
    assert seam.calls_to(LOCK_DOOR) == [] and slack.messages() == []


async def test_forms_and_shortcuts_need_slacks_signature(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    forged = [
        view_submission(SCHEDULE_VIEW, schedule_values()),
        view_submission(LOCK_VIEW, lock_values()),
        shortcut(LOCK_SHORTCUT),
    ]
    for body in forged:
        assert (await post(live, body, secret="not-the-secret")).status_code == 401
    await quiet(slack)
    assert await schedules(database_url) == [] and await lock_rows(database_url) == []
    assert slack.calls_to("views.open") == [] and seam.calls == []
    # The same bodies, signed: each one does its thing.
    for body in forged:
        assert (await post(live, body)).status_code == 200
    await opened(slack)
    assert len(await schedules(database_url)) == 1
    assert [r.door_name for r in await assert_all_final(database_url)] == ["Front Door"]


@pytest.mark.usefixtures("socket_bot")
async def test_the_forms_work_over_socket_mode_too(
    slack: FakeSlack, seam: SeamProxy, database_url: str
) -> None:
    assert await slack.send_envelope("interactive", shortcut_payload(LOCK_SHORTCUT)) == {}
    assert view_of(await opened(slack))["callback_id"] == LOCK_VIEW
    refused = view_submission_payload(LOCK_VIEW, lock_values(), user_id="U9")
    assert await slack.send_envelope("interactive", refused) == {
        "response_action": "errors",
        "errors": {"target": "You may not lock Front Door. Ask an admin for access."},
    }
    built = view_submission_payload(SCHEDULE_VIEW, schedule_values())
    assert (await slack.send_envelope("interactive", built))["response_action"] == "update"
    assert [s.cron for s in await schedules(database_url)] == ["0 22 * * 1-5"]
    assert seam.calls_to(LOCK_DOOR) == []
