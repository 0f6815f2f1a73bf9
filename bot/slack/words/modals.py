"""The words of lockbot's modals: the schedule builder ("Schedule a lock") and "Lock a door".

A field's error is shown by Slack under the field as plain text, so those sentences carry no
markup (no `*bold*`, no mentions: they would show as typed); the views that replace a form after
it is sent are mrkdwn, like a message.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.locking import GroupSubmission, Submission
from bot.models import LockRequest, LockStatus, Rejection
from bot.refusals import Refusal
from bot.schedules import ScheduleView, TooMany, TooOften, WrongChannel
from bot.slack.words import locks, schedules
from bot.slack.words.common import who_asked
from bot.slack.words.refusals import plain
from bot.text import escape, span

SCHEDULE_TITLE = "Schedule a lock"
LOCK_TITLE = "Lock a door"
SCHEDULE_SUBMIT, LOCK_SUBMIT, CANCEL, DONE = "Schedule", "Lock", "Cancel", "Done"
TARGET_LABEL = "Door or group"
TARGET_PLACEHOLDER = "Choose a door or group"
DAYS_LABEL = "Days"
# (value, label): the values are `<when>` words (bot.when), Monday first as a week is read.
DAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
TIME_LABEL = "Time"
UNTIL_LABEL = "Keep locked until"
UNTIL_HINT = (
    "Optional. Until then, an unlock is told here with Lock now and Keep open, and the door "
    "is locked again 5 min later."
)
UNTIL_IS_START = "Choose an end other than the start time."
ZONE_LABEL = "Time zone"
ZONE_HINT = "An IANA time zone, such as Europe/Berlin or America/New_York; yours from Slack."
REPORT_LABEL = "Report in"
REPORT_HINT = (
    "Each run locks from this channel and tells its outcome here, so a door limited to some "
    "channels needs one of those. Invite @lockbot if it isn't in it."
)
FOLLOW_LABEL = "Follow along in"
FOLLOW_HINT = "The thread goes in this channel. Leave it empty and it comes to you in a DM."
CHANNEL_PLACEHOLDER = "Choose a channel"


def too_many_targets(left_out: int) -> str:
    """Under a menu that could not hold every door (Slack allows 100 groups of 100)."""
    return f"{left_out} more don't fit in this list; type `/lock &lt;name&gt;` for those."


# -- a field's error (plain text) ---------------------------------------------------------------

PICK_TARGET = "Choose a door or group."
PICK_DAYS = "Tick at least one day."
PICK_TIME = "Choose a time."
PICK_ZONE = "Name a time zone, such as Europe/Berlin."
PICK_CHANNEL = "Choose the channel to report in."


def unknown_days(days: Sequence[str]) -> str:
    return f"{', '.join(days)} is not a day of the week."


def bad_zone(text: str) -> str:
    return f"{text} is not a time zone I know. Use an IANA name, such as Europe/Berlin."


def schedule_refused(error: Refusal) -> str:
    """Why the schedule builder could not make the schedule."""
    if isinstance(error, WrongChannel):
        return (
            f"{', '.join(error.allowed)} may be locked only from other channels, and a run locks "
            "from the channel it reports in. Choose one of those."
        )
    if isinstance(error, TooOften):
        return (
            f"That runs as often as every {span(error.gap)}; a schedule may run at most once "
            f"every {span(error.minimum)}. Tick fewer days, or ask an admin."
        )
    if isinstance(error, TooMany):
        return (
            f"You already have {error.limit} active schedules, the most one person may have. "
            "Pause or remove one first (/lock schedules lists them)."
        )
    return plain(error)


def lock_refused(submission: Submission | GroupSubmission, per_minute: int) -> str:
    """Why a lock from the "Lock a door" form does not go ahead (it was not accepted)."""
    if isinstance(submission, GroupSubmission):
        name = submission.batch.group_name or submission.batch.text
        if submission.rejection is Rejection.GROUPS_UNCHECKED:
            return _groups_unchecked(name)
        if submission.batch.status is LockStatus.DENIED:
            return (
                f"You may not lock every door of {name} (not: {', '.join(submission.blocked)}), "
                "so I locked none. Ask an admin for access."
            )
        return f"{name} has no doors to lock yet."
    request = submission.request
    name = request.door_name or request.text
    match submission.rejection:
        case Rejection.WRONG_CHANNEL:
            where = "a DM" if request.channel_id == request.user_id else "that channel"
            return f"{name} may be locked only from certain channels, not from {where}."
        case Rejection.DOOR_MISSING:
            return f"{name}'s lock is missing from Seam, so I can't lock it. Tell an admin."
        case Rejection.RATE_LIMITED:
            return f"That's more than {per_minute} locks in a minute. Try again in a minute."
        case Rejection.GROUPS_UNCHECKED:
            return _groups_unchecked(name)
    if request.status is LockStatus.DENIED:
        return f"You may not lock {name}. Ask an admin for access."
    return f"No door or group is called {name} any more. Choose another."


def _groups_unchecked(name: str) -> str:
    return (
        f"Slack didn't say which user groups you're in, so I couldn't check your access to "
        f"{name}. Try again in a minute."
    )


# -- what replaces a form once it is sent (mrkdwn) ------------------------------------------------


def scheduled(item: ScheduleView) -> str:
    return schedules.added(item, item.schedule.channel_id, here=False)


def joined(request: LockRequest, leader: LockRequest) -> str:
    """A lock from the form that found the door already being locked (it asked Seam nothing)."""
    where = "in its thread" if request.message_ts else "in a DM"
    return (
        f"⏳ {locks.door(request)} is already being locked (asked by {who_asked(leader)}), so I "
        f"didn't ask again. You'll hear how it ends {where}."
    )


TYPED_SCHEDULE = "/lock schedule front door weekdays at 22:00"
TYPED_LOCK = "/lock front door"


def could_not_open(error: str, typed: str) -> str:
    """Told (by the command's response_url, else a DM) when Slack would not show a form."""
    return f"⚠️ Slack would not open the form (`{escape(error)}`). Try again, or type `{typed}`."
