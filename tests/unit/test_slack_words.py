"""Slack's words, exactly: a wording change is a change in bot/slack/words and here, without the
node-based end-to-end suite. Each refusal is worded once per surface, with that surface's hints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cli.words import refusal as terminal
from bot.door_groups import GroupView
from bot.events import EVENT_TYPES
from bot.models import (
    AuditEvent,
    Door,
    DoorGroup,
    LockBatch,
    LockRequest,
    LockStatus,
    QuietHours,
    Schedule,
)
from bot.news import (
    Battery,
    Flapping,
    Locked,
    News,
    Offline,
    Online,
    Outage,
    Tampered,
    UnexpectedUnlock,
    Unlocked,
)
from bot.refusals import BadName, Missing, Refusal, Refused
from bot.schedules import ScheduleError, ScheduleView, TooMany, TooOften, WrongChannel
from bot.slack.words import (
    admin,
    admin_access,
    admin_doors,
    admin_news,
    common,
    groups,
    locks,
    news,
    refusals,
    schedules,
)
from bot.when import When

T0 = datetime(2025, 1, 15, 21, 0, tzinfo=UTC)  # 22:00 in Berlin


def request(
    status: LockStatus = LockStatus.PENDING, took: float = 1.25, **fields: object
) -> LockRequest:
    values: dict[str, object] = {
        "id": 7,
        "source": "slack",
        "user_id": "U1",
        "text": "front door",
        "door_name": "Front Door",
        "channel_id": "C1",
        "status": status,
        "created_at": T0,
    }
    return LockRequest(**(values | fields), finished_at=T0 + timedelta(seconds=took))


def batch(status: LockStatus, summary: str, **fields: object) -> LockBatch:
    values: dict[str, object] = {
        "id": 3,
        "source": "slack",
        "user_id": "U1",
        "text": "floor 2",
        "group_name": "Floor 2",
        "channel_id": "C1",
        "status": status,
        "summary": summary,
        "created_at": T0,
        "finished_at": T0 + timedelta(seconds=2.5),
    }
    return LockBatch(**(values | fields))


# -- the shared helpers, one meaning each ------------------------------------------------------


def test_people_are_named_by_what_they_are() -> None:
    assert common.mention("U1") == "<@U1>"
    assert common.mention("cli:alice") == "cli:alice"
    assert common.grantee("U1") == "<@U1>"
    assert common.grantee("S9") == "<!subteam^S9>"
    assert common.grantee("cli:<bob>") == "`cli:&lt;bob&gt;`"
    assert common.who_asked(request()) == "<@U1>"
    assert common.who_asked(request(source="cli", user_id="cli:alice")) == "cli:alice"
    assert common.ask_admins({"UB", "UA"}) == "<@UA>, <@UB>"
    assert common.ask_admins(()) == "an admin"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (1.25, "1.2 s"),
        (59.0, "59.0 s"),
        (150.0, "2.5 min"),
        (3 * 3600, "3.0 h"),
        (3 * 86400, "3.0 d"),
    ],
)
def test_a_request_took(seconds: float, said: str) -> None:
    assert common.elapsed(request(took=seconds)) == said


def test_fit_keeps_room_to_say_how_many_more() -> None:
    lines = [f"line {n}" for n in range(10)]
    assert common.fit("head", lines, "tail", limit=40) == (
        "head\nline 0\nline 1\n…and 8 more\ntail"
    )
    assert common.fit("head", lines[:2]) == "head\nline 0\nline 1"


# -- a lock request ----------------------------------------------------------------------------


def test_a_lock_from_start_to_finish() -> None:
    assert locks.started(request()) == "🔒 Locking *Front Door* for <@U1>…"
    done = request(LockStatus.LOCKED)
    assert locks.root_final(done) == "✅ *Front Door* is locked. Asked by <@U1>, took 1.2 s."
    assert locks.thread_final(done) == "✅ Locked in 1.2 s."
    late = request(LockStatus.TIMED_OUT, took=60.0, error_type="timed_out")
    assert locks.root_final(late) == (
        "⌛ *Front Door* did not confirm it locked. Asked by <@U1>; gave up after 1.0 min."
    )


def test_a_failure_says_what_to_do_in_the_thread_and_the_alert() -> None:
    failed = request(
        LockStatus.FAILED, error_type="device_offline", error_message="Device is <offline>"
    )
    assert locks.root_final(failed) == (
        "❌ Could not lock *Front Door* (`device_offline`). Asked by <@U1>; details in the thread."
    )
    what_to_do = (
        "*What to do:* Check that the lock has power and its hub or Wi-Fi is online, then try "
        "again."
    )
    assert locks.thread_final(failed) == (
        f"❌ `device_offline`: Device is &lt;offline&gt;\n{what_to_do}"
    )
    assert locks.alert(failed, "https://slack/p1") == (
        "🚨 Lock failed: *Front Door*, asked by <@U1>. `device_offline`: Device is "
        f"&lt;offline&gt;. <https://slack/p1|Open the thread>\n{what_to_do}"
    )
    assert locks.alert(failed, None).startswith(
        "🚨 Lock failed: *Front Door*, asked by <@U1> in <#C1>."
    )


def test_answers_when_lockbot_ends_a_request_itself() -> None:
    assert locks.denied(request(LockStatus.DENIED), {"UADMIN"}) == (
        "🚫 You are not allowed to lock *Front Door*. Ask <@UADMIN> for access "
        '(`/lock admin grant <@U1> "Front Door"`).'
    )
    assert locks.unknown_door("frnt", ["Front Door", "Fridge"]) == (
        "🤔 I don't know a door called “frnt”. Did you mean *Front Door*, *Fridge*? "
        "Try `/lock front door`."
    )
    assert locks.wrong_channel(request(), ["CSEC", "CLOBBY"]) == (
        "📍 *Front Door* can only be locked from <#CSEC>, <#CLOBBY>. Try `/lock` there."
    )
    assert locks.rate_limited(5) == (
        "🐢 That's more than 5 lock commands in a minute, so I'm pausing yours. Try again in a "
        "minute."
    )
    leader = request(user_id="U2")
    assert locks.joined(request(message_ts="1.1"), leader) == (
        "⏳ *Front Door* is already being locked (asked by <@U2>), so I didn't ask again. "
        "You'll see the outcome in its thread."
    )


def test_followers_are_named_once_and_counted_past_ten() -> None:
    followers = [request(LockStatus.LOCKED, user_id=f"U{n}") for n in range(12)]
    said = locks.followers_final([*followers, followers[0]])
    assert said.startswith("<@U0>, <@U1>, ")
    assert said.endswith("<@U9> and 2 others asked for *Front Door* too: same outcome, ✅ locked.")


# -- a group -----------------------------------------------------------------------------------


def test_a_group_lock_root_lines_and_alert() -> None:
    running = batch(LockStatus.PENDING, "")
    assert groups.group_started(running, 3) == "🔒 Locking *Floor 2* (3 doors) for <@U1>…"
    scheduled = batch(LockStatus.PENDING, "", source="schedule")
    assert groups.group_started(scheduled, 1) == (
        "⏰ Scheduled lock: *Floor 2* (1 door), set by <@U1>…"
    )
    summary = "2 of 3 locked, 1 failed: Back Door (device_offline)"
    partly = batch(LockStatus.FAILED, summary)
    assert groups.group_root_final(partly) == (
        f"⚠️ *Floor 2*: {summary}. Asked by <@U1>, took 2.5 s; details in the thread."
    )
    assert groups.group_root_final(
        batch(LockStatus.LOCKED, "3 of 3 locked", source="schedule")
    ) == ("⏰ Scheduled lock: *Floor 2*, 3 of 3 locked. Set by <@U1>, took 2.5 s.")
    back = request(
        LockStatus.FAILED, door_name="Back Door", error_type="device_offline", error_message="x"
    )
    skipped = request(
        LockStatus.REJECTED,
        door_name="Side",
        error_type="wrong_channel",
        error_message="may be locked only from <#CSEC>",
    )
    assert groups.member_line(request(LockStatus.LOCKED)) == "✅ *Front Door* locked in 1.2 s."
    assert groups.member_line(skipped) == (
        "⏭️ *Side* skipped: it may be locked only from &lt;#CSEC&gt;."
    )
    assert groups.group_alert(partly, [back], None) == (
        f"🚨 Group lock *Floor 2*, asked by <@U1> in <#C1>: {summary}.\n"
        "• ❌ *Back Door*: `device_offline`: x. Check that the lock has power and its hub or "
        "Wi-Fi is online, then try again."
    )


def test_a_group_locked_not_at_all() -> None:
    denied = batch(LockStatus.DENIED, "")
    assert groups.group_denied(denied, ["Back Door"], set()) == (
        "🚫 You may not lock every door of *Floor 2* (not: *Back Door*), so I locked none. "
        'Ask an admin for access to the group (`/lock admin grant <@U1> "Floor 2"`).'
    )
    assert groups.group_empty(denied) == (
        '🫙 *Floor 2* has no doors yet. An admin can add some with `lockbot groups add "Floor 2" '
        "DOOR…`."
    )


# -- schedules ---------------------------------------------------------------------------------


def schedule_view(paused: bool = False) -> ScheduleView:
    row = Schedule(
        id=4,
        target="Floor 2",
        cron="0 22 * * 1-5",
        timezone="Europe/Berlin",
        channel_id="C1",
        created_by="U1",
        paused=paused,
    )
    runs = [] if paused else [T0, T0 + timedelta(days=1)]
    return ScheduleView(row, When(row.cron, row.timezone), runs)


def test_schedule_answers() -> None:
    item = schedule_view()
    assert schedules.added(item, "C1") == (
        "⏰ Schedule `4`: I'll lock *Floor 2* every weekday at 22:00 (Europe/Berlin) and report "
        "here in <#C1>. Next runs: Wed 15 Jan 22:00, Thu 16 Jan 22:00. Pause with "
        "`/lock pause 4`, remove with `/lock unschedule 4`."
    )
    assert schedules.line(item) == (
        "`4` *Floor 2*: every weekday at 22:00 (Europe/Berlin), next Wed 15 Jan 22:00, in <#C1>, "
        "by <@U1>"
    )
    assert schedules.paused(schedule_view(paused=True)) == "⏸️ Paused schedule `4`: *Floor 2*."
    assert schedules.resumed(item) == f"▶️ Resumed: {schedules.line(item)}"
    assert schedules.removed(4, item.schedule) == "🗑️ Removed schedule `4` (*Floor 2*)."
    assert schedules.listed([]) == (
        "📭 No schedules you can see. Add one with "
        "`/lock schedule front door every weekday at 22:00`."
    )
    assert schedules.listed([item]) == f"⏰ *Schedules*\n{schedules.line(item)}"


def test_what_a_schedule_tells_when_it_could_not_lock() -> None:
    row = schedule_view().schedule
    assert schedules.schedule_missed(row, [T0], more=False) == (
        "⏰❗ Schedule 4 (lock *Floor 2*) missed the Wed 15 Jan 22:00 run (Europe/Berlin): the "
        "bot was down. Nothing was locked then; check the door, or run `/lock floor 2` now."
    )
    assert schedules.schedule_not_run(row, "Back Door") == (
        "⏰🚫 Schedule 4 did not lock *Floor 2*: <@U1> may no longer lock Back Door. Ask an "
        "admin, or remove it with `/lock unschedule 4`."
    )


# -- device news -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("told", "said"),
    [
        (Tampered("Front Door"), "🚨 *Front Door* reports tampering"),
        (Unlocked("Front Door", "keycode"), "🔓 *Front Door* was unlocked (keypad code)"),
        (Unlocked("Front Door", "unknown"), "🔓 *Front Door* was unlocked"),
        (Locked("Front Door", "manual"), "🔒 *Front Door* was locked by hand"),
        (Locked("Front Door", None), "🔒 *Front Door* was locked outside lockbot"),
        (Battery("Front Door", "low", 0.12), "🪫 *Front Door* battery is low (12%)"),
        (Battery("Front Door", "good", None), "🔋 *Front Door* battery is good again"),
        (Offline("Front Door"), "📴 *Front Door* went offline"),
        (
            Online("Front Door", timedelta(minutes=70)),
            "📶 *Front Door* is back online after 1 h 10 min",
        ),
        (
            Outage("Front Door", timedelta(minutes=14)),
            "📶 *Front Door* was offline for 14 min; online now",
        ),
        (
            Flapping("Front Door", 3, timedelta(minutes=5), online=False),
            "📴 *Front Door* flapped 3 times in 5 min; offline now",
        ),
        (
            UnexpectedUnlock(
                "Front Door", "manual", T0 + timedelta(minutes=9), T0, "Europe/Berlin"
            ),
            "⚠️ Unexpected: *Front Door* was unlocked (manual) at 22:09, 9 min after its 22:00 "
            "scheduled lock",
        ),
    ],
)
def test_device_news(told: News, said: str) -> None:
    assert news.said(told) == said


# -- /lock admin -------------------------------------------------------------------------------


def test_admin_answers_about_doors_and_groups() -> None:
    door = Door(id=1, name="Front Door", key="front door", device_id="dev-1")
    assert admin_doors.door_added(door, ["main"]) == (
        "✅ Added *Front Door* → `dev-1` (aliases: main). Only admins may lock it until you grant "
        'it: `/lock admin grant @someone "Front Door"`.'
    )
    assert admin_doors.doors([(door, ["main"])], {1: ["CSEC"]}) == (
        "🚪 *1 door*\n• *Front Door* `dev-1` · aliases: main · only from <#CSEC>"
    )
    assert admin_doors.door_channels(door, [], changed=True) == (
        "🌐 *Front Door* may be locked from any channel again."
    )
    assert admin_doors.door_channels(door, ["CSEC"], changed=False) == (
        "📍 *Front Door* may be locked only from <#CSEC>."
    )
    group = GroupView(DoorGroup(id=2, name="Floor 2", key="floor 2"), [door])
    assert admin_doors.groups([group]) == "🗂️ *1 group*\n• *Floor 2*: *Front Door*"
    assert admin_doors.group_changed(group) == "✅ *Floor 2* has *Front Door*."
    event = AuditEvent(created_at=T0, actor="U1", action="door.add", target="Front Door")
    assert admin_doors.audit([event]) == (
        "📜 *Last 1 change*, newest first\n"
        "• <!date^1736974800^{date_short} {time}|2025-01-15 21:00 UTC> <@U1> `door.add` "
        "*Front Door*"
    )


def test_a_long_admin_listing_says_where_the_rest_is() -> None:
    lines = [f"• door {n:03} " + "x" * 100 for n in range(100)]
    said = admin.listing("🚪 *100 doors*", lines, "`lockbot doors list` shows them all.")
    assert len(said) <= admin.MAX_CHARS
    assert said.splitlines()[-1] == "`lockbot doors list` shows them all."


def test_admin_answers_about_access() -> None:
    assert admin_access.granted("U9", "the *Floor 2* group", changed=True) == (
        "✅ <@U9> may now lock the *Floor 2* group."
    )
    assert admin_access.granted("S1", "*Garage*", changed=False) == (
        "👌 <!subteam^S1> could already lock *Garage*."
    )
    assert admin_access.revoked("U9", "every door", changed=False) == (
        "⚠️ <@U9> had no grant for every door, so nothing changed."
    )
    assert admin_access.admin_revoked("U1", changed=True, configured=True) == (
        "✅ <@U1> is no longer an admin by grant. They still are through `LOCKBOT_ADMINS`."
    )
    rows = [("S1", "*"), ("S1", "Garage"), ("U9", "Floor 2 (group)"), ("U9", "admin")]
    assert admin_access.grants_held(rows, ["UADMIN"]) == (
        "🔑 *Grants*\n• <!subteam^S1>: every door, *Garage*\n• <@U9>: *Floor 2* (group), admin\n"
        "Admins through `LOCKBOT_ADMINS`: <@UADMIN>"
    )


def test_admin_answers_about_device_news() -> None:
    group = DoorGroup(id=2, name="Floor 2", key="floor 2", alert_channel="CFLOOR")
    door = Door(id=1, name="Front Door", key="front door", device_id="dev-1")
    assert admin_news.muted(group, "lock.unlocked", added=True) == (
        "🔇 No more `lock.unlocked` news from the *Floor 2* group's doors."
    )
    assert admin_news.news_goes(door, group) == (
        "📣 News from *Front Door* goes to <#CFLOOR>, the *Floor 2* group's channel."
    )
    quiet = QuietHours(channel_id="CALERTS", start="22:00", end="07:00", timezone="UTC")
    assert admin_news.quiet_set(quiet) == (
        "🌙 <#CALERTS> is quiet 22:00–07:00 (UTC): only tampering and unexpected unlocks are "
        "posted then."
    )


# -- refusals: once per surface, each with its own hints ---------------------------------------


@pytest.mark.parametrize(
    ("error", "in_slack", "at_the_terminal"),
    [
        (
            Refusal(Refused.NO_SUCH_TARGET, missing=[Missing("Attic", "Annex")]),
            "⚠️ No door or group is called 'Attic' (did you mean 'Annex'?); `/lock admin doors` "
            "and `/lock admin groups` show them",
            "no door or group is called 'Attic' (did you mean 'Annex'?); `lockbot doors list` "
            "and `lockbot groups list` show them",
        ),
        (
            Refusal(Refused.NO_SUCH_DOOR, missing=[Missing("Side"), Missing("Bakc", "Back")]),
            "⚠️ No door is called 'Side', 'Bakc' (did you mean 'Back'?); `/lock admin doors` "
            "shows them",
            "no door is called 'Side', 'Bakc' (did you mean 'Back'?); `lockbot doors list` shows "
            "them",
        ),
        (
            Refusal(Refused.BAD_GROUP_NAME, names=["*"], bad_name=BadName.STAR),
            "⚠️ '*': `*` means every door and cannot be a name",
            "'*': `*` means every door and cannot be a name",
        ),
        (
            Refusal(Refused.NAME_TAKEN, names=["<b>"]),
            "⚠️ '&lt;b&gt;' already names a door, alias or group",
            "'<b>' already names a door, alias or group",
        ),
        (
            Refusal(Refused.SYNC_RACE),
            "⚠️ The doors changed while syncing (another sync or `doors add`?); nothing was "
            "written, run `/lock admin sync` again",
            "the doors changed while syncing (another sync or `doors add`?); nothing was "
            "written, run `lockbot doors sync` again",
        ),
        (
            Refusal(Refused.NOT_AN_EVENT, names=["lock.opened"], choices=EVENT_TYPES[:2]),
            "⚠️ 'lock.opened' is not an event I relay; use one of device.disconnected, "
            "device.connected",
            "'lock.opened' is not an event I relay; use one of device.disconnected, "
            "device.connected",
        ),
        (
            ScheduleError(Refused.NO_SUCH_SCHEDULE, number=99),
            "⚠️ There is no schedule 99; `/lock schedules` lists them.",
            "There is no schedule 99; `lockbot schedules list` lists them.",
        ),
        (
            ScheduleError(Refused.EMPTY_GROUP, names=["lobby"]),
            "⚠️ lobby has no doors to lock yet.",
            "lobby has no doors to lock yet.",
        ),
    ],
)
def test_each_surface_words_a_refusal_with_its_own_hints(
    error: Refusal, in_slack: str, at_the_terminal: str
) -> None:
    assert refusals.refusal(error) == in_slack
    assert terminal(error) == at_the_terminal
    assert "lockbot " not in in_slack.replace("/lock", "")
    assert "/lock" not in at_the_terminal


def test_the_limits_on_schedules_in_slacks_markup() -> None:
    when = When("* * * * *", "Europe/Berlin")
    assert refusals.refusal(TooOften(when, timedelta(minutes=1), timedelta(hours=1))) == (
        "⚠️ cron `* * * * *` (Europe/Berlin) runs as often as every 1 min; a schedule may run at "
        "most once every 1 h. Pick a longer interval, or ask an admin."
    )
    assert refusals.refusal(TooMany("U1", 2)) == (
        "⚠️ <@U1> already has 2 active schedules, the most one person may have. Pause or remove "
        "one first (`/lock schedules` lists them)."
    )
    assert refusals.refusal(WrongChannel("D42", {"Front Door": ["CSEC"]})) == (
        "⚠️ A schedule's runs lock from the channel they report in, and <#D42> is not one its "
        "doors may be locked from: *Front Door* only from <#CSEC>. Schedule it from there."
    )
    assert terminal(TooMany("U1", 2)) == (
        "U1 has 2 active schedules, the most one person may have. Pause or remove one first, or "
        "ask an admin."
    )
