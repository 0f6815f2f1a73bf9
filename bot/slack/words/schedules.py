"""Schedules in Slack: the answers to `/lock schedule…`, and what a schedule's runs tell when
they could not lock (missed while the bot was down, lost, not run)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.models import Schedule
from bot.schedules import ScheduleView
from bot.slack.words.common import mention
from bot.text import escape, local_time
from bot.when import WhenError

LIST_MAX = 30


def line(item: ScheduleView) -> str:
    s = item.schedule
    state = "⏸️ paused" if s.paused else f"next {local_time(item.next_runs[0], s.timezone)}"
    return (
        f"`{item.id}` *{escape(s.target)}*: {escape(item.describe())}, {state}, "
        f"in <#{s.channel_id}>, by {mention(s.created_by)}"
    )


def listed(items: Sequence[ScheduleView]) -> str:
    if not items:
        return (
            "📭 No schedules you can see. Add one with "
            "`/lock schedule front door every weekday at 22:00`."
        )
    lines = [line(item) for item in items[:LIST_MAX]]
    if len(items) > LIST_MAX:
        lines.append(f"…and {len(items) - LIST_MAX} more (`lockbot schedules list`).")
    return "⏰ *Schedules*\n" + "\n".join(lines)


def scheduling(target: str) -> str:
    """The ack while Slack is asked for the person's time zone."""
    return f"⏳ Scheduling *{escape(target)}* in your Slack time zone…"


def scheduling_failed() -> str:
    return (
        "⚠️ Something went wrong on lockbot's side while saving the schedule. "
        "`/lock schedules` shows whether it is there; if not, try again in a minute."
    )


def bad_when(error: WhenError) -> str:
    """A `<when>` that cannot be scheduled: the grammar's own help (`bot.when`), which reads
    the same on every surface."""
    return f"⚠️ {escape(str(error))}"


def added(item: ScheduleView, channel_id: str, *, here: bool = True) -> str:
    """`here`: said where it reports (the command's channel); not so from a form."""
    runs = ", ".join(local_time(t, item.schedule.timezone) for t in item.next_runs)
    return (
        f"⏰ Schedule `{item.id}`: I'll lock *{escape(item.schedule.target)}* "
        f"{escape(item.describe())} and report {'here ' if here else ''}in <#{channel_id}>. "
        f"Next runs: {runs}. Pause with `/lock pause {item.id}`, remove with "
        f"`/lock unschedule {item.id}`."
    )


def removed(schedule_id: int, gone: Schedule) -> str:
    return f"🗑️ Removed schedule `{schedule_id}` (*{escape(gone.target)}*)."


def paused(item: ScheduleView) -> str:
    return f"⏸️ Paused schedule `{item.id}`: *{escape(item.schedule.target)}*."


def resumed(item: ScheduleView) -> str:
    return f"▶️ Resumed: {line(item)}"


# -- what runs tell ----------------------------------------------------------------------------


def schedule_missed(schedule: Schedule, missed: Sequence[datetime], more: bool) -> str:
    target = f"*{escape(schedule.target)}*"
    last = local_time(missed[-1], schedule.timezone)
    if len(missed) == 1:
        runs = f"the {last} run"
    else:
        number = f"{len(missed)}{'+' if more else ''}"
        runs = f"{number} runs, from {local_time(missed[0], schedule.timezone)} to {last}"
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
