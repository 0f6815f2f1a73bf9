"""A lock request in Slack: the root message and its thread, the alert, and the answers given
when lockbot itself ends a request (not allowed, unknown door, missing, in flight)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.access import Lockable
from bot.door_groups import GroupView
from bot.models import Door, LockRequest, LockStatus
from bot.slack.words.common import ask_admins, elapsed, who_asked
from bot.text import escape

_CHECK_THE_LOCK = "Check that the lock has power and its hub or Wi-Fi is online"
_OFFLINE = f"{_CHECK_THE_LOCK}, then try again."
OFFLINE_CHECK = f"{_CHECK_THE_LOCK}."  # said with device news of a lock gone offline
# Errors whose next step is what to check at the lock itself.
OFFLINE_ERRORS = frozenset({"device_offline", "device_disconnected"})
_NOT_IN_SEAM = (
    "The door points at a device Seam does not know; an admin should run "
    "`lockbot doors sync` (and check `lockbot doors list`)."
)
_UNSURE = "Seam did not answer, so the door may or may not be locked. Check it, then try again."
_NEXT_STEP = {
    "device_offline": _OFFLINE,
    "device_disconnected": _OFFLINE,
    "seam_unauthorized": "The Seam API key is invalid; an admin must fix `SEAM_API_KEY`.",
    "device_not_found": _NOT_IN_SEAM,
    "not_found": _NOT_IN_SEAM,
    "seam_unavailable": "Seam is having trouble. Try again in a minute.",
    "seam_rate_limited": "Seam asked us to slow down. Try again in a minute.",
    "seam_unreachable": "lockbot could not reach Seam. Try again in a minute.",
    "seam_bad_response": "Seam sent an answer we could not read. Try again in a minute.",
    "seam_timeout": _UNSURE,
    "seam_no_answer": _UNSURE,
    "timed_out": "The lock never confirmed, so it may or may not be locked. Check the door, "
    "then try again.",
    "expired": "Nothing was sent to the lock. If the door should be locked now, ask again.",
    "access_changed": "Your access changed before it was sent; an admin can grant it again "
    "with `/lock admin grant`.",
    "door_removed": "The door was removed before it was sent; `/lock list` shows the doors.",
}
_DEFAULT_NEXT_STEP = "Try again; if it keeps failing, tell an admin."
OPEN_THREAD = "Open the thread"

# A thread line names at most this many people who asked again; the rest are counted.
FOLLOWERS_NAMED = 10
# The picker's words; its buttons are plain text, so names are not escaped there.
PICK_PROMPT = "Which door should I lock?"
PICK_PLACEHOLDER = "Choose a door or group"
PICK_GROUPS, PICK_DOORS = "Groups", "Doors"


def door(request: LockRequest) -> str:
    """The door a request is for, in bold: its name, else what was typed."""
    return f"*{escape(request.door_name or request.text)}*"


def next_step(request: LockRequest) -> str:
    return _NEXT_STEP.get(request.error_type or "", _DEFAULT_NEXT_STEP)


def error_detail(request: LockRequest) -> str:
    message = escape(request.error_message or "no details")
    return f"`{escape(request.error_type or 'error')}`: {message}"


def started(request: LockRequest) -> str:
    return f"🔒 Locking {door(request)} for {who_asked(request)}…"


def sent() -> str:
    return "📡 Seam accepted the request; waiting for the lock to confirm…"


def headline(request: LockRequest) -> str:
    """A finished request in a few words, its status emoji first: the root message's start."""
    name = door(request)
    if request.status is LockStatus.LOCKED:
        return f"✅ {name} is locked"
    if request.status is LockStatus.TIMED_OUT:
        return f"⌛ {name} did not confirm it locked"
    if request.status is LockStatus.EXPIRED:
        return f"⌛ Did not lock {name}: it was too late to send by the time lockbot could"
    return f"❌ Could not lock {name} (`{escape(request.error_type or 'error')}`)"


def root_final(request: LockRequest) -> str:
    asker, took = who_asked(request), elapsed(request)
    tail = {
        LockStatus.LOCKED: f"Asked by {asker}, took {took}.",
        LockStatus.TIMED_OUT: f"Asked by {asker}; gave up after {took}.",
        LockStatus.EXPIRED: f"Asked by {asker} {took} earlier.",
    }.get(request.status, f"Asked by {asker}; details in the thread.")
    return f"{headline(request)}. {tail}"


def thread_final(request: LockRequest) -> str:
    if request.status is LockStatus.LOCKED:
        if request.source == "relock":
            return f"✅ Locked again in {elapsed(request)}, as the lock window asks."
        return f"✅ Locked in {elapsed(request)}."
    late = request.status in (LockStatus.TIMED_OUT, LockStatus.EXPIRED)
    return f"{'⌛' if late else '❌'} {error_detail(request)}\n*What to do:* {next_step(request)}"


def alert_head(request: LockRequest, *, name_channel: bool) -> str:
    """What failed and who asked; the channel is named when there is no thread to link."""
    channel = f" in <#{request.channel_id}>" if request.channel_id and name_channel else ""
    return (
        f"🚨 Lock failed: {door(request)}, asked by {who_asked(request)}{channel}. "
        f"{error_detail(request)}."
    )


def alert(request: LockRequest, permalink: str | None) -> str:
    link = f" <{permalink}|{OPEN_THREAD}>" if permalink else ""
    head = alert_head(request, name_channel=not permalink)
    return f"{head}{link}\n*What to do:* {next_step(request)}"


def wrong_channel(request: LockRequest, channels: Sequence[str]) -> str:
    where = ", ".join(f"<#{c}>" for c in channels)
    return f"📍 {door(request)} can only be locked from {where}. Try `/lock` there."


def denied(request: LockRequest, admins: Collection[str]) -> str:
    return (
        f"🚫 You are not allowed to lock {door(request)}. Ask {ask_admins(admins)} for access "
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
        f"⏳ {door(request)} is already being locked (asked by {who_asked(leader)}), so I didn't "
        f"ask again. You'll see the outcome {where}."
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
    people = list(dict.fromkeys(who_asked(f) for f in followers))
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


def intake_failed() -> str:
    return (
        "⚠️ lockbot could not record your request, so nothing was locked. "
        "Try again in a minute; if it keeps happening, tell an admin "
        "(the bot's database may be down)."
    )


def intake_unknown() -> str:
    return (
        "⚠️ lockbot lost touch with its database as it recorded your request, so it can't "
        "tell yet whether it did. If it did, the lock goes ahead and you'll see it here; "
        "if nothing shows up in a minute, try again."
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


# -- choosing what to lock ---------------------------------------------------------------------


def nothing_to_lock(admins: Collection[str]) -> str:
    return f"🔐 You can't lock any door yet. Ask {ask_admins(admins)} for access."


def group_label(view: GroupView) -> str:
    return f"🏢 {view.group.name} ({len(view.doors)})"


def door_label(door: Door) -> str:
    return f"🚪 {door.name}"


def picker_text(targets: Lockable) -> str:
    """The picker's fallback text (notifications, screen readers)."""
    names = [g.group.name for g in targets.groups] + [d.name for d in targets.doors]
    return f"{PICK_PROMPT} " + ", ".join(escape(n) for n in names[:20])


def which_one(text: str) -> str:
    return f"Which one did you mean by “{escape(text)}”?"


def picked(target: str) -> str:
    return f"👍 Locking *{escape(target)}*; follow along in the channel."
