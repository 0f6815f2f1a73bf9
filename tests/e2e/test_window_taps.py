"""A lock window's buttons and relocks against a stranger (#15's review): taps that would bring
the relock sooner, a schedule removed while its relock waits, and taps carrying values no
button of ours sends, or naming a door removed since. Real parts, as in `test_windows.py`: the
signed `lock.unlocked` webhook, Seam's fake, signed `block_actions` to the real endpoint."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from bot.models import AuditEvent, Relock, utcnow
from bot.slack.words.windows import (
    KEEP_OPEN_ACTION_ID,
    KEEP_OPEN_TO_END_ACTION_ID,
    LOCK_NOW_ACTION_ID,
    LOCK_NOW_GONE,
)
from tests.e2e.conftest import ALERTS, LiveBot, assert_all_final, quiet, set_locked
from tests.e2e.test_schedules import CHANNEL, cover_until, fired_ago, say, schedule_id
from tests.e2e.test_seam_webhook import SECRET, post_event, seam_event
from tests.e2e.test_windows import (
    LOCK_DOOR,
    checked,
    eventually,
    rows,
    tap,
    tapped,
    thread,
    unlocked_by_keypad,
    window_opened,
    windows,
)
from tests.fakes.seam_proxy import SeamProxy
from tests.fakes.slack_api import Call, FakeSlack

NOTHING_WAITING = "⌛ There is no relock of this door waiting any more; nothing to postpone."


async def answered(
    live: LiveBot, slack: FakeSlack, root: Call, value: str, action_id: str, user: str = "U1"
) -> list[str]:
    """A tap carrying `value` on the unlock message; what only the tapper was told."""
    seen = len(slack.calls_to("response_url"))
    response = await live.action(
        value,
        action_id=action_id,
        user_id=user,
        channel_id=CHANNEL,
        message=tapped(root),
        response_url=slack.response_url(),
    )
    assert response.status_code == 200, (value, response.text)
    await quiet(slack, quiet_s=0.1)
    return [c.args["text"] for c in slack.calls_to("response_url")[seen:]]


async def unlocked_in_window(
    live: LiveBot, slack: FakeSlack, seam: SeamProxy, lock_itself: httpx.AsyncClient, relock: str
) -> tuple[int, Call, Relock]:
    """A window over Front Door (`window_opened`) and a keypad unlock inside it: the schedule,
    the unlock message and its waiting relock."""
    number = await window_opened(live, seam, relock)
    told = await unlocked_by_keypad(live, lock_itself, slack)
    [waiting] = await rows(live.bot.settings.database_url, Relock)
    assert waiting.state == "waiting"
    return number, told, waiting


@windows
async def test_keep_open_never_brings_the_relock_sooner(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    # Relock a minute after the unlock; one Keep open tap is 6 s (LOCKBOT_KEEP_OPEN_MINUTES).
    _, told, waiting = await unlocked_in_window(live, slack, seam, lock_itself, "after 1m")
    assert waiting.due_at is not None
    due = f"{waiting.due_at:%H:%M}"

    # A tap that would move the relock to 6 s from now leaves it where it was, and says so.
    assert await answered(live, slack, told, str(waiting.id), KEEP_OPEN_ACTION_ID) == [
        f"⏸️ *Front Door* is kept open until {due} already; nothing to postpone."
    ]
    [same] = await rows(database_url, Relock)
    assert same.due_at == waiting.due_at

    # Once an admin keeps it open until the window ends, no later tap brings a relock back.
    await tap(live, slack, told, KEEP_OPEN_TO_END_ACTION_ID, "UADMIN")
    end = f"{waiting.window_end:%H:%M}"
    assert await answered(live, slack, told, str(waiting.id), KEEP_OPEN_ACTION_ID) == [
        f"⏸️ *Front Door* is kept open until the window ends at {end} already."
    ]
    [kept] = await rows(database_url, Relock)
    assert kept.due_at == kept.window_end and kept.state == "waiting"
    await quiet(slack)
    assert thread(slack, told) == [
        f"⏸️ <@UADMIN> kept *Front Door* open until the window ends at {end}; I won't lock it again."
    ]
    kept_open = [a.actor for a in await rows(database_url, AuditEvent) if a.action == "keep_open"]
    assert kept_open == ["UADMIN"]  # a tap that changed nothing is not in the trail
    assert len(seam.calls_to(LOCK_DOOR)) == 1  # the window's own lock only


@windows
async def test_a_removed_schedules_waiting_relock_is_dropped_and_said_so(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    number, told, waiting = await unlocked_in_window(live, slack, seam, lock_itself, "after 3s")
    assert waiting.due_at is not None

    assert (await say(live, f"unschedule {number}")).startswith(f"🗑️ Removed schedule `{number}`")

    async def dropped() -> bool:
        [row] = await rows(database_url, Relock)
        return (row.state, row.outcome) == ("done", "unscheduled")

    await eventually(dropped, 10, "the relock dropped")
    await quiet(slack)
    assert thread(slack, told) == [
        "🗑️ Its schedule was removed, so I'm not locking *Front Door* again."
    ]
    # Keep open has nothing left to postpone; past the old due time nothing is locked.
    assert await answered(live, slack, told, str(waiting.id), KEEP_OPEN_ACTION_ID) == [
        "⌛ There is no relock of *Front Door* waiting any more; nothing to postpone."
    ]
    await eventually(lambda: utcnow() > waiting.due_at + timedelta(seconds=1), 10, "old due time")
    await asyncio.sleep(0.5)  # a few more looks
    assert len(seam.calls_to(LOCK_DOOR)) == 1  # the window's own lock only


@windows
async def test_a_tap_with_an_odd_value_or_on_a_removed_door_is_answered_and_locks_nothing(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    _, told, waiting = await unlocked_in_window(live, slack, seam, lock_itself, "after 1m")

    # Values no button of ours sends: past a 32-bit id, digits that are not ASCII, words.
    for value in ("99999999999999999999", "²", "١", "-1", "0", "abc"):
        assert await answered(live, slack, told, value, KEEP_OPEN_ACTION_ID) == [NOTHING_WAITING]
        assert await answered(live, slack, told, value, LOCK_NOW_ACTION_ID) == [LOCK_NOW_GONE]
    [same] = await rows(database_url, Relock)
    assert (same.state, same.due_at) == ("waiting", waiting.due_at)

    # The door is removed while its relock waits: the relock goes with it, and a tap on the
    # old message says there is nothing to do.
    removed = await live.command(
        'admin remove-door "Front Door"', user_id="UADMIN", channel_id=ALERTS
    )
    assert removed.response.status_code == 200
    assert await rows(database_url, Relock) == []
    assert await answered(live, slack, told, str(waiting.id), LOCK_NOW_ACTION_ID) == [LOCK_NOW_GONE]
    assert await answered(live, slack, told, str(waiting.id), KEEP_OPEN_ACTION_ID) == [
        NOTHING_WAITING
    ]
    assert len(seam.calls_to(LOCK_DOOR)) == 1  # the window's own lock only


@windows
async def test_keep_open_is_acked_while_slack_still_has_the_threads_line(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    _, told, _ = await unlocked_in_window(live, slack, seam, lock_itself, "after 1m")
    gate = slack.hold("chat.postMessage")
    tapping = asyncio.create_task(tap(live, slack, told, KEEP_OPEN_TO_END_ACTION_ID, "UADMIN"))
    await gate.arrived()  # the thread's line is at Slack, held
    await asyncio.wait_for(tapping, 10)  # the tap was acked all the same
    # What the tap did is written already, with its audit row; the line follows.
    [kept] = await rows(database_url, Relock)
    assert kept.due_at == kept.window_end
    assert [a.actor for a in await rows(database_url, AuditEvent) if a.action == "keep_open"] == [
        "UADMIN"
    ]
    assert gate.waiting == 1
    gate.release()
    line = await slack.wait_for(lambda c: c.args.get("thread_ts") == told.response["ts"])
    assert line.args["text"].startswith("⏸️ <@UADMIN> kept *Front Door* open until the window ends")


@windows
async def test_an_unlock_after_lock_now_locked_the_door_is_told_again(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    # `relock never`: the message's Lock now is how the door is locked again.
    _, told, first = await unlocked_in_window(live, slack, seam, lock_itself, "never")
    await tap(live, slack, told, LOCK_NOW_ACTION_ID, "U1")
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 10, "Lock now")
    await assert_all_final(database_url)
    await quiet(slack)

    # Opened again, later in the same window: a new story, told as the first was.
    await set_locked(lock_itself, False)
    response = await post_event(live.http, seam_event("lock.unlocked", method="keycode"))
    assert response.json() == {"ok": True, "outcome": "relayed"}
    unlocks = [c for c in slack.messages(CHANNEL) if "should stay locked" in c.args["text"]]
    assert len(unlocks) == 2 and unlocks[0] is told
    relocks = await rows(database_url, Relock)
    assert [(r.id, r.state, r.outcome) for r in relocks] == [
        (first.id, "done", "already_locked"),
        (relocks[1].id, "waiting", None),
    ]


@pytest.mark.settings(
    SEAM_WEBHOOK_SECRET=SECRET,
    LOCKBOT_RELOCK_MIN_SECONDS="1",
    LOCKBOT_RELOCK_LOOK="0.2",
    LOCKBOT_KEEP_OPEN_MINUTES="5",
)
async def test_keep_open_to_past_the_windows_end_says_it_will_not_lock_again(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    # A window that ends one to two minutes from now (it started one to two minutes ago): one
    # Keep open tap (5 min) reaches its end, and the unlock's own relock (3 s) falls inside it.
    fired = fired_ago(1)
    reply = await say(
        live,
        f"schedule front door cron {fired.minute} {fired.hour} * * * for 3m in UTC relock after 3s",
    )
    number = schedule_id(reply)
    await cover_until(database_url, number, fired - timedelta(minutes=1))
    await live.bot.schedule_runner.catch_up(number)
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 1, 10, "the window's lock")
    await assert_all_final(database_url)
    told = await unlocked_by_keypad(live, lock_itself, slack)

    await tap(live, slack, told, KEEP_OPEN_ACTION_ID, "U1")
    [kept] = await rows(database_url, Relock)
    assert kept.due_at == kept.window_end
    await quiet(slack)
    assert thread(slack, told) == [
        f"⏸️ <@U1> kept *Front Door* open until the window ends at {kept.window_end:%H:%M}; "
        "I won't lock it again."
    ]


@checked
async def test_without_events_an_unlock_after_lock_now_is_found_again(
    live: LiveBot,
    slack: FakeSlack,
    seam: SeamProxy,
    lock_itself: httpx.AsyncClient,
    database_url: str,
) -> None:
    # No events and `relock never`: only the check hears of an unlock, and Lock now locks.
    await window_opened(live, seam, "never")

    def found() -> list[Call]:
        return [c for c in slack.messages(CHANNEL) if "found unlocked by a check" in c.args["text"]]

    await set_locked(lock_itself, False)
    await eventually(lambda: len(found()) == 1, 10, "the check finding it unlocked")
    await asyncio.sleep(2.5)  # two more checks of a door still open: told once, not again
    [told] = found()
    await tap(live, slack, told, LOCK_NOW_ACTION_ID, "U1")
    await eventually(lambda: len(seam.calls_to(LOCK_DOOR)) == 2, 10, "Lock now")
    await assert_all_final(database_url)

    # Opened again, later in the same window: the check tells it as a new story.
    await set_locked(lock_itself, False)
    await eventually(lambda: len(found()) == 2, 10, "the check finding it unlocked again")
    assert [(r.state, r.outcome) for r in await rows(database_url, Relock)] == [
        ("done", "already_locked"),
        ("waiting", None),
    ]
