"""Every word lockbot says in Slack. Pure functions of a LockRequest, easy to test."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.ids import is_user_id
from bot.models import LockBatch, LockRequest, LockStatus, Schedule
from bot.text import escape, local_time

_OFFLINE = "Check that the lock has power and its hub or Wi-Fi is online, then try again."
_NEXT_STEP = {
    "device_offline": _OFFLINE,
    "device_disconnected": _OFFLINE,
    "seam_unauthorized": "The Seam API key is invalid; an admin must fix `SEAM_API_KEY`.",
    "device_not_found": "The door points at a device Seam does not know; an admin should run "
    "`lockbot doors sync` (and check `lockbot doors list`).",
    "not_found": "The door points at a device Seam does not know; an admin should run "
    "`lockbot doors sync` (and check `lockbot doors list`).",
    "seam_unavailable": "Seam is having trouble. Try again in a minute.",
    "seam_rate_limited": "Seam asked us to slow down. Try again in a minute.",
    "seam_unreachable": "lockbot could not reach Seam. Try again in a minute.",
    "seam_bad_response": "Seam sent an answer we could not read. Try again in a minute.",
    "seam_timeout": "Seam did not answer, so the door may or may not be locked. Check it, then "
    "try again.",
    "seam_no_answer": "Seam did not answer, so the door may or may not be locked. Check it, then "
    "try again.",
    "timed_out": "The lock never confirmed, so it may or may not be locked. Check the door, "
    "then try again.",
    "expired": "Nothing was sent to the lock. If the door should be locked now, ask again.",
    "access_changed": "Your access changed before it was sent; an admin can grant it again "
    "with `/lock admin grant`.",
    "door_removed": "The door was removed before it was sent; `/lock list` shows the doors.",
}
_DEFAULT_NEXT_STEP = "Try again; if it keeps failing, tell an admin."


# A thread line names at most this many people who asked again; the rest are counted.
FOLLOWERS_NAMED = 10


def door(request: LockRequest) -> str:
    return f"*{escape(request.door_name or request.text)}*"


def who(request: LockRequest) -> str:
    return f"<@{request.user_id}>" if request.source == "slack" else escape(request.user_id)


def duration(request: LockRequest) -> str:
    seconds = request.elapsed_s or 0.0
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def next_step(request: LockRequest) -> str:
    return _NEXT_STEP.get(request.error_type or "", _DEFAULT_NEXT_STEP)


def error_detail(request: LockRequest) -> str:
    message = escape(request.error_message or "no details")
    return f"`{escape(request.error_type or 'error')}`: {message}"


def started(request: LockRequest) -> str:
    return f"🔒 Locking {door(request)} for {who(request)}…"


def sent() -> str:
    return "📡 Seam accepted the request; waiting for the lock to confirm…"


def root_final(request: LockRequest) -> str:
    match request.status:
        case LockStatus.LOCKED:
            return (
                f"✅ {door(request)} is locked. Asked by {who(request)}, took {duration(request)}."
            )
        case LockStatus.TIMED_OUT:
            return (
                f"⌛ {door(request)} did not confirm it locked. Asked by {who(request)}; "
                f"gave up after {duration(request)}."
            )
        case LockStatus.EXPIRED:
            return (
                f"⌛ Did not lock {door(request)}: it was too late to send by the time lockbot "
                f"could. Asked by {who(request)} {duration(request)} earlier."
            )
        case _:
            reason = escape(request.error_type or "error")
            return (
                f"❌ Could not lock {door(request)} (`{reason}`). Asked by {who(request)}; "
                "details in the thread."
            )


def thread_final(request: LockRequest) -> str:
    if request.status is LockStatus.LOCKED:
        return f"✅ Locked in {duration(request)}."
    late = request.status in (LockStatus.TIMED_OUT, LockStatus.EXPIRED)
    return f"{'⌛' if late else '❌'} {error_detail(request)}\n*What to do:* {next_step(request)}"


def alert(request: LockRequest, permalink: str | None) -> str:
    link = f" <{permalink}|Open the thread>" if permalink else ""
    channel = f" in <#{request.channel_id}>" if request.channel_id and not permalink else ""
    return (
        f"🚨 Lock failed: {door(request)}, asked by {who(request)}{channel}. "
        f"{error_detail(request)}.{link}\n*What to do:* {next_step(request)}"
    )


def group_name(batch: LockBatch) -> str:
    return f"*{escape(batch.group_name or batch.text)}*"


def mention(user_id: str) -> str:
    """A Slack user as a mention; a terminal operator (`cli:alice`) as plain text."""
    return f"<@{user_id}>" if is_user_id(user_id) else escape(user_id)


def asker(batch: LockBatch) -> str:
    return mention(batch.user_id)


def group_started(batch: LockBatch, doors: int) -> str:
    count = f"{doors} door{'' if doors == 1 else 's'}"
    if batch.source == "schedule":
        return f"⏰ Scheduled lock: {group_name(batch)} ({count}), set by {asker(batch)}…"
    return f"🔒 Locking {group_name(batch)} ({count}) for {asker(batch)}…"


def group_root_final(batch: LockBatch) -> str:
    seconds = batch.elapsed_s or 0.0
    took = f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"
    summary = escape(batch.summary or "")
    if batch.source == "schedule":
        mark = "⏰" if batch.status is LockStatus.LOCKED else "⚠️"
        tail = "" if batch.status is LockStatus.LOCKED else "; details in the thread"
        return (
            f"{mark} Scheduled lock: {group_name(batch)}, {summary}. Set by {asker(batch)}, "
            f"took {took}{tail}."
        )
    if batch.status is LockStatus.LOCKED:
        return f"✅ {group_name(batch)}: {summary}. Asked by {asker(batch)}, took {took}."
    return (
        f"⚠️ {group_name(batch)}: {summary}. Asked by {asker(batch)}, took {took}; "
        "details in the thread."
    )


def member_line(request: LockRequest) -> str:
    """One door of a group, in the group's thread."""
    name = door(request)
    match request.status:
        case LockStatus.LOCKED:
            return f"✅ {name} locked in {duration(request)}."
        case LockStatus.REJECTED if request.error_type == "door_missing":
            return f"⏭️ {name} skipped: its device is missing from Seam. {next_step(request)}"
        case LockStatus.REJECTED if request.error_type == "wrong_channel":
            return f"⏭️ {name} skipped: it {escape(request.error_message or '')}."
        case LockStatus.TIMED_OUT:
            return f"⌛ {name} did not confirm. {next_step(request)}"
        case LockStatus.EXPIRED:
            return f"⌛ {name} not sent: it was too late. {next_step(request)}"
        case _:
            return f"❌ {name}: {error_detail(request)}. {next_step(request)}"


def group_alert(batch: LockBatch, failed: Sequence[LockRequest], permalink: str | None) -> str:
    link = f" <{permalink}|Open the thread>" if permalink else ""
    where = f" in <#{batch.channel_id}>" if batch.channel_id and not permalink else ""
    lines = "\n".join(f"• {member_line(r)}" for r in failed)
    return (
        f"🚨 Group lock {group_name(batch)}, asked by {asker(batch)}{where}: "
        f"{escape(batch.summary or '')}.{link}\n{lines}"
    )


def group_denied(batch: LockBatch, blocked: Sequence[str], admins: Sequence[str]) -> str:
    ask = ", ".join(f"<@{a}>" for a in sorted(admins)) or "an admin"
    doors_ = ", ".join(f"*{escape(b)}*" for b in blocked)
    return (
        f"🚫 You may not lock every door of {group_name(batch)} (not: {doors_}), so I locked "
        f"none. Ask {ask} for access to the group "
        f'(`/lock admin grant <@{batch.user_id}> "{escape(batch.group_name or "")}"`).'
    )


def group_empty(batch: LockBatch) -> str:
    return (
        f"🫙 {group_name(batch)} has no doors yet. An admin can add some with "
        f'`lockbot groups add "{escape(batch.group_name or "")}" DOOR…`.'
    )


def wrong_channel(request: LockRequest, channels: Sequence[str]) -> str:
    where = ", ".join(f"<#{c}>" for c in channels)
    return f"📍 {door(request)} can only be locked from {where}. Try `/lock` there."


def denied(request: LockRequest, admins: Sequence[str]) -> str:
    ask = ", ".join(f"<@{a}>" for a in sorted(admins)) or "an admin"
    return (
        f"🚫 You are not allowed to lock {door(request)}. Ask {ask} for access "
        f'(`/lock admin grant <@{request.user_id}> "{escape(request.door_name or "")}"`).'
    )


def groups_unchecked(name: str) -> str:
    """Denied only because Slack could not say who is in a user group that may allow it."""
    return (
        f"🚫 I couldn't reach Slack to check your user groups, so I can't tell whether you may "
        f"lock {name}. Nothing was locked; try again in a minute."
    )


def unknown_door(text: str, suggestions: Sequence[str]) -> str:
    said = f"“{escape(text)}”"
    if suggestions:
        first = suggestions[0]
        others = "".join(f", *{escape(s)}*" for s in suggestions[1:])
        return (
            f"🤔 I don't know a door called {said}. Did you mean *{escape(first)}*{others}? "
            f"Try `/lock {escape(first.lower())}`."
        )
    return (
        f"🤔 I don't know a door called {said}. An admin can add it with "
        "`lockbot doors add NAME DEVICE_ID`."
    )


def door_missing(request: LockRequest) -> str:
    """The door's device was gone from Seam at the last `lockbot doors sync`."""
    device = f" (`{escape(request.device_id)}`)" if request.device_id else ""
    return (
        f"🚪 {door(request)} is missing from Seam: its lock{device} was not in Seam's list at the "
        "last sync, so I didn't try to lock it. An admin should check the lock in the Seam "
        "console (https://console.seam.co/), then run `lockbot doors sync`."
    )


def joined(request: LockRequest, leader: LockRequest) -> str:
    # The leader's thread only when it is in this channel: see locking.same_place.
    where = "in its thread" if request.message_ts else "here"
    return (
        f"⏳ {door(request)} is already being locked (asked by {who(leader)}), so I didn't ask "
        f"again. You'll see the outcome {where}."
    )


def _joined_outcome(request: LockRequest) -> str:
    return {
        LockStatus.LOCKED: "✅ locked",
        LockStatus.TIMED_OUT: "⌛ did not confirm",
        LockStatus.EXPIRED: "⌛ not sent (too late)",
    }.get(request.status, f"❌ failed (`{escape(request.error_type or 'error')}`)")


def joined_final(request: LockRequest) -> str:
    """Told where they asked to someone whose request joined one asked in another channel."""
    return (
        f"{door(request)}: {_joined_outcome(request)}. It was already being locked when you "
        "asked, so I didn't ask twice."
    )


def followers_final(followers: list[LockRequest]) -> str:
    """Told in the leader's thread to everyone who asked for the same door meanwhile."""
    first = followers[0]
    outcome = _joined_outcome(first)
    people = list(dict.fromkeys(who(f) for f in followers))
    named = people[:FOLLOWERS_NAMED]
    if len(people) > len(named):
        named.append(f"{len(people) - len(named)} others")
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"{listed} asked for {door(first)} too: same outcome, {outcome}."


def rate_limited(per_minute: int) -> str:
    return (
        f"🐢 That's more than {per_minute} lock commands in a minute, so I'm pausing yours. "
        "Try again in a minute."
    )


def seam_key_rejected() -> str:
    return (
        "🔑 Seam rejected lockbot's API key, so no door can be locked until it is fixed. "
        "An admin must set a valid `SEAM_API_KEY` (Seam console → API keys) and restart lockbot. "
        "`lockbot doctor` checks it."
    )


def alert_channel_broken(channel: str, error: str) -> str:
    return (
        f"📭 lockbot cannot post failure alerts to <#{escape(channel)}> (`{escape(error)}`). "
        "Invite the bot there (`/invite @lockbot`) or fix `LOCKBOT_ALERT_CHANNEL`; "
        "`lockbot doctor` checks it."
    )


def intake_failed() -> str:
    return (
        "⚠️ lockbot could not record your request, so nothing was locked. "
        "Try again in a minute; if it keeps happening, tell an admin "
        "(the bot's database may be down)."
    )


def invalid(reason: str) -> str:
    return f"⚠️ {escape(reason)} Try `/lock help`."


def schedule_missed(schedule: Schedule, missed: Sequence[datetime], more: bool) -> str:
    target = f"*{escape(schedule.target)}*"
    last = local_time(missed[-1], schedule.timezone)
    if len(missed) == 1:
        runs = f"the {last} run"
    else:
        count = f"{len(missed)}{'+' if more else ''}"
        runs = f"{count} runs, from {local_time(missed[0], schedule.timezone)} to {last}"
    return (
        f"⏰❗ Schedule {schedule.id} (lock {target}) missed {runs} ({escape(schedule.timezone)}): "
        "the bot was down. Nothing was locked then; check the door, or run `/lock "
        f"{escape(schedule.target.lower())}` now."
    )


def schedule_lost(schedule: Schedule, fire_at: datetime) -> str:
    return (
        f"⏰❗ Schedule {schedule.id} (lock *{escape(schedule.target)}*) missed the "
        f"{local_time(fire_at, schedule.timezone)} run ({escape(schedule.timezone)}): the bot "
        "stopped or failed as it began, and nothing was locked. Check the door, or run "
        f"`/lock {escape(schedule.target.lower())}` now."
    )


def posted_elsewhere(channel: str | None, error: str | None = None) -> str:
    """Above a scheduled run's report in the alert channel, when its own channel refuses it."""
    why = f" (`{escape(error)}`)" if error else ""
    return (
        f"📭 I can't post in <#{escape(channel or '?')}>{why}, so this scheduled run reports "
        "here. Invite me there (`/invite @lockbot`), or move the schedule."
    )


def schedule_not_run(schedule: Schedule, reason: str) -> str:
    target = f"*{escape(schedule.target)}*"
    if reason == "gone":
        why = "its door or group no longer exists"
    elif reason == "empty_group":
        why = "the group has no doors"
    else:
        why = f"{mention(schedule.created_by)} may no longer lock {escape(reason)}"
    return (
        f"⏰🚫 Schedule {schedule.id} did not lock {target}: {why}. Ask an admin, or remove it "
        f"with `/lock unschedule {schedule.id}`."
    )


def nothing_to_lock(admins: Sequence[str]) -> str:
    ask = ", ".join(f"<@{a}>" for a in sorted(admins)) or "an admin"
    return f"🔐 You can't lock any door yet. Ask {ask} for access."


def which_one(text: str) -> str:
    return f"Which one did you mean by “{escape(text)}”?"


def picked(target: str) -> str:
    return f"👍 Locking *{escape(target)}*; follow along in the channel."


def command_failed() -> str:
    return (
        "⚠️ Something went wrong on lockbot's side and nothing changed. Try again in a minute; "
        "if it keeps happening, tell an admin."
    )


HELP = """*lockbot* locks doors through Seam. Commands:
• `/lock`: buttons for the doors and groups you may lock.
• `/lock <door or group>`: lock it, for example `/lock front door` or `/lock floor 2`. Case, \
spaces, `-` and `_` don't matter, and aliases work. Progress and the outcome appear in a thread \
under the bot's message; failures also go to the alert channel.
• `/lock list`: what you may lock, with each door's last known state.
• `/lock status <door or group>`: live from Seam: locked, online, battery, door open, problems.
• `/lock history [door] [N]`: the last N lock requests (default 10).
• `/lock schedule <door or group> <when>`: lock it on a schedule, for example \
`/lock schedule floor 2 weekdays at 22:00` or `… cron 0 22 * * 1-5 in Europe/Berlin` \
(your Slack time zone unless you say `in <zone>`).
• `/lock schedules`, `/lock pause <id>`, `/lock resume <id>`, `/lock unschedule <id>`.
• `/lock admin help`: for admins: doors, aliases, groups, channels, grants, sync, audit \
(also in the terminal: `lockbot doors|groups|grant|config …`).
• `/lock help`: this message."""
